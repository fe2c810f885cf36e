from django.conf import settings
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.utils import translation


class LocaleMiddleware(DjangoLocaleMiddleware):
    """Russian under the /ru/ prefix, or by the language cookie or the browser's language.

    Django's middleware forces the default language on every unprefixed URL when
    `prefix_default_language=False`; our users expect a Russian browser to get Russian
    pages at the plain URLs too, so unprefixed URLs fall back to the cookie and the
    Accept-Language header. Links on such a page are then reversed with the /ru/ prefix.
    """

    def process_request(self, request):
        language_from_path = translation.get_language_from_path(request.path_info)
        language = language_from_path or translation.get_language_from_request(request, check_path=False)
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
