"""Pages of the interactions module, one module per capability, as in forms/, tables/,
selectors/ and services/ (setup, log, recording, communication, segments, purge, statistics,
attachments). Thin: they translate the request, call services and selectors, and render."""
