"""Throttling per token: each personal token has its own budget (a user's tokens do not
share one; a browser session counts per user), API_THROTTLE_RATE requests per period,
counted in the default cache (Redis when CACHE_URL says so). A cache that does not answer
lets the request through (crm/shared_cache.py): the API goes on unthrottled rather than
failing every request."""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from crm.shared_cache import if_cache_answers

from .models import ApiToken


class PerTokenThrottle(SimpleRateThrottle):
    scope = "api"

    def get_rate(self):
        # Read at call time, so that a changed setting applies without a restart of DRF's settings.
        return settings.API_THROTTLE_RATE

    def allow_request(self, request, view):
        return if_cache_answers(lambda: super(PerTokenThrottle, self).allow_request(request, view), fallback=True,
                                what="API throttle")  # fmt: skip

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.pk}"
        elif request.user is not None and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"address-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
