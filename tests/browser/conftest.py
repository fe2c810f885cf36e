"""Browser tests: Playwright for Python drives the operating system's Chromium against
pytest-django's live server, on PostgreSQL.

Each test gets the demo data (a small `load_demo`), a fresh browser context (no cookies)
and leaves a screenshot of its last page in `test-artifacts/<test name>.png`, failed or not.

Locally, without PostgreSQL or Chromium, the tests skip; with REQUIRE_SERVICES=1 (CI) they
fail instead.
"""

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from conftest import need

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1400, "height": 900}
# Every action and expectation waits for its condition up to this long: generous, for a
# machine whose cores other work shares (Playwright's own default for expect() is 5 s).
TIMEOUT_MS = 30_000
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"
DEMO_ENTRIES = 300


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Browser tests run last: while Playwright runs, its event loop is registered in this
    thread (see `chromium`)."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(scope="session")
def chromium():
    """One Chromium for the whole session (the browser tests, which run last)."""
    need("Chromium", CHROMIUM.exists())
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)

    # Playwright's sync API keeps an asyncio loop registered in this thread while it runs,
    # and Django refuses database calls from a thread with a running loop. The tests' own
    # ORM calls (set-up, assertions, the flush after each test) are plain synchronous code.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def site(postgresql, live_server, chromium):
    """The live server, on PostgreSQL, with the demo data and demo logins committed (once
    PostgreSQL and Chromium are known to be there). Live-server tests run on a transactional
    database, flushed after each test; the flush ends, as a migrate does, with the groups
    created again (crm/roles.py)."""
    call_command("load_demo", entries=DEMO_ENTRIES, allow_known_passwords=True, stdout=io.StringIO())
    return live_server


@pytest.fixture
def page(site, chromium, request):
    """A page in a new browser context, English, 1400x900. Its last state is saved as
    test-artifacts/<test name>.png, also when the test fails."""
    context = chromium.new_context(base_url=site.url, viewport=VIEWPORT, locale="en-US", accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    yield page
    try:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / f"{request.node.name}.png")
    finally:
        context.close()
