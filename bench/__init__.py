"""Benchmarks of the interactions module on PostgreSQL (not tests): `make bench`."""
