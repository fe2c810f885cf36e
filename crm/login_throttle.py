"""Login throttling: after LOGIN_THROTTLE_ATTEMPTS failed logins for a username within
LOGIN_THROTTLE_SECONDS (or LOGIN_THROTTLE_IP_ATTEMPTS from one client address), further
attempts are refused with status 429 and a message, without checking the password, until
the period has passed. A successful login clears the username's count.

Counts live in the default cache (local memory in development; set CACHE_URL to a shared
cache such as Redis when several processes serve the site, or each counts on its own).
"""

import hashlib

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import LoginView
from django.core.cache import cache
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from crm.shared_cache import if_cache_answers

KEY_PREFIX = "login-throttle"


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def client_address(request) -> str:
    """The client's address: REMOTE_ADDR, or, behind a reverse proxy that sets it
    (LOGIN_THROTTLE_FORWARDED_FOR=1), the last address of X-Forwarded-For, which that
    proxy appended (earlier ones come from the client and can be forged)."""
    if getattr(settings, "LOGIN_THROTTLE_FORWARDED_FOR", False):
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if forwarded:
            return forwarded[-1]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _key(kind: str, value: str) -> str:
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{KEY_PREFIX}:{kind}:{digest}"


class LoginThrottle:
    def __init__(self, *, username: str, address: str):
        self.username_key = _key("user", username.strip().casefold())
        self.address_key = _key("ip", address)

    @property
    def period(self) -> int:
        return _setting("LOGIN_THROTTLE_SECONDS", 900)

    def limits(self) -> list[tuple[str, int]]:
        return [
            (self.username_key, _setting("LOGIN_THROTTLE_ATTEMPTS", 5)),
            (self.address_key, _setting("LOGIN_THROTTLE_IP_ATTEMPTS", 20)),
        ]

    def blocked(self) -> bool:
        # Without the cache, no count is known: the password check alone decides.
        counts = if_cache_answers(
            lambda: cache.get_many([key for key, _limit in self.limits()]), fallback={}, what="login throttle"
        )
        return any(counts.get(key, 0) >= limit for key, limit in self.limits())

    def failed(self) -> None:
        if_cache_answers(self._count_failure, fallback=None, what="login throttle")

    def _count_failure(self) -> None:
        for key, _limit in self.limits():
            # The period starts with the first failure (add does nothing if the key exists).
            cache.add(key, 0, timeout=self.period)
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.set(key, 1, timeout=self.period)

    def succeeded(self) -> None:
        if_cache_answers(lambda: cache.delete(self.username_key), fallback=None, what="login throttle")


def _throttle_of(request, username: str) -> LoginThrottle:
    return LoginThrottle(username=username or "", address=client_address(request))


def count_failed_login(sender, credentials, request=None, **kwargs):
    """Receiver of user_login_failed: every failed password check counts, whichever login
    page (ours, the admin's) asked."""
    if request is not None:
        _throttle_of(request, str(credentials.get("username", ""))).failed()


def clear_after_login(sender, request, user, **kwargs):
    """Receiver of user_logged_in."""
    if request is not None:
        _throttle_of(request, user.get_username()).succeeded()


def _blocked(request) -> bool:
    return request.method == "POST" and _throttle_of(request, request.POST.get("username", "")).blocked()


class ThrottledLoginView(LoginView):
    """Django's login page that refuses, with status 429, attempts over the limit before
    the password is checked. While DEBUG is on it lists the demo logins that exist."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if settings.DEBUG:
            from crm.demo import demo_logins_present

            context["demo_logins"] = demo_logins_present()
        return context

    def post(self, request, *args, **kwargs):
        if _blocked(request):
            minutes = max(1, round(_setting("LOGIN_THROTTLE_SECONDS", 900) / 60))
            context = self.get_context_data(form=self.get_form_class()(request))
            context["throttled_message"] = _(
                "Too many failed login attempts. Try again in %(minutes)d minutes, or ask your administrator "
                "to reset your password."
            ) % {"minutes": minutes}
            return self.render_to_response(context, status=429)
        return super().post(request, *args, **kwargs)


@login_not_required
@never_cache
def admin_login(request, *args, **kwargs):
    """The Django admin's login page, under the same limit."""
    from django.contrib import admin

    if _blocked(request):
        return ThrottledLoginView.as_view()(request)
    return admin.site.login(request)
