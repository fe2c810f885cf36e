"""Personal API tokens: create (the secret is returned once and never stored), revoke,
and find the token a request presents. A token is `crm_<prefix>_<secret>`: the prefix
(12 random characters) finds the row by a unique index, the SHA-256 of the whole token is
compared in constant time. A random secret of 256 bits needs no slow hash: nothing can be
guessed from its digest."""

import datetime
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import ApiToken

TOKEN_PREFIX = "crm_"
REVOKE_ANY = "api.revoke_any_apitoken"
# Writing "last used" on every request would be a write per read: once a minute is enough.
LAST_USED_PRECISION = datetime.timedelta(minutes=1)


def digest_of(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class CreatedToken:
    token: ApiToken
    secret: str  # the whole token, shown to its user once


def create_token(*, user, name: str, expires_at: datetime.datetime | None = None) -> CreatedToken:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the token a name, to recognise it later.")})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": _("The expiry must be in the future.")})
    prefix = secrets.token_hex(6)
    secret = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        user=user, name=name[:100], prefix=prefix, digest=digest_of(secret), expires_at=expires_at
    )
    return CreatedToken(token=token, secret=secret)


def may_revoke(*, user, token: ApiToken) -> bool:
    return token.user_id == user.pk or user.has_perm(REVOKE_ANY)


@transaction.atomic
def revoke_token(*, token: ApiToken, user) -> bool:
    """Revoke `token` (its owner, or who may revoke anyone's). Returns whether it changed."""
    if not may_revoke(user=user, token=token):
        raise PermissionDenied(_("This token belongs to another user."))
    return bool(
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now(), revoked_by=user)
    )


class TokenRefused(Exception):
    """The token is unknown, revoked or expired (the message says which)."""


def token_for(raw: str) -> ApiToken:
    """The active token `raw` stands for, with its user; TokenRefused otherwise."""
    raw = raw.strip()
    parts = raw.split("_", 2)
    if len(parts) != 3 or f"{parts[0]}_" != TOKEN_PREFIX or not parts[1] or len(raw) > 200:
        raise TokenRefused(_("The token is not valid."))
    # The user's salesperson (crm.contacts) comes with the user: what the user records takes
    # it as its default, and the token is read on every request. `get`, not `first`: the
    # prefix is unique, and first()'s ORDER BY costs CPU on every request.
    try:
        token = ApiToken.objects.select_related("user", "user__salesperson").get(prefix=parts[1])
    except ApiToken.DoesNotExist:
        token = None
    if token is None or not hmac.compare_digest(token.digest, digest_of(raw)):
        raise TokenRefused(_("The token is not valid."))
    if token.is_revoked:
        raise TokenRefused(_("The token has been revoked."))
    if token.is_expired:
        raise TokenRefused(_("The token has expired."))
    if not token.user.is_active:
        raise TokenRefused(_("The token's user is inactive."))
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def tokens_of(user):
    return ApiToken.objects.filter(user=user)


def all_tokens():
    return ApiToken.objects.select_related("user", "revoked_by")
