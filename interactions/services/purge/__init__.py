"""Deleting canceled interaction log entries: the purge itself, its archive and restore."""
