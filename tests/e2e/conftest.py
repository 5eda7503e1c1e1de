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


@pytest.fixture
def page(browser: Browser, live_server) -> Iterator[Page]:  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


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
