"""Every URL pattern of the project, walked as an anonymous visitor and as each group.

The table below says, for each named pattern, how to build its address from the objects
the test creates and which status each role gets for GET and for an empty POST. A
pattern missing from the table (a page added without deciding who may see it) fails
`test_every_url_pattern_is_in_the_permission_table`.

Statuses: LOGIN is a redirect to the login page (and nothing else for anonymous
visitors: never a page with data); 403 the user lacks the permission; 405 the method is
not allowed; 302 a redirect after an action; 400/404 bad or unknown input.
"""

import dataclasses
import uuid
from collections.abc import Callable

import pytest
from django.contrib.admin.sites import site as admin_site
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from .security_support import ROLES, World, build_world, client_of, user_of

pytestmark = pytest.mark.django_db

LOGIN = "login"  # a redirect to /accounts/login/?next=...
ANY_REDIRECT = 302


@dataclasses.dataclass(frozen=True)
class Route:
    url: Callable[[World], str]
    # role -> status for GET, and for a POST without data (None: not walked with POST).
    get: dict[str, object]
    post: dict[str, object] | None = None


def every(status, *, anonymous=LOGIN) -> dict[str, object]:
    return {"anonymous": anonymous, "sales": status, "manager": status, "admin": status}


def roles(sales, manager, admin, *, anonymous=LOGIN) -> dict[str, object]:
    return {"anonymous": anonymous, "sales": sales, "manager": manager, "admin": admin}


def api(status) -> dict[str, object]:
    """An API endpoint: 401 (JSON) without a token or session, never the login page."""
    return every(status, anonymous=401)


def api_roles(sales, manager, admin) -> dict[str, object]:
    return roles(sales, manager, admin, anonymous=401)


def named(name: str, *args, query: str = "") -> Callable[[World], str]:
    def build(world: World) -> str:
        values = [arg(world) if callable(arg) else arg for arg in args]
        return reverse(name, args=values) + (f"?{query(world) if callable(query) else query}" if query else "")

    return build


contact_query = lambda w: f"contact={w.person.number}"  # noqa: E731
language_query = "language=en"
TASK_ID = uuid.UUID("00000000-0000-4000-8000-000000000000")


