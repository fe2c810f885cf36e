"""Page forms of the interactions module, one module per capability (setup, log, recording,
communication, segments, purge, statistics). They validate and translate input; the writes
are the services'."""
