from django.conf import settings
from django.http import Http404, HttpResponseBadRequest, HttpResponseRedirect, JsonResponse
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


class RejectNulMiddleware:
    """A NUL character names no page and no record (PostgreSQL refuses it in text): an
    address with one in its path is not found (404), one with one in its query string is a
    bad request (400), before any view looks a value up in the database. (Form fields
    refuse NUL in posted data with a form error: Django's CharField does.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path_info:
            raise Http404("No page has this address.")
        if any("\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()):
            message = "The address holds a character that no value can contain."
            if request.path_info.startswith("/api/"):  # the API answers JSON, always
                return JsonResponse({"detail": message, "code": "bad_request"}, status=400)
            return HttpResponseBadRequest(message)
        return self.get_response(request)