TABLE: dict[str, Route] = {
    # --- django.contrib.auth, i18n, home -------------------------------------------------
    "set_language": Route(named("set_language"), get=every(ANY_REDIRECT, anonymous=ANY_REDIRECT),
                          post=every(ANY_REDIRECT, anonymous=ANY_REDIRECT)),
    "home": Route(named("home"), get=every(200), post=every(200)),
    "favicon": Route(named("favicon"), get=every(ANY_REDIRECT, anonymous=ANY_REDIRECT)),
    "login": Route(named("login"), get=every(200, anonymous=200), post=every(200, anonymous=200)),
    # The admin's login page, throttled (crm/login_throttle.py); logged-in non-staff users
    # see its form too (it says they are not authorized).
    "admin-login-throttled": Route(named("admin-login-throttled"), get=roles(200, 200, ANY_REDIRECT, anonymous=200),
                                   post=roles(200, 200, 200, anonymous=200)),
    "logout": Route(named("logout"), get=every(405), post=every(ANY_REDIRECT, anonymous=ANY_REDIRECT)),
    "password_change": Route(named("password_change"), get=every(200), post=every(200)),
    "password_change_done": Route(named("password_change_done"), get=every(200)),
    # Password reset is for users who cannot log in: public by design (Django's own views).
    "password_reset": Route(named("password_reset"), get=every(200, anonymous=200),
                            post=every(200, anonymous=200)),
    "password_reset_done": Route(named("password_reset_done"), get=every(200, anonymous=200)),
    "password_reset_confirm": Route(named("password_reset_confirm", "MQ", "set-password"),
                                    get=every(200, anonymous=200)),
    "password_reset_complete": Route(named("password_reset_complete"), get=every(200, anonymous=200)),
    # --- contacts ------------------------------------------------------------------------
    "contacts:list": Route(named("contacts:list"), get=every(200)),
    "contacts:detail": Route(named("contacts:detail", lambda w: w.person.number), get=every(200)),
    "contacts:campaigns": Route(named("contacts:campaigns"), get=every(200)),
    "contacts:campaign-detail": Route(named("contacts:campaign-detail", lambda w: w.campaign.number), get=every(200)),
    # --- documents -----------------------------------------------------------------------
    "documents:list": Route(named("documents:list"), get=every(200)),
    "documents:show": Route(named("documents:show"), get=every(400)),
    "documents:version": Route(named("documents:version", lambda w: w.version.pk), get=every(200)),
    "documents:detail": Route(named("documents:detail", lambda w: w.document.pk), get=every(200)),
    "documents:archive": Route(named("documents:archive", lambda w: w.document.pk), get=every(405),
                               post=roles(403, ANY_REDIRECT, ANY_REDIRECT)),
    "documents:print": Route(named("documents:print", lambda w: w.document.pk), get=every(200), post=every(200)),
    "documents:printed": Route(named("documents:printed", lambda w: w.document.pk, query=language_query),
                               get=every(200)),
    "documents:printout": Route(named("documents:printout", lambda w: w.document.pk, query=language_query),
                                get=every(200)),
    "documents:pdf": Route(named("documents:pdf", lambda w: w.document.pk, query=language_query), get=every(200)),
    # --- search: every logged-in user searches; what each finds is filtered ----------------
    "search:results": Route(named("search:results", query="q=Anna"), get=every(200), post=every(405)),
    "search:suggestions": Route(named("search:suggestions", query="q=Anna"), get=every(200), post=every(405)),
    # --- interactions: log, entries, attachments ------------------------------------------
    "interactions:log": Route(named("interactions:log"), get=every(200)),
    "interactions:log-actions": Route(named("interactions:log-actions"), get=every(405), post=every(ANY_REDIRECT)),
    "interactions:log-exports": Route(named("interactions:log-exports"), get=every(200), post=every(ANY_REDIRECT)),
    # Nobody's export (an export is its owner's alone: anyone else gets 404 too).
    "interactions:log-export": Route(named("interactions:log-export", TASK_ID), get=every(404), post=every(405)),
    "interactions:log-export-download": Route(named("interactions:log-export-download", TASK_ID), get=every(404)),
    "interactions:log-view-create": Route(named("interactions:log-view-create"), get=every(405),
                                          post=every(ANY_REDIRECT)),
    # A view that does not exist (or is another user's private one) is not found by anyone.
    "interactions:log-view-change": Route(named("interactions:log-view-change", 999999), get=every(405),
                                          post=every(404)),
    "interactions:log-view-delete": Route(named("interactions:log-view-delete", 999999), get=every(405),
                                          post=every(404)),
    "interactions:entry-detail": Route(named("interactions:entry-detail", lambda w: w.entry.entry_no),
                                       get=every(200), post=every(200)),
    "interactions:attachment-download": Route(named("interactions:attachment-download", lambda w: w.attachment.pk),
                                              get=every(200)),
    "interactions:entry-resend": Route(named("interactions:entry-resend", lambda w: w.email_entry.entry_no),
                                       get=every(405), post=every(ANY_REDIRECT)),
    # Resending what an entry keeps: the owner rule (the world's entry was recorded by no
    # user, so only those who act on others' entries may; sales staff are sent back to it).
    "interactions:entry-resend-attachment": Route(
        named("interactions:entry-resend-attachment", lambda w: w.entry.entry_no), get=roles(302, 200, 200),
        post=roles(302, 200, 200)),
    # --- interactions: e-mail, drafts, cover sheets, calls, meetings -----------------------
    # Another user's e-mail draft: the owner rule.
    "interactions:email-draft": Route(named("interactions:email-draft", lambda w: w.email_draft.entry_no),
                                      get=roles(403, 200, 200), post=roles(403, 200, 200)),
    "interactions:cover-sheet": Route(named("interactions:cover-sheet", query=contact_query), get=every(200),
                                      post=every(200)),
    "interactions:cover-sheet-printed": Route(named("interactions:cover-sheet-printed", query=contact_query),
                                              get=every(200), post=every(405)),
    "interactions:cover-sheet-pdf": Route(
        named("interactions:cover-sheet-pdf", query=lambda w: f"contact={w.person.number}&language=en"),
        get=every(200), post=every(405)),
    "interactions:email-new": Route(named("interactions:email-new", query=contact_query), get=every(200),
                                    post=every(200)),
    "interactions:contact-timeline": Route(named("interactions:contact-timeline", lambda w: w.person.number),
                                           get=every(200), post=every(405)),
    "interactions:contact-composer": Route(named("interactions:contact-composer", lambda w: w.person.number, "call"),
                                           get=every(200), post=every(200)),
    "interactions:call-new": Route(named("interactions:call-new", query=contact_query), get=every(200),
                                   post=every(200)),
    "interactions:meeting-new": Route(named("interactions:meeting-new", query=contact_query), get=every(200),
                                      post=every(200)),
    # --- interactions: recording, postponed ---------------------------------------------
    "interactions:new": Route(named("interactions:new"), get=every(200), post=every(200)),
    "interactions:contact-search": Route(named("interactions:contact-search", query="q=Anna"), get=every(200),
                                         post=every(405)),
    "interactions:postponed": Route(named("interactions:postponed"), get=every(200)),
    # The postponed entry belongs to another user (the test's sales staff user is not its
    # owner): only those who handle everyone's postponed interactions reach it.
    "interactions:postponed-resume": Route(named("interactions:postponed-resume", lambda w: w.postponed.entry_no),
                                           get=roles(403, 200, 200), post=roles(403, 200, 200)),
    "interactions:postponed-delete": Route(named("interactions:postponed-delete", lambda w: w.postponed.entry_no),
                                           get=roles(403, 200, 200), post=roles(403, ANY_REDIRECT, ANY_REDIRECT)),
    # --- interactions: purge -------------------------------------------------------------
    "interactions:purge": Route(named("interactions:purge"), get=roles(403, 200, 200),
                                post=roles(403, ANY_REDIRECT, ANY_REDIRECT)),
    "interactions:purge-progress": Route(named("interactions:purge-progress", TASK_ID), get=roles(403, 200, 200),
                                         post=roles(403, 405, 405)),
    # --- interactions: templates, groups, setup, totals -----------------------------------
    "interactions:templates": Route(named("interactions:templates"), get=every(200)),
    "interactions:template-create": Route(named("interactions:template-create"), get=roles(403, 403, 200),
                                          post=roles(403, 403, 200)),
    "interactions:template-detail": Route(named("interactions:template-detail", lambda w: w.template.code),
                                          get=every(200)),
    "interactions:template-edit": Route(named("interactions:template-edit", lambda w: w.template.code),
                                        get=roles(403, 403, 200), post=roles(403, 403, 200)),
    "interactions:template-delete": Route(named("interactions:template-delete", lambda w: w.template.code),
                                          get=roles(403, 403, 200), post=roles(403, 403, ANY_REDIRECT)),
    "interactions:groups": Route(named("interactions:groups"), get=every(200)),
    "interactions:group-create": Route(named("interactions:group-create"), get=roles(403, 403, 200),
                                       post=roles(403, 403, 200)),
    "interactions:group-edit": Route(named("interactions:group-edit", lambda w: w.group.code),
                                     get=roles(403, 403, 200), post=roles(403, 403, 200)),
    "interactions:setup": Route(named("interactions:setup"), get=every(200), post=roles(403, 403, ANY_REDIRECT)),
    "interactions:salespeople": Route(named("interactions:salespeople"), get=every(200)),
    # --- interactions: segments ----------------------------------------------------------
    "interactions:segments": Route(named("interactions:segments"), get=every(200), post=every(200)),
    "interactions:segment-detail": Route(named("interactions:segment-detail", lambda w: w.segment.number),
                                         get=every(200)),
    "interactions:segment-edit": Route(named("interactions:segment-edit", lambda w: w.segment.number),
                                       get=every(200), post=every(200)),
    "interactions:segment-update-lines": Route(
        named("interactions:segment-update-lines", lambda w: w.segment.number), get=every(405),
        post=every(ANY_REDIRECT)),
    "interactions:segment-criteria": Route(named("interactions:segment-criteria", lambda w: w.segment.number),
                                           get=every(200), post=every(200)),
    "interactions:segment-go-back": Route(named("interactions:segment-go-back", lambda w: w.segment.number),
                                          get=every(405), post=every(ANY_REDIRECT)),
    "interactions:segment-log": Route(named("interactions:segment-log", lambda w: w.segment.number),
                                      get=every(200), post=every(ANY_REDIRECT)),  # GET: the log dialog
    "interactions:segment-lines-remove": Route(
        named("interactions:segment-lines-remove", lambda w: w.segment.number), get=every(405),
        post=every(ANY_REDIRECT)),
    "interactions:segment-line-edit": Route(
        named("interactions:segment-line-edit", lambda w: w.segment.number, lambda w: w.line.pk), get=every(200),
        post=every(200)),
    "interactions:segment-delete": Route(named("interactions:segment-delete", lambda w: w.segment.number),
                                         get=every(200), post=every(ANY_REDIRECT)),
    "interactions:segment-save-criteria": Route(
        named("interactions:segment-save-criteria", lambda w: w.segment.number), get=every(405),
        post=every(ANY_REDIRECT)),
    "interactions:segment-reuse-criteria": Route(
        named("interactions:segment-reuse-criteria", lambda w: w.segment.number), get=every(405),
        post=every(ANY_REDIRECT)),
    "interactions:segment-reuse-segment": Route(
        named("interactions:segment-reuse-segment", lambda w: w.segment.number), get=every(405),
        post=every(ANY_REDIRECT)),
    "interactions:segment-lines-campaign-flags": Route(
        named("interactions:segment-lines-campaign-flags", lambda w: w.segment.number), get=every(405),
        post=every(ANY_REDIRECT)),
    "interactions:logged-segments": Route(named("interactions:logged-segments"), get=every(200)),
    "interactions:logged-segment-reuse": Route(
        named("interactions:logged-segment-reuse", lambda w: w.logged_segment.pk), get=every(405),
        post=every(ANY_REDIRECT)),
    "interactions:logged-segment-cancel": Route(
        named("interactions:logged-segment-cancel", lambda w: w.logged_segment.pk), get=roles(405, 405, 405),
        post=roles(403, 200, 200)),
    # Delivery of a logged segment (#15): the world's logged segment has no letters.
    "interactions:logged-segment-delivery": Route(
        named("interactions:logged-segment-delivery", lambda w: w.logged_segment.pk), get=every(200)),
    "interactions:logged-segment-retry-failed": Route(
        named("interactions:logged-segment-retry-failed", lambda w: w.logged_segment.pk), get=every(405),
        post=every(ANY_REDIRECT)),
    "interactions:logged-segment-letters": Route(
        named("interactions:logged-segment-letters", lambda w: w.logged_segment.pk), get=every(404)),
    # The unsubscribe link of a bulk e-mail needs no login; a link that is not one answers 404.
    "interactions:unsubscribe": Route(named("interactions:unsubscribe", "not-a-token"),
                                      get=every(404, anonymous=404), post=every(404, anonymous=404)),
    "interactions:logged-segments-delete-canceled": Route(
        named("interactions:logged-segments-delete-canceled"), get=every(405), post=roles(403, 200, 200)),
    # --- interactions: e-mail capture (setup: administrators; health: managers too) ----------
    # The world has no mailbox: a number that is none answers 404 to those who may look.
    "interactions:mailboxes": Route(named("interactions:mailboxes"), get=roles(403, 200, 200)),
    "interactions:mailbox-create": Route(named("interactions:mailbox-create"), get=roles(403, 403, 200)),
    "interactions:mailbox-edit": Route(named("interactions:mailbox-edit", 999999), get=roles(403, 403, 404)),
    "interactions:mailbox-run": Route(named("interactions:mailbox-run", 999999), get=roles(403, 403, 405),
                                      post=roles(403, 403, 404)),
    "interactions:mailbox-health": Route(named("interactions:mailbox-health", 999999), get=roles(403, 404, 404)),
    "interactions:skipped-message": Route(named("interactions:skipped-message", 999999), get=roles(403, 404, 404)),
    "interactions:skipped-message-raw": Route(named("interactions:skipped-message-raw", 999999),
                                              get=roles(403, 404, 404)),
    # --- interactions: webhooks (administrators) -------------------------------------------
    "interactions:webhooks": Route(named("interactions:webhooks"), get=roles(403, 403, 200)),
    "interactions:webhook-create": Route(named("interactions:webhook-create"), get=roles(403, 403, 200),
                                         post=roles(403, 403, 200)),
    "interactions:webhook-detail": Route(named("interactions:webhook-detail", lambda w: w.webhook.pk),
                                         get=roles(403, 403, 200)),
    "interactions:webhook-edit": Route(named("interactions:webhook-edit", lambda w: w.webhook.pk),
                                       get=roles(403, 403, 200), post=roles(403, 403, 200)),
    "interactions:webhook-test": Route(named("interactions:webhook-test", lambda w: w.webhook.pk),
                                       get=roles(403, 403, 405), post=roles(403, 403, ANY_REDIRECT)),
    "interactions:webhook-rotate": Route(named("interactions:webhook-rotate", lambda w: w.webhook.pk),
                                         get=roles(403, 403, 405), post=roles(403, 403, ANY_REDIRECT)),
    # --- personal API tokens (the profile page) --------------------------------------------
    "api:tokens": Route(named("api:tokens"), get=every(200), post=every(200)),
    "api:tokens-all": Route(named("api:tokens-all"), get=roles(403, 403, 200)),
    # No token has this number: nobody learns whether another user's token exists.
    "api:token-revoke": Route(named("api:token-revoke", 999999), get=every(405), post=every(404)),
    # --- the API's schema and documentation pages --------------------------------------
    "api-schema": Route(named("api-schema"), get=every(200, anonymous=401), post=every(405, anonymous=401)),
    "api-docs": Route(named("api-docs"), get=every(200)),
    "api-redoc": Route(named("api-redoc"), get=every(200)),
    # --- the REST API (/api/v1/): 401 without a token or session, then the groups' permissions
    "api-me": Route(named("api-me"), get=api(200), post=api(405)),
    "interactions-api:contact-list": Route(named("interactions-api:contact-list"), get=api(200), post=api(405)),
    "interactions-api:contact-detail": Route(named("interactions-api:contact-detail", lambda w: w.person.number),
                                             get=api(200), post=api(405)),
    "interactions-api:contact-timeline": Route(
        named("interactions-api:contact-timeline", lambda w: w.person.number), get=api(200), post=api(405)),
    "interactions-api:contact-statistics": Route(
        named("interactions-api:contact-statistics", lambda w: w.person.number), get=api(200), post=api(405)),
    "interactions-api:log-entry-list": Route(named("interactions-api:log-entry-list"), get=api(200), post=api(400)),
    "interactions-api:log-entry-detail": Route(named("interactions-api:log-entry-detail", lambda w: w.entry.entry_no),
                                               get=api(200), post=api(405)),
    "interactions-api:log-entry-cancel": Route(named("interactions-api:log-entry-cancel", lambda w: w.entry.entry_no),
                                               get=api(405), post=api_roles(403, 200, 200)),
    "interactions-api:log-entry-restore": Route(
        named("interactions-api:log-entry-restore", lambda w: w.entry.entry_no), get=api(405),
        post=api_roles(403, 200, 200)),
    "interactions-api:log-entry-evaluate": Route(
        named("interactions-api:log-entry-evaluate", lambda w: w.entry.entry_no), get=api(405), post=api(400)),
    "interactions-api:log-entry-comments": Route(
        named("interactions-api:log-entry-comments", lambda w: w.entry.entry_no), get=api(405), post=api(400)),
    "interactions-api:postponed-list": Route(named("interactions-api:postponed-list"), get=api(200), post=api(400)),
    # Someone else's postponed interaction: sales staff may not touch it.
    "interactions-api:postponed-detail": Route(
        named("interactions-api:postponed-detail", lambda w: w.postponed.entry_no), get=api(405), post=api(405)),
    "interactions-api:postponed-resume": Route(
        named("interactions-api:postponed-resume", lambda w: w.other_postponed.entry_no), get=api(405),
        post=api_roles(403, 200, 200)),
    "interactions-api:group-list": Route(named("interactions-api:group-list"), get=api(200), post=api(405)),
    "interactions-api:group-detail": Route(named("interactions-api:group-detail", lambda w: w.group.code),
                                           get=api(200)),
    "interactions-api:template-list": Route(named("interactions-api:template-list"), get=api(200), post=api(405)),
    "interactions-api:template-detail": Route(named("interactions-api:template-detail", lambda w: w.template.code),
                                              get=api(200)),
    "interactions-api:template-setup": Route(named("interactions-api:template-setup"), get=api(200),
                                             post=api(405)),
    "interactions-api:segment-list": Route(named("interactions-api:segment-list"), get=api(200), post=api(400)),
    "interactions-api:segment-detail": Route(named("interactions-api:segment-detail", lambda w: w.segment.number),
                                             get=api(200), post=api(405)),
    "interactions-api:segment-lines": Route(named("interactions-api:segment-lines", lambda w: w.segment.number),
                                            get=api(200), post=api(405)),
    "interactions-api:segment-criteria": Route(
        named("interactions-api:segment-criteria", lambda w: w.segment.number), get=api(405), post=api(400)),
    "interactions-api:segment-log": Route(
        named("interactions-api:segment-log", lambda w: w.logged_segment.segment_number),
        get=api(405), post=api(400)),  # logged already
    "interactions-api:logged-segment-list": Route(named("interactions-api:logged-segment-list"), get=api(200),
                                                  post=api(405)),
    "interactions-api:logged-segment-detail": Route(
        named("interactions-api:logged-segment-detail", lambda w: w.logged_segment.pk), get=api(200)),
    "interactions-api:logged-segment-cancel": Route(
        named("interactions-api:logged-segment-cancel", lambda w: w.logged_segment.pk), get=api(405),
        post=api_roles(403, 200, 200)),
    "interactions-api:logged-segment-restore": Route(
        named("interactions-api:logged-segment-restore", lambda w: w.logged_segment.pk), get=api(405),
        post=api_roles(403, 200, 200)),
    "interactions-api:document-list": Route(named("interactions-api:document-list"), get=api(200), post=api(405)),
    "interactions-api:document-detail": Route(named("interactions-api:document-detail", lambda w: w.document.pk),
                                              get=api(200)),
    "interactions-api:document-print": Route(named("interactions-api:document-print", lambda w: w.document.pk),
                                             get=api(405), post=api(200)),
    "interactions-api:purge": Route(named("interactions-api:purge"), get=api_roles(403, 200, 200),
                                    post=api_roles(403, 202, 202)),
    "interactions-api:purge-progress": Route(named("interactions-api:purge-progress", TASK_ID),
                                             get=api_roles(403, 200, 200), post=api_roles(403, 405, 405)),
}  # fmt: skip


