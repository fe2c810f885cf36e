"""The permissions of a personal token's user, kept in the cache for a short time.

Why: Django reads a user's permissions with two queries (their own, their groups') once per
request, because the user is read afresh each time; for an API client that sends thousands
of small writes that is a sixth of the queries of a create. The set is kept per token for
API_PERMISSION_CACHE_SECONDS (default 30; 0 turns this off).

Invariants:
- The token itself is still read from the database on every request (with its user): a
  revoked or expired token, or an inactive user, is refused at once. Only the set of
  permission names is kept.
- Any change of a user's groups or permissions, of a group's permissions, or the deletion
  of a group or a permission, moves a generation number in the same cache: every kept set
  is stale from then on. With a cache shared by every process (CACHE_URL=redis://...) a
  change applies at once everywhere; with the default per-process cache, at once in the
  process that made it and within API_PERMISSION_CACHE_SECONDS in the others.
- A set computed for a superuser (all permissions) is used only while the user is still a
  superuser (the flag comes with the user from the token's query).
- A cache that does not answer keeps nothing: the permissions are read from the database,
  as without this module, and a change of permissions is saved all the same
  (crm/shared_cache.py).
"""

import secrets

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache

from crm.shared_cache import NOT_ANSWERED, if_cache_answers

GENERATION_KEY = "api:permissions:generation"


def _key(token) -> str:
    # The token's prefix is random (unique index): a key is never shared by two tokens,
    # even where a test database reuses primary keys.
    return f"api:permissions:{token.prefix}"


def _new_generation() -> int:
    """The generation number, started at a random value where the cache has none (first
    use, or culled): a set kept under an earlier number never matches it by chance."""
    generation = secrets.randbits(62)
    if cache.add(GENERATION_KEY, generation, timeout=None):
        return generation
    current = cache.get(GENERATION_KEY)
    return current if isinstance(current, int) else generation


def load_permissions(*, user, token) -> None:
    """Give `user` (the token's user, just read) its permission sets, as Django's
    ModelBackend caches them on the user object for a request: from the cache when kept
    there for this token and still current, else from the database (and keep them)."""
    seconds = settings.API_PERMISSION_CACHE_SECONDS
    if seconds <= 0 or not user.is_active:
        return
    key = _key(token)
    kept = if_cache_answers(lambda: cache.get_many([key, GENERATION_KEY]), what="API permissions")
    if kept is NOT_ANSWERED:
        return  # Django's backend reads them from the database
    generation = kept.get(GENERATION_KEY)
    if not isinstance(generation, int):
        generation = if_cache_answers(_new_generation, what="API permissions")
        if generation is NOT_ANSWERED:
            return
    entry = kept.get(key)
    if isinstance(entry, tuple) and len(entry) == 4 and entry[:2] == (generation, user.is_superuser):
        user_permissions, group_permissions = entry[2], entry[3]
    else:
        backend = ModelBackend()
        user_permissions = frozenset(backend.get_user_permissions(user))
        group_permissions = frozenset(backend.get_group_permissions(user))
        kept_set = (generation, user.is_superuser, user_permissions, group_permissions)
        if_cache_answers(lambda: cache.set(key, kept_set, seconds), fallback=None, what="API permissions")
    user._user_perm_cache = set(user_permissions)
    user._group_perm_cache = set(group_permissions)
    user._perm_cache = set(user_permissions | group_permissions)


def forget_all(**_kwargs) -> None:
    """Make every kept permission set stale (a signal receiver: a permission changed)."""
    if_cache_answers(_next_generation, fallback=None, what="API permissions")


def _next_generation() -> None:
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # not in the cache: a new random one is as good
        _new_generation()
