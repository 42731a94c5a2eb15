"""The template editor and the activity in a real browser: an error shown at its line, the preview
following the typing, a save, a test that arrives at a real SMTP server, a restore, and an order's story."""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from notifications import channels
from tests.browser.conftest import enter_admin, screenshot
from tests.conftest import paid_order
from tests.e2e.stack import SmtpSink
from tests.helpers import deliver, drain

SUBJECT_OK = "Your order {{ order.name }} is confirmed"


@pytest.fixture
def smtp(app: Any) -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.controller.start()
    app.config.update(EMAIL_BACKEND="smtp", SMTP_URL=f"smtp://127.0.0.1:{sink.port}")
    channels.reset_senders()
    yield sink
    sink.controller.stop()
    channels.reset_senders()


def _open_editor(app: Any, page: Any) -> None:
    enter_admin(app, page)
    page.get_by_role("link", name="Messages", exact=True).click()
    page.locator("tr[data-type='order_confirmation']").get_by_role("link", name="Email").click()
    page.wait_for_selector("#preview-subject:not(:empty)")


def test_edit_preview_save_test_and_restore(app: Any, shop_id: int, page: Any, smtp: SmtpSink,
                                            browser_errors: list[str]) -> None:
    _open_editor(app, page)
    original = page.locator("#part-subject").input_value()
    html = page.locator("#part-html")
    html.fill("<p>Hello {{ customer.first_name }}</p>\n<p>\n{% if order.paid %}Paid</p>")
    error = page.locator("#problems li.field-error")
    error.wait_for()
    assert re.match(r"Error in html at line 3, column \d+: ", error.inner_text()), error.inner_text()
    screenshot(page, "editor-error")

    html.fill("<p>Hello {{ customer.first_name }}, order {{ order.name }} is in.</p>")
    page.locator("#part-subject").fill(SUBJECT_OK)
    page.wait_for_function("document.getElementById('preview-subject').textContent === 'Your order #1001 is confirmed'")
    frame = page.frame_locator("#preview-html")
    frame.locator("text=Hello Jamie, order #1001 is in.").wait_for()
    assert page.locator("#problems li").count() == 0

    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_selector("text=Saved as version")
    page.wait_for_load_state("load")
    page.wait_for_selector("#versions li[data-version]")
    screenshot(page, "editor")

    assert page.locator("#test-to").input_value() == "help@acme.example"  # the shop's own contact address
    page.get_by_role("button", name="Send test").click()
    page.wait_for_selector("#test-result:has-text('Test sent')")
    assert [(m["To"], m["Subject"]) for m in smtp.accepted] == [
        ("help@acme.example", "[Test] Your order #1001 is confirmed")]

    page.get_by_role("button", name="Reset to default").click()
    page.wait_for_function(f"document.getElementById('part-subject').value === {original!r}")
    page.reload()
    page.locator("#versions li[data-version]").nth(1).get_by_role("button", name="Compare").click()
    page.wait_for_selector("#diff:not([hidden])")
    diff = page.locator("#diff").inner_text()
    assert "html:" in diff and "-<p>Hello {{ customer.first_name }}, order {{ order.name }} is in.</p>" in diff
    page.locator("#versions li[data-version]").nth(1).get_by_role("button", name="Restore").click()
    page.wait_for_function(f"document.getElementById('part-subject').value === {SUBJECT_OK!r}")
    assert browser_errors == []


def test_search_the_activity_and_open_a_story(app: Any, shop_id: int, page: Any, browser_errors: list[str]) -> None:
    deliver(app.test_client(), "orders/create", paid_order())
    drain(app)
    enter_admin(app, page)
    page.get_by_role("link", name="Activity", exact=True).click()
    search = page.locator("input[name='query']")
    search.fill("#9999")
    with page.expect_request(lambda r: r.url.endswith("/admin/activity/search")) as sent:
        search.press("Enter")
    assert "9999" in (sent.value.post_data or "") and "9999" not in sent.value.url  # in the body, not the URL
    links = page.get_by_role("link", name="#9999", exact=True)
    links.first.wait_for()
    assert links.count() == 2  # the confirmation by email and by SMS
    screenshot(page, "activity-search")
    page.locator("tr", has_text=re.compile("email", re.I)).get_by_role("link", name="#9999").click()
    page.wait_for_selector("text=orders/create")
    assert page.locator("iframe[sandbox]").count() == 1
    _assert_whole_email_shown(page)
    screenshot(page, "activity-story")
    assert browser_errors == []


def _assert_whole_email_shown(page: Any) -> None:
    """The story's frame shows the email at its own width (600 px card) and its whole height, once loaded."""
    page.wait_for_function("""() => { const f = document.getElementById('message-html');
        return f && f.contentDocument && f.contentDocument.readyState === 'complete'
            && f.getBoundingClientRect().height >= f.contentDocument.documentElement.scrollHeight; }""")
    sizes = page.evaluate("""() => { const f = document.getElementById('message-html'), d = f.contentDocument;
        const card = d.querySelector('.container');
        return {frame: f.getBoundingClientRect(), doc: d.documentElement.scrollHeight,
                card: card ? card.getBoundingClientRect().width : 0,
                clip: d.documentElement.scrollWidth - d.documentElement.clientWidth}; }""")
    assert sizes["frame"]["width"] >= 600 and abs(sizes["card"] - 600) <= 1, sizes  # its own 600 px, not ~100 px
    assert sizes["frame"]["height"] >= sizes["doc"] and sizes["clip"] <= 0, sizes  # nothing cut off
