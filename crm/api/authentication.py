"""How the API knows who calls: a personal token (`Authorization: Bearer crm_...`), else
the browser's session (with its CSRF check on writes)."""

from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

from .permission_cache import load_permissions
from .tokens import TokenRefused, token_for


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Give the token after “Bearer”, with no spaces in it."))
        try:
            raw = header[1].decode()
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("The token is not valid.")) from None
        try:
            token = token_for(raw)
        except TokenRefused as refused:
            raise exceptions.AuthenticationFailed(str(refused)) from None
        load_permissions(user=token.user, token=token)
        return token.user, token

    def authenticate_header(self, request):
        return f'{self.keyword} realm="api"'


class SessionAuthentication(authentication.SessionAuthentication):
    """The browser's session. Its user must be active; writes need the CSRF token."""
