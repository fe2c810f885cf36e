"""Every page of the project, in English and Russian, at 1280, 1366 and 390 px, in Chromium.

The pages come from the URL resolver (as tests/test_url_permissions.py walks it), so a page
added later is swept without anyone listing it: a pattern is visited when a GET answers 200
with HTML as an administrator (who sees every page); its arguments are filled from the demo
data by ARGUMENTS, and a pattern with an argument no rule fills fails the sweep, naming it.
On each page:

- nothing is wider than the window (`document.scrollingElement.scrollWidth <= innerWidth`);
  the failure names the elements that stick out;
- no console error, no uncaught exception, no failed request (a missing favicon is one);
- Russian pages show no English text of the catalogue: every text node, and the labels of
  controls, is compared with the msgids of locale/ru/LC_MESSAGES/django.po; a msgid still
  untranslated there (empty msgstr) fails with the list to translate, a translated one shown
  in English fails as an untranslated string of the page;
- axe-core (node_modules/axe-core, injected into the page) finds no serious or critical
  violation.

The text and axe checks run once per page and language, at 1280 px (the markup is the same
at every width; CI has two cores and 25 minutes); 1366 and 390 px are checked for width and
the console. The sales staff's
and the manager's navigation differ from the administrator's: their dashboard and log are
checked at every width.

`CRM_SCREENSHOTS=docs/screenshots pytest tests/browser/test_every_page.py -k screenshots`
saves the main pages at 1280 px in both languages (PNG) for the README, each language with
the demo data in that language; without CRM_SCREENSHOTS that test is skipped.
"""

import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import translation

from crm.contacts.models import Campaign, Contact
from crm.documents.models import Document, DocumentVersion
from interactions.models import (
    InteractionGroup,
    InteractionLogEntry,
    LoggedSegment,
    Segment,
    SegmentLine,
    WebhookSubscription,
)

from .conftest import DEMO_ENTRIES, TIMEOUT_MS
from .helpers import PASSWORDS

pytestmark = pytest.mark.browser

VIEWPORTS = {"1280": (1280, 800), "1366": (1366, 768), "390": (390, 844)}
FULL_CHECKS_AT = "1280"  # axe-core and the catalogue (the same markup at every width)
AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
CATALOGUE = Path(settings.BASE_DIR) / "locale" / "ru" / "LC_MESSAGES" / "django.po"
SCREENSHOTS = os.environ.get("CRM_SCREENSHOTS", "")
MAIN_PAGES = {  # screenshot name: pattern name
    "dashboard": "home",
    "interaction-log": "interactions:log",
    "contact-card": "contacts:detail",
    "new-interaction": "interactions:new",
    "segments": "interactions:segments",
    "template-setup": "interactions:setup",
}

# Patterns the sweep leaves alone, and why. Anything else that answers a GET with a page is swept.
NOT_SWEPT = {
    "logout": "a POST",
    "set_language": "a redirect",
    "favicon": "a redirect to the icon",
    "api-docs": "the API's documentation (Swagger UI, a library's page)",
    "api-redoc": "the API's documentation (Redoc, a library's page)",
    "api-schema": "JSON",
    "password_reset_confirm": "needs a token mailed to the user",
    "admin-login-throttled": "the admin's login (Django's page)",
    "password_reset": "Django admin's page, for users who cannot log in",
    "password_reset_done": "Django admin's page, for users who cannot log in",
    "password_reset_complete": "Django admin's page, for users who cannot log in",
}
# What a page needs in its query string to show what it is for.
QUERIES: dict[str, Callable[[str], str]] = {
    "interactions:email-new": lambda language: f"contact={_person()}",
    "interactions:call-new": lambda language: f"contact={_person()}",
    "interactions:meeting-new": lambda language: f"contact={_person()}",
    "interactions:new": lambda language: f"contact={_person()}",
    "documents:printed": lambda language: f"language={language}",
    "documents:printout": lambda language: f"language={language}",
    "search:results": lambda language: "q=Ива",
    "interactions:cover-sheet": lambda language: f"contact={_person()}",
}
NOT_SWEPT_PREFIXES = {"admin:": "the Django admin", "interactions-api:": "the REST API (JSON)", "api-": "JSON"}


def _first(queryset, what: str):
    found = queryset.first()
    assert found is not None, f"the demo data have no {what}"
    return found


def _webhook():
    return WebhookSubscription.objects.first() or WebhookSubscription.objects.create(
        description="CRM sync", url="https://hooks.example.com/crm", events=["entry.created"], secret="s" * 40
    )