def url_pattern_names(resolver=None, namespace: str = "", prefix: str = "") -> set[str]:
    """Every pattern of the URLconf: its name with namespaces, or its route when unnamed."""
    resolver = resolver or get_resolver()
    names = set()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= url_pattern_names(pattern, inner, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            names.add(f"{namespace}{pattern.name}" if pattern.name else f"{namespace}{prefix}{pattern.pattern}")
    return names


def test_every_url_pattern_is_in_the_permission_table():
    outside_admin = {name for name in url_pattern_names() if not name.startswith("admin:")}
    missing = sorted(outside_admin - TABLE.keys())
    stale = sorted(TABLE.keys() - outside_admin)
    assert not missing, f"URL patterns without an entry in the permission table: {missing}"
    assert not stale, f"Entries of the permission table without a URL pattern: {stale}"


def _matches(response, expected) -> bool:
    if expected == LOGIN:
        return response.status_code == 302 and response["Location"].startswith(reverse("login") + "?next=")
    return response.status_code == expected


def _walk(role: str, method: str) -> list[str]:
    """Mismatches between the table and what `role` gets with `method`."""
    world = build_world()
    client = client_of(role)
    mismatches = []
    # Routes that delete go last, so that they do not take away what the others show, and
    # logging out the very last; logging the segment just before them (a logged segment is
    # read-only: its pages would only refuse).
    ordered = sorted(
        TABLE.items(),
        key=lambda item: (item[0] == "logout", "delete" in item[0], item[0] == "interactions:segment-log"),
    )
    for name, route in ordered:
        expected_by_role = route.get if method == "get" else route.post
        if expected_by_role is None:
            continue
        expected = expected_by_role[role]
        url = route.url(world)
        response = getattr(client, method)(url)
        if not _matches(response, expected):
            where = response.get("Location", "")
            mismatches.append(f"{method.upper()} {name} {url}: expected {expected}, got {response.status_code} {where}")
        if role == "anonymous" and response.status_code == 200:
            # The few public pages (login, password reset) show no data.
            page = response.content.decode()
            assert world.person.name not in page and world.entry.description not in page, url
    return mismatches


@pytest.mark.parametrize("role", ROLES)
def test_every_page_answers_get_as_the_permission_table_says(role):
    assert _walk(role, "get") == []


@pytest.mark.parametrize("role", ROLES)
def test_every_post_endpoint_answers_an_empty_post_as_the_permission_table_says(role, tasks_in_process):
    assert _walk(role, "post") == []


def test_anonymous_visitors_are_sent_to_the_login_page_with_no_data(client):
    world = build_world(text="Secret")
    response = client.get(reverse("interactions:entry-detail", args=[world.entry.entry_no]))
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next=/interactions/log/{world.entry.entry_no}/"
    assert b"Secret" not in response.content


# --- The Django admin: one family, protected by its own login and the staff flag ---------


def admin_urls() -> list[str]:
    changelist = reverse("admin:interactions_interactiontemplate_changelist")
    add = reverse("admin:interactions_interactiontemplate_add")
    return [reverse("admin:index"), changelist, add]


def test_the_admin_is_registered_under_its_namespace():
    assert admin_site.name == "admin"
    assert any(name.startswith("admin:") for name in url_pattern_names())


@pytest.mark.parametrize("url", admin_urls())
def test_anonymous_visitors_are_sent_to_the_admin_login(url):
    response = client_of("anonymous").get(url)
    assert response.status_code == 302
    assert response["Location"].startswith((reverse("admin:login"), reverse("login") + "?next="))


@pytest.mark.parametrize("role", ["sales", "manager"])
@pytest.mark.parametrize("url", admin_urls())
def test_sales_users_who_are_not_staff_do_not_reach_the_admin(role, url):
    response = client_of(role).get(url)
    # Not staff: the admin sends them to its login page (302) rather than showing anything.
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert response["Location"].startswith(reverse("admin:login"))
    assert b"TPL" not in response.content


@pytest.mark.parametrize("url", admin_urls())
def test_administrators_reach_the_admin(url):
    assert client_of("admin").get(url).status_code == 200


# --- The API with a token that no longer counts ----------------------------------------


def _api_routes() -> list[str]:
    return sorted(name for name, route in TABLE.items() if route.get.get("anonymous") == 401)


@pytest.mark.parametrize("state", ["revoked", "expired"])
def test_every_api_endpoint_refuses_a_revoked_or_expired_token_with_401_and_changes_nothing(state):
    import datetime

    from django.utils import timezone

    from crm.api import tokens
    from interactions.models import InteractionLogEntry

    world = build_world()
    user = user_of("admin")  # who may do everything: the token alone is refused
    created = tokens.create_token(user=user, name="Old")
    if state == "revoked":
        tokens.revoke_token(token=created.token, user=user)
    else:
        created.token.expires_at = timezone.now() - datetime.timedelta(minutes=1)
        created.token.save()
    before = list(InteractionLogEntry.objects.order_by("pk").values())
    client = Client(HTTP_AUTHORIZATION=f"Bearer {created.secret}")
    mismatches = []
    for name in _api_routes():
        route = TABLE[name]
        for method in ("get", "post") if route.post else ("get",):
            response = getattr(client, method)(route.url(world))
            if response.status_code != 401 or response["Content-Type"] != "application/json":
                mismatches.append(f"{method.upper()} {name}: {response.status_code}")
    assert mismatches == []
    assert list(InteractionLogEntry.objects.order_by("pk").values()) == before
