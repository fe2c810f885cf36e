"""The shared cache (CACHE_URL; Redis when several processes serve the site) holds only what
may be lost: login and API throttle counts, the API's kept permission sets, generation
numbers of kept copies. So a cache that does not answer (Redis stopped, network down) is an
optimisation lost for a while, never an error a user sees: `if_cache_answers` runs one use of
the cache and, when it fails, logs a warning and gives the caller's fallback value instead.

A `ValueError` is not a failure of the cache (Django raises it for `incr` of a missing key)
and goes to the caller, who handles it."""

import logging

logger = logging.getLogger("crm.cache")


class _NotAnswered:
    def __repr__(self):
        return "NOT_ANSWERED"


NOT_ANSWERED = _NotAnswered()


def if_cache_answers(use, *, fallback=NOT_ANSWERED, what: str = "the cache"):
    """`use()`, or `fallback` when the cache raised anything but ValueError."""
    try:
        return use()
    except ValueError:
        raise
    except Exception:  # noqa: BLE001 - any backend's connection error (redis, memcached, OSError)
        logger.warning("The cache did not answer (%s); going on without it", what, exc_info=True)
        return fallback