# (argument, part of the pattern's name, value from the demo data): the first rule whose
# argument and name part match fills the argument. A pattern with an argument that no rule
# fills fails the sweep (add a rule, or a NOT_SWEPT entry with the reason).
ARGUMENTS: list[tuple[str, str, Callable[[], object]]] = [
    ("number", "contact-timeline", lambda: None),  # an htmx fragment of the contact card
    ("number", "contact-composer", lambda: None),  # an htmx fragment of the contact card
    ("kind", "contact-composer", lambda: None),
    ("pk", "log-view", lambda: None),  # actions on a saved view (POST)
    ("export_id", "log-export", lambda: None),  # the demo has no Excel export
    ("token", "unsubscribe", lambda: None),  # reached from an e-mail, without login
    ("pk", "mailbox", lambda: None),  # the demo sets up no mailbox
    ("pk", "skipped-message", lambda: None),  # nor skipped messages
    ("entry_no", "postponed", lambda: _first(InteractionLogEntry.objects.filter(postponed=True), "postponed entry").pk),
    ("entry_no", "", lambda: _first(InteractionLogEntry.objects.filter(postponed=False).order_by("-pk"), "entry").pk),
    ("pk", "documents:version", lambda: _first(DocumentVersion.objects.order_by("pk"), "document version").pk),
    ("pk", "documents:", lambda: _first(Document.objects.order_by("pk"), "document").pk),
    ("pk", "logged-segment", lambda: _first(LoggedSegment.objects.order_by("pk"), "logged segment").pk),
    ("pk", "segment-line", lambda: _first(SegmentLine.objects.filter(segment__number=_segment()), "segment line").pk),
    ("pk", "webhook", lambda: _webhook().pk),
    ("pk", "attachment", lambda: None),  # a download
    ("pk", "token", lambda: None),  # an action
    ("number", "contacts:campaign", lambda: _first(Campaign.objects.order_by("number"), "campaign").number),
    ("number", "contacts:", lambda: _first(Contact.objects.filter(type="person").order_by("number"), "person").number),
    ("number", "segment", lambda: _segment()),
    ("code", "group", lambda: _first(InteractionGroup.objects.order_by("code"), "group").code),
    ("code", "template", lambda: "BUS"),
    ("task_id", "purge", lambda: None),  # no purge has run
]


def _person() -> str:
    """A person of a company, with its e-mail and phone (the demo's first)."""
    persons = Contact.objects.filter(type="person", company__isnull=False).exclude(email="")
    return _first(persons.order_by("number"), "person").number


def _segment() -> str:
    """A segment still being built, with lines (the demo's "Customers in Moscow")."""
    segments = Segment.objects.filter(lines__isnull=False).exclude(
        number__in=LoggedSegment.objects.values("segment_number")
    )
    return _first(segments.order_by("number"), "segment with lines").number


