"""Playwright in the system Chromium (``/usr/bin/chromium`` or ``CHROMIUM_PATH``).

Journeys run against ``live_server`` on a real database. Without Chromium they skip on a laptop
and fail in CI (``IVIG_REQUIRE_SERVICES=1``).
"""

import os
import shutil
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from ivig.accounts.models import User

from ..conftest import TEST_PASSWORD, skip_or_fail

# Playwright's sync API runs an event loop in the test thread; Django's async-safety check
# would then refuse the ORM calls the tests make between browser steps.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

# Every journey: a real server thread and committed data (the migrations' seed rows are put
# back by the ``reference_data`` fixture of tests/conftest.py).
journey = pytest.mark.django_db(transaction=True)


def chromium_path() -> str | None:
    path = os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium"
    return path if os.path.exists(path) else shutil.which("chromium")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    path = chromium_path()
    if path is None:
        skip_or_fail(
            "no Chromium at /usr/bin/chromium (set CHROMIUM_PATH or apt-get install chromium)"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=path, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


# Every page reports its Content-Security-Policy violations to the console, where the journey
# reads them (an inline handler the policy blocks is a dead control no other test sees).
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (event) {
  console.error("CSP violation: " + event.violatedDirective + " blocked " +
    (event.blockedURI || "inline code") + " at " + (event.sourceFile || document.URL) + ":" +
    event.lineNumber);
});
"""


def _allowed(request: pytest.FixtureRequest) -> list[str]:
    """Console errors a journey expects (``@pytest.mark.console_errors("text", ...)``): the
    browser's own "Failed to load resource: ... 403" when a journey checks a refusal."""
    return [text for mark in request.node.iter_markers("console_errors") for text in mark.args]


@pytest.fixture
def page(browser: Browser, live_server, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A page whose journey fails on any browser console error, uncaught page error or CSP
    violation (recorded as they happen, checked at teardown)."""
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(15_000)
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    page = context.new_page()
    problems: list[str] = []
    page.on(
        "console",
        lambda message: (
            problems.append(f"console {message.type}: {message.text} ({page.url})")
            if message.type == "error"
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(f"page error: {error} ({page.url})"))
    yield page
    context.close()
    allowed = _allowed(request)
    unexpected = [p for p in problems if not any(text in p for text in allowed)]
    if unexpected:
        pytest.fail("The browser reported:\n" + "\n".join(unexpected), pytrace=False)


@pytest.fixture
def sign_in(page: Page) -> Callable[[User], Page]:
    """Sign in through the real login form as ``user`` and return the page."""

    def do(user: User, password: str = TEST_PASSWORD) -> Page:
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_test_id("landing")).to_be_visible()
        return page

    return do


@pytest.fixture
def sign_out(page: Page) -> Callable[[], None]:
    def do() -> None:
        page.get_by_test_id("logout").click()
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()

    return do
