"""Every non-trivial read of the interactions module, one module per capability (log,
recording, segments, statistics, setup). Plain values in, querysets or dataclasses out."""
