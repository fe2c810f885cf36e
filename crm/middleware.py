from django.conf import settings
from django.http import HttpResponseRedirect
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.urls import get_script_prefix, is_valid_path
from django.utils import translation


class LocaleMiddleware(DjangoLocaleMiddleware):
    """English at the plain URLs, Russian under /ru/; a Russian browser (or a user who chose
    Russian, by the language cookie) asking for a plain URL is redirected to its /ru/ twin.

    Django's own middleware, with `prefix_default_language=False`, always serves the default
    language at unprefixed URLs and never looks at the browser's language there.
    """

    def process_request(self, request):
        language = translation.get_language_from_path(request.path_info)
        if not language:
            preferred = translation.get_language_from_request(request, check_path=False)
            if preferred != settings.LANGUAGE_CODE and request.method in ("GET", "HEAD"):
                urlconf = getattr(request, "urlconf", None)
                prefixed = f"/{preferred}{request.path_info}"
                with translation.override(preferred):
                    if is_valid_path(prefixed, urlconf):
                        query = request.META.get("QUERY_STRING", "")
                        location = get_script_prefix().rstrip("/") + prefixed + (f"?{query}" if query else "")
                        return HttpResponseRedirect(location)
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
