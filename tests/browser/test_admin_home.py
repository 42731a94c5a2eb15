"""The admin in a real browser: the signed link, the home page and its navigation, the data-request
download, and the admin's own fetch with App Bridge's session token as Bearer."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select

from integration.db.models import DataExport
from tests.browser.conftest import PHONE, enter_admin, screenshot
from tests.conftest import SECRET, SHOP_DOMAIN, fixture_payload
from tests.fake_shopify import session_token
from tests.helpers import deliver, drain
from tests.integration.shops.test_privacy import EMAIL, journey

SHOP_NAME = "Acme Outfitters"  # what tests.conftest.add_shop names the shop
NAV = ["Home", "Messages", "Activity", "Settings", "Outbox"]  # Outbox: the tests keep messages in the outbox


def requested_export(app: Any) -> int:
    """The customer's orders and messages, then Shopify's customers/data_request for them."""
    journey(app)
    assert deliver(app.test_client(), "customers/data_request",
                   fixture_payload("customers/data_request")).status_code == 200
    drain(app)
    with app.extensions["aftercare.db"].session() as session:
        return session.scalars(select(DataExport.id)).one()


def test_the_signed_link_opens_the_home_page_and_every_nav_page_loads(
        app: Any, shop_id: int, page: Any, browser_errors: list[str]) -> None:
    enter_admin(app, page)
    assert page.locator("h1").inner_text() == f"Aftercare for {SHOP_NAME}"
    status = page.locator("section", has=page.get_by_role("heading", name="Status", exact=True))
    assert status.is_visible() and "No order updates received from Shopify yet." in status.inner_text()
    nav = page.get_by_role("navigation", name="Aftercare")
    assert nav.get_by_role("link").all_inner_texts() == NAV
    screenshot(page, "home")

    for label in NAV[1:] + NAV[:1]:
        with page.expect_navigation() as loaded:
            nav.get_by_role("link", name=label, exact=True).click()
        assert loaded.value.status == 200, f"{label}: {loaded.value.status}"
        assert nav.get_by_role("link", name=label, exact=True).get_attribute("aria-current") == "page"
        assert page.locator("h1").is_visible()
        if label != "Home":
            assert page.title().startswith(label), page.title()
            screenshot(page, label.lower())
    assert page.url.endswith("/admin")

    page.set_viewport_size(PHONE)
    assert page.locator("h1").is_visible() and nav.get_by_role("link", name="Settings").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # nothing runs off the side
    screenshot(page, "home-phone")
    assert browser_errors == []


def test_the_merchant_downloads_a_customer_data_request(
        app: Any, shop_id: int, page: Any, browser_errors: list[str]) -> None:
    requested_export(app)
    enter_admin(app, page)
    requests = page.locator("section", has=page.get_by_role("heading", name="Customer data requests"))
    assert "request 9999" in requests.inner_text()
    screenshot(page, "home-data-request")
    with page.expect_download() as started:
        requests.get_by_role("link", name="Download").click()
    download = started.value
    assert download.failure() is None
    assert download.suggested_filename == "aftercare-data-request-9999.json"
    content = json.loads(Path(download.path()).read_text(encoding="utf-8"))
    assert content["request_id"] == "9999" and content["customer"]["email"] == EMAIL
    assert [o["name"] for o in content["orders"]] == ["#9999"]
    assert {m["type"] for m in content["messages"]} == {"order_confirmation", "shipping_confirmation", "refund_issued"}
    assert browser_errors == []


# Stands in for the app inside Shopify's admin: App Bridge's `shopify.idToken()` gives the session token,
# which the page's own requests carry as Bearer (no cookies inside the iframe).
APP_BRIDGE_STAND_IN = """<!doctype html>
<html><head><meta charset="utf-8"><title>App Bridge stand-in</title></head>
<body><output id="result"></output>
<script>
  window.shopify = {idToken: async () => %(token)s};
  (async () => {
    const response = await fetch(%(url)s, {headers: {Authorization: "Bearer " + await shopify.idToken()},
                                           credentials: "omit"});
    const body = await response.text();
    document.getElementById("result").textContent = JSON.stringify({
      status: response.status, body,
      retry: response.headers.get("X-Shopify-Retry-Invalid-Session-Request"),
      type: response.headers.get("Content-Type")});
  })();
</script></body></html>"""


def fetch_inside_shopify(page: Any, live_server: str, token: str, url: str) -> dict[str, Any]:
    """Load the stand-in page on the live server's origin (served by the browser), return its fetch's outcome."""
    stand_in = f"{live_server}/__app-bridge-stand-in"
    html = APP_BRIDGE_STAND_IN % {"token": json.dumps(token), "url": json.dumps(url)}
    page.route(stand_in, lambda route: route.fulfill(status=200, content_type="text/html", body=html))
    page.goto(stand_in)
    page.wait_for_function("document.getElementById('result').textContent !== ''")
    page.unroute(stand_in)
    return json.loads(page.locator("#result").text_content())


def test_the_admins_fetch_inside_shopify_carries_the_session_token(
        app: Any, shop_id: int, page: Any, live_server: str, browser_errors: list[str]) -> None:
    url = f"/admin/data-requests/{requested_export(app)}"

    answer = fetch_inside_shopify(page, live_server, session_token(SHOP_DOMAIN, SECRET), url)
    assert answer["status"] == 200 and answer["type"].startswith("application/json")
    content = json.loads(answer["body"])
    assert content["request_id"] == "9999" and content["customer"]["email"] == EMAIL

    forged = fetch_inside_shopify(page, live_server, session_token(SHOP_DOMAIN, "wrong-secret-" + "x" * 30), url)
    assert forged["status"] == 401 and forged["retry"] == "1"
    assert EMAIL not in forged["body"]
    # the browser logs the refused fetch itself; nothing else may go wrong on the page
    assert [e for e in browser_errors if "401" not in e] == []
