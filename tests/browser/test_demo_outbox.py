"""The first five minutes in a real browser: the demo shop's home replays an order's life, and the Outbox shows
each email and SMS as the shopper would see it (screenshot: artifacts/screenshots/demo-outbox.png)."""
from __future__ import annotations

from typing import Any

from integration.admin import demo
from tests.browser.conftest import enter_admin, screenshot
from tests.helpers import drain


def test_the_demo_fills_activity_and_the_outbox(app: Any, page: Any, browser_errors: list[str]) -> None:
    assert app.test_cli_runner().invoke(args=["demo", "--setup"]).exit_code == 0
    enter_admin(app, page, demo.DEMO_DOMAIN)
    page.get_by_role("button", name="Replay a demo order").click()
    page.wait_for_selector("#demo-result:has-text('Replaying:')")
    drain(app)
    page.locator("#demo-result").get_by_role("link", name="Outbox").click()
    messages = page.locator(".outbox-message")
    messages.first.wait_for()
    assert messages.count() == 12
    page.wait_for_function("""() => [...document.querySelectorAll('iframe.email')].every((f) =>
        f.contentDocument && f.contentDocument.readyState === 'complete'
        && f.getBoundingClientRect().height >= f.contentDocument.documentElement.scrollHeight)""")
    assert page.locator("iframe.email").count() == 6 and page.locator("p.sms").count() == 6
    assert "refund" in messages.first.inner_text().lower()  # newest first: the partial refund
    screenshot(page, "demo-outbox")
    page.get_by_role("navigation").get_by_role("link", name="Activity").click()
    page.locator("#activity-table a", has_text="#D").first.wait_for()
    assert browser_errors == []
