"""Templates as the API's create reads them by code, kept in each process between requests.

Why: an API client that records thousands of interactions names the template by its code in
every request. Reading it (with its group, campaign, language rows and their attachments) is
two queries whose building in Django's ORM costs more CPU than recording the entry itself.
Templates are set-up data: changed a few times a year, read thousands of times an hour.

Invariants:
- A process keeps a template it read, keyed by its code, with the set-up's generation number
  (a counter in the default cache) and for INTERACTIONS_TEMPLATE_CACHE_SECONDS at most (0
  turns this off). Every change of a template, a template's language row, a group, a
  campaign, or the deletion of an attachment (receivers connected in apps.py) moves the
  generation: every kept template is stale from then on. With a cache shared by every
  process (CACHE_URL=redis://...) a change applies at once everywhere; with the default
  per-process cache, at once in the process that made it and within the seconds above in
  the others (as the API's kept permissions, crm/api/permission_cache.py).
- A kept template is never changed by its readers: recording only reads it. A template
  deleted since it was kept is still refused at once: recording locks the template's row
  (FOR KEY SHARE) in its transaction and refuses an entry for a template that is gone.
- Codes are kept in capitals, as `code__iexact` compares them.
- A cache that does not answer (Redis down) never fails a request or a change of the
  set-up: the template is then read from the database, and nothing is kept.
"""

import secrets
import threading
import time

from django.core.cache import cache

from crm.shared_cache import NOT_ANSWERED, if_cache_answers

from ..conf import settings as conf
from ..models import InteractionTemplate
from .recording import template_by_code_for_recording

GENERATION_KEY = "interactions:setup:generation"

_kept: dict[str, tuple[int, float, InteractionTemplate]] = {}
_lock = threading.Lock()


def _generation() -> int:
    current = cache.get(GENERATION_KEY)
    if isinstance(current, int):
        return current
    # First use, or culled: a random start never matches a number kept before by chance.
    cache.add(GENERATION_KEY, secrets.randbits(62), timeout=None)
    current = cache.get(GENERATION_KEY)
    return current if isinstance(current, int) else -1


def template_by_code(code: str) -> InteractionTemplate | None:
    """`template_by_code_for_recording(code)`, from this process's copy while it is current."""
    seconds = conf.TEMPLATE_CACHE_SECONDS
    if seconds <= 0:
        return template_by_code_for_recording(code)
    key = (code or "").strip().upper()
    generation = if_cache_answers(_generation, what="kept templates")
    if generation is NOT_ANSWERED:
        return template_by_code_for_recording(code)
    kept = _kept.get(key)
    now = time.monotonic()
    if kept is not None and kept[0] == generation and kept[1] > now:
        return kept[2]
    template = template_by_code_for_recording(code)
    if template is not None and generation != -1:
        with _lock:
            _kept[key] = (generation, now + seconds, template)
    return template


def forget_templates(**_kwargs) -> None:
    """Make every kept template stale, in every process sharing the cache (a signal receiver:
    the set-up changed)."""
    with _lock:
        _kept.clear()
    # Without the cache, kept copies elsewhere expire within TEMPLATE_CACHE_SECONDS.
    if_cache_answers(_next_generation, fallback=None, what="kept templates")


def _next_generation() -> None:
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # not in the cache: the next read starts a new random one
        pass
