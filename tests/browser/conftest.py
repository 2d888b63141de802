"""Browser tests: a real Chromium, driven by Playwright, against pytest-django's live server.

Debian's Chromium is used as it is (`/usr/bin/chromium`); Playwright's own browser downloads are
never needed. Without Chromium (or without the playwright package) every test here is skipped
with a message saying so, and the rest of the suite runs as usual.

Each test saves a screenshot of every page it looks at into tests/browser/screenshots/ (which
git ignores) so a person can check the layout by eye.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import flushable_audit_log
from tests.party.conftest import life  # noqa: F401  (the branch with a committee, for org-life pages)

# Playwright's sync API keeps an asyncio loop running in this thread, and Django refuses ORM
# calls while a loop runs ("SynchronousOnlyOperation"). Fixtures here use the ORM in between
# Playwright calls, never inside the loop, so the check is switched off: the usual way to use
# pytest-django with Playwright.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SKIP_MESSAGE = (
    "Chromium not found at /usr/bin/chromium: browser tests skipped; apt-get install chromium"
)
HERE = Path(__file__).resolve().parent
SCREENSHOTS = HERE / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 10_000


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test in this folder `browser` (run alone with -m browser, skip with
    -m 'not browser')."""
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="package", autouse=True)
def _audit_log_survives_flush() -> Iterator[None]:
    """The live server's transactional tests empty the database between tests: see
    `tests.conftest.flushable_audit_log`. Package-scoped, so the patch is in place before any
    test's database fixture is set up and still there when that fixture's teardown flushes."""
    with flushable_audit_log():
        yield


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(SKIP_MESSAGE)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - playwright is a dev dependency
        pytest.skip(f"{SKIP_MESSAGE} (the playwright package is not importable either)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class PageProblems:
    """JavaScript errors and broken assets seen while a page was open: a layout can look fine
    in a screenshot while htmx or the stylesheet failed to load."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def watch(self, page: Any) -> None:
        page.on("pageerror", lambda exc: self.items.append(f"JavaScript error: {exc}"))
        page.on("response", self._response)

    def _response(self, response: Any) -> None:
        path = response.url.split("?", 1)[0]
        if response.status >= 500 or ("/static/" in path and response.status >= 400):
            self.items.append(f"{response.status} {response.request.method} {response.url}")


def _open(browser: Any, request: pytest.FixtureRequest, **options: Any) -> Iterator[Any]:
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **options)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    problems = PageProblems()
    problems.watch(page)
    try:
        yield page
    finally:
        context.close()
    assert not problems.items, f"{request.node.name}: " + "; ".join(problems.items)


@pytest.fixture
def page(browser: Any, live_server: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A desktop browser tab (1280×800)."""
    yield from _open(browser, request, viewport=DESKTOP)


@pytest.fixture
def phone(browser: Any, live_server: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A phone-sized tab (390×844, touch, 2× pixels), as a resident's WeChat browser."""
    yield from _open(
        browser, request, viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2
    )


@pytest.fixture
def url(live_server: Any) -> Callable[[str], str]:
    """The live server's address of a path: url("/m/")."""
    return lambda path: live_server.url + path


def _safe(name: str) -> str:
    return re.sub(r"[^\w.-]+", "_", name)


@pytest.fixture
def snap(request: pytest.FixtureRequest) -> Callable[[Any, str], Path]:
    """snap(page, "step"): save a full-page screenshot as
    screenshots/<test name>--<step>.png and return its path."""
    SCREENSHOTS.mkdir(exist_ok=True)
    test_name = _safe(request.node.name)

    def take(page: Any, step: str) -> Path:
        path = SCREENSHOTS / f"{test_name}--{_safe(step)}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