def _patterns(resolver=None, namespace: str = "", arguments: tuple = ()):
    """(name, arguments) of every pattern, arguments in order, from the outermost resolver."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        own = tuple(getattr(pattern.pattern, "converters", {}) or ())
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _patterns(pattern, inner, arguments + own)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}", arguments + own


def pages_to_sweep() -> dict[str, str]:
    """Pattern name -> its address in English, for every pattern that may be a page."""
    pages, unfilled = {}, []
    for name, arguments in _patterns():
        if name in NOT_SWEPT or any(name.startswith(prefix) for prefix in NOT_SWEPT_PREFIXES):
            continue
        values = []
        for argument in arguments:
            rule = next((fill for arg, part, fill in ARGUMENTS if arg == argument and part in name), None)
            if rule is None:
                unfilled.append(f"{name} ({argument})")
                break
            values.append(rule())
        else:
            if None not in values:
                query = QUERIES[name](translation.get_language()) if name in QUERIES else ""
                pages[name] = reverse(name, args=values) + (f"?{query}" if query else "")
    assert not unfilled, f"patterns whose arguments the sweep cannot fill (add a rule to ARGUMENTS): {unfilled}"
    return pages


def catalogue() -> dict[str, str]:
    """msgid -> msgstr of the Russian catalogue (singular messages without placeholders)."""
    text = CATALOGUE.read_text(encoding="utf-8")
    messages = {}
    for block in text.split("\n\n"):
        if "msgid_plural" in block or "#, fuzzy" in block:
            continue
        fields = {}
        current = None
        for line in block.splitlines():
            match = re.match(r'^(msgctxt|msgid|msgstr) "(.*)"$', line)
            if match:
                current = match.group(1)
                fields[current] = match.group(2)
            elif line.startswith('"') and current:
                fields[current] += line[1:-1]
        msgid = fields.get("msgid", "").replace('\\"', '"').replace("\\n", " ")
        if msgid and "%" not in msgid and "{" not in msgid and re.search("[A-Za-z]{3}", msgid):
            messages[" ".join(msgid.split())] = fields.get("msgstr", "")
    return messages


# The texts a user reads: each element's own text, the labels and hints of controls. Code,
# data the user typed and what is marked translate="no" are not interface text.
VISIBLE_TEXTS = """
() => {
  const skip = "script, style, code, pre, kbd, textarea, option, [translate=no], .visually-hidden-focusable";
  // Text in another language than the page's (the language menu's "English") is meant so.
  const otherLanguage = (element) => (element.closest("[lang]")?.lang || "") !== document.documentElement.lang;
  const texts = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const element = node.parentElement;
    if (!element || element.closest(skip) || otherLanguage(element)) continue;
    const text = node.textContent.replace(/\\s+/g, " ").trim();
    if (text) texts.add(text);
  }
  const labelled = "[placeholder], [aria-label], [title], img[alt]";
  document.querySelectorAll(labelled).forEach((element) => {
    if (element.closest("[translate=no]") || otherLanguage(element)) return;
    for (const name of ["placeholder", "aria-label", "title", "alt"]) {
      const value = (element.getAttribute(name) || "").replace(/\\s+/g, " ").trim();
      if (value) texts.add(value);
    }
  });
  texts.add(document.title.replace(/\\s+/g, " ").trim());
  return [...texts];
}
"""

# Elements that stick out of the window, innermost first, outside scroll containers (a
# table scrolling inside its card is what a phone should do).
WIDER_THAN_WINDOW = """
() => {
  const width = document.documentElement.clientWidth;
  const scrolls = (element) => {
    for (let parent = element.parentElement; parent && parent !== document.body; parent = parent.parentElement) {
      const style = getComputedStyle(parent);
      if (/(auto|scroll|hidden|clip)/.test(style.overflowX)) return true;
    }
    return false;
  };
  const name = (element) =>
    element.tagName.toLowerCase() + (element.id ? `#${element.id}` : "") +
    [...element.classList].slice(0, 3).map((c) => `.${c}`).join("");
  const outside = (element) => element.getBoundingClientRect().right > width + 1;
  const all = [...document.body.querySelectorAll("*")];
  let wide = all.filter((element) => {
    const box = element.getBoundingClientRect();
    const fixed = getComputedStyle(element).position === "fixed";
    return box.width > 0 && outside(element) && !fixed && !scrolls(element);
  });
  // Absolutely positioned text inside a scroll box whose containing block is outside it
  // escapes the box (a .visually-hidden span in a table that is not position: relative).
  if (!wide.length) wide = all.filter((el) => getComputedStyle(el).position === "absolute" && outside(el));
  return wide
    .filter((element) => !wide.some((other) => other !== element && element.contains(other)))
    .slice(0, 5)
    .map((element) => `${name(element)} (right edge ${Math.round(element.getBoundingClientRect().right)} px)`);
}
"""

AXE_RUN = """
async () => {
  const result = await axe.run(document, {
    runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
    resultTypes: ["violations"],
  });
  return result.violations
    .filter((violation) => ["serious", "critical"].includes(violation.impact))
    .map((violation) => `${violation.id} (${violation.impact}): ` +
      violation.nodes.slice(0, 3).map((node) => node.target.join(" ")).join(", "));
}
"""


@pytest.fixture
def russian_demo(postgresql, live_server, chromium):
    """The live server with the demo data in Russian (load_demo --language ru), so that data
    that happen to equal an English msgid ("E-mail") are not taken for untranslated text."""
    import io

    call_command("load_demo", entries=DEMO_ENTRIES, language="ru", allow_known_passwords=True, stdout=io.StringIO())
    return live_server


class Sweep:
    """One browser context per window width, logged in once; what each page shows wrong."""

    def __init__(self, chromium, base_url: str, username: str, language: str):
        self.language = language
        self.contexts = {}
        self.pages = {}
        self.errors: list[str] = []
        state = None
        for width_name, (width, height) in VIEWPORTS.items():
            context = chromium.new_context(
                base_url=base_url, viewport={"width": width, "height": height}, locale=language, storage_state=state
            )
            context.set_default_timeout(TIMEOUT_MS)
            page = context.new_page()
            page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
            page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))
            page.on("requestfailed", lambda request: self.errors.append(f"request failed: {request.url}"))
            if state is None:
                page.goto("/accounts/login/")
                page.locator("#id_username").fill(username)
                page.locator("#id_password").fill(PASSWORDS[username])
                page.locator("form:has(#id_password) button[type=submit]").click()
                page.locator("#user-menu").wait_for()
                state = context.storage_state()
            self.contexts[width_name], self.pages[width_name] = context, page

    def close(self):
        for context in self.contexts.values():
            context.close()

    def visit(self, width_name: str, url: str) -> list[str]:
        """Open `url` at a width: the console errors and the elements wider than the window."""
        page = self.pages[width_name]
        self.errors.clear()
        response = page.goto(url, wait_until="load")
        problems = [] if response is None or response.status == 200 else [f"status {response.status}"]
        too_wide = page.evaluate("document.scrollingElement.scrollWidth > window.innerWidth")
        if too_wide:
            problems.append("wider than the window: " + ", ".join(page.evaluate(WIDER_THAN_WINDOW) or ["?"]))
        problems += [f"console: {error}" for error in self.errors]
        return problems

    def axe(self, width_name: str) -> list[str]:
        page = self.pages[width_name]
        page.add_script_tag(path=str(AXE))
        return [f"axe {violation}" for violation in page.evaluate(AXE_RUN)]

    def texts(self, width_name: str) -> list[str]:
        return self.pages[width_name].evaluate(VISIBLE_TEXTS)


def is_page(sweep: Sweep, url: str) -> bool:
    """Whether `url` answers a logged-in GET with a page (not an action, a download, JSON, or
    a part of a page that htmx fetches)."""
    response = sweep.contexts["1280"].request.get(url, max_redirects=0, fail_on_status_code=False)
    html = response.headers.get("content-type", "").startswith("text/html")
    return response.status == 200 and html and "<html" in response.text()[:500]


def untranslated(texts: list[str], messages: dict[str, str]) -> tuple[list[str], list[str]]:
    """(English texts of the page whose msgid has a translation, those whose msgid has none)."""
    shown, missing = [], []
    for text in texts:
        for candidate in {text, text.rstrip(":"), text.rstrip(".")}:
            if candidate in messages:
                (shown if messages[candidate] else missing).append(candidate)
                break
    return sorted(set(shown)), sorted(set(missing))


@pytest.mark.parametrize("language", ["en", "ru"])
def test_every_page_fits_the_window_has_no_console_error_no_english_in_russian_and_no_serious_axe_violation(
    russian_demo, chromium, language
):
    with translation.override(language):
        pages = {name: url for name, url in pages_to_sweep().items()}
    messages = catalogue() if language == "ru" else {}
    problems: dict[str, list[str]] = {}
    to_translate: set[str] = set()

    sweep = Sweep(chromium, russian_demo.url, "admin", language)
    try:
        swept = [name for name, url in pages.items() if is_page(sweep, url)]
        assert {"home", "interactions:log", "contacts:detail", "interactions:setup"} <= set(swept), swept
        for name in swept:
            url = pages[name]
            for width_name in VIEWPORTS:
                found = sweep.visit(width_name, url)
                if width_name == FULL_CHECKS_AT:
                    found += sweep.axe(width_name)
                    if language == "ru":
                        shown, missing = untranslated(sweep.texts(width_name), messages)
                        found += [f"English on the Russian page: {text!r}" for text in shown]
                        to_translate.update(missing)
                if found:
                    problems[f"{url} at {width_name} px"] = found
    finally:
        sweep.close()

    # Every role's navigation: sales staff and managers see other menus than administrators.
    for username in ("sales", "manager"):
        sweep = Sweep(chromium, russian_demo.url, username, language)
        try:
            for name in ("home", "interactions:log"):
                for width_name in VIEWPORTS:
                    found = sweep.visit(width_name, pages[name])
                    if found:
                        problems[f"{pages[name]} as {username} at {width_name} px"] = found
        finally:
            sweep.close()

    assert not problems, "\n".join(f"{where}: {found}" for where, found in problems.items())
    assert not to_translate, (
        "Texts shown on Russian pages whose msgid in locale/ru/LC_MESSAGES/django.po has no translation yet "
        f"(translate them, then compilemessages): {sorted(to_translate)}"
    )


@pytest.mark.parametrize("language", ["en", "ru"])
def test_screenshots_of_the_main_pages(postgresql, live_server, chromium, language):
    import io

    if not SCREENSHOTS:
        pytest.skip("screenshots are taken only with CRM_SCREENSHOTS=docs/screenshots")
    call_command("load_demo", entries=DEMO_ENTRIES, language=language, allow_known_passwords=True, stdout=io.StringIO())
    with translation.override(language):
        pages = pages_to_sweep()
    sweep = Sweep(chromium, live_server.url, "manager", language)
    try:
        page = sweep.pages["1280"]
        for shot_name, name in MAIN_PAGES.items():
            page.goto(pages[name], wait_until="networkidle")
            save_screenshot(page, shot_name, language)
    finally:
        sweep.close()


def save_screenshot(page, shot_name: str, language: str) -> None:
    """A PNG of the window (1280 px wide) for the README, with 256 colours to stay small."""
    from PIL import Image

    folder = Path(settings.BASE_DIR) / SCREENSHOTS
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{shot_name}-{language}.png"
    page.screenshot(path=str(path))
    with Image.open(path) as image:
        image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
