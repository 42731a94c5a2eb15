"""Real-browser tests: Debian's Chromium driven by Playwright against the app served on a local port.

Chromium comes from the system (`apt-get install -y chromium`), never from `playwright install`. Without
it (or without Playwright) these tests skip saying why; with AFTERCARE_REQUIRE_SERVICES=1 they fail.
Screenshots go to artifacts/screenshots/ (CI keeps artifacts/).
"""
from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SHOP_DOMAIN, require_service

CHROMIUM = os.environ.get("AFTERCARE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
DESKTOP, PHONE = {"width": 1280, "height": 900}, {"width": 390, "height": 844}


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: the pages are the same on PostgreSQL, and the browser tests stay fast."""
    from integration.cli import upgrade_database

    url = f"sqlite:///{tmp_path / 'aftercare.db'}"
    upgrade_database(url)
    return url


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """One headless Chromium for all browser tests. Package-scoped rather than session-scoped: Playwright's
    sync API keeps an asyncio loop running in the main thread, which later tests must not inherit."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require_service("Playwright is not installed (pip install -r requirements-dev.txt)")
    if not os.access(CHROMIUM, os.X_OK):
        require_service(f"no Chromium at {CHROMIUM} (apt-get install -y chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def live_server(app: Any) -> Iterator[str]:
    """The test app served over HTTP on 127.0.0.1 (a free port) from a background thread."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["APP_URL"] = url
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield url
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


@pytest.fixture
def browser_errors() -> list[str]:
    """Console errors and uncaught exceptions of the test's page, collected by the `page` fixture."""
    return []


@pytest.fixture
def page(browser: Any, live_server: str, browser_errors: list[str]) -> Iterator[Any]:
    """A fresh browser context (no cookies carried over) and page for each test."""
    context = browser.new_context(viewport=DESKTOP, base_url=live_server, accept_downloads=True)
    context.set_default_timeout(10_000)
    tab = context.new_page()

    def on_console(msg: Any) -> None:
        # The browser asks for /favicon.ico by itself; the app has none, and the 404 is not a page's error.
        if msg.type == "error" and not msg.location.get("url", "").endswith("/favicon.ico"):
            browser_errors.append(f"console: {msg.text} ({msg.location.get('url')})")

    tab.on("console", on_console)
    tab.on("pageerror", lambda exc: browser_errors.append(f"page error: {exc}"))
    yield tab
    context.close()


def screenshot(page: Any, name: str) -> Path:
    """A full-page screenshot in artifacts/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def enter_admin(app: Any, page: Any, domain: str = SHOP_DOMAIN) -> Any:
    """Follow the signed first-party link of `flask admin-link`, as a merchant outside Shopify would."""
    result = app.test_cli_runner().invoke(args=["admin-link", domain])
    assert result.exit_code == 0, result.output
    link = result.stdout.strip().splitlines()[0]
    assert link.startswith(app.config["APP_URL"] + "/"), link
    response = page.goto(link)
    assert response is not None and response.status == 200 and page.url.endswith("/admin")
    return response
