"""A connected WooCommerce store end to end: signed deliveries in, messages out; the poller catches what the
webhooks missed (exactly once), re-enables a disabled webhook, finds tracking added without a webhook, and
says when the store cannot be reached; the plugin's personal-data exporter and eraser are answered.

The store is a local server answering like WooCommerce's REST API; orders are the documented bodies in
tests/fixtures/woocommerce/, dated now.
"""
from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from integration.db.models import Shop
from integration.woocommerce import poll as woo_poll
from tests.fake_woocommerce import FakeWooCommerce
from tests.helpers import drain, messages, outbox, outcomes
from tests.woo_helpers import connect, fresh_order, gmt, later, signed_post, start_store, woo_fixture

BOTH = ("email", "sms")


@pytest.fixture
def store(app: Any) -> Iterator[FakeWooCommerce]:
    fake = start_store(app)
    yield fake
    fake.close()


@pytest.fixture
def connection(app: Any, store: FakeWooCommerce) -> dict[str, Any]:
    return connect(app, store)


def _sent(app: Any) -> list[tuple[str, str]]:
    return [(t, c) for t, c, status in outcomes(app) if status == "sent"]


def _poll(app: Any, shop_id: int) -> str:
    with app.app_context():
        return woo_poll.reconcile_woocommerce(shop_id)


def _shop(app: Any, shop_id: int) -> Shop:
    with app.extensions["aftercare.db"].session() as session:
        return session.get(Shop, shop_id)


def _tracking_meta(order: dict[str, Any]) -> list[dict[str, Any]]:
    shipped = woo_fixture("order_completed_with_tracking")
    return [m for m in shipped["meta_data"] if m["key"] == "_wc_shipment_tracking_items"]


def test_an_order_from_processing_to_shipped_to_refunded(app: Any, store: FakeWooCommerce,
                                                          connection: dict[str, Any]) -> None:
    order = store.put_order(fresh_order())
    assert store.send("order.created", order) == 200
    assert store.send("order.created", order) == 200  # the same state again: a duplicate, nothing new
    drain(app)
    assert _sent(app) == [("order_confirmation", c) for c in BOTH]

    shipped = store.put_order(later(order, status="completed", meta_data=order["meta_data"] + _tracking_meta(order)))
    store.send("order.updated", shipped)
    drain(app)
    assert _sent(app)[2:] == [("shipping_confirmation", c) for c in BOTH]
    email = next(o for o in outbox(app) if o.channel == "email" and "9400111899560000000000" in (o.body_text or ""))
    assert "https://tools.usps.com/" in email.body_text

    partial = woo_fixture("order_partial_refund")
    store.refunds[727] = [{**r, "date_created": gmt(), "date_created_gmt": gmt()}
                          for r in woo_fixture_list("rest_refunds_723")]  # made now
    refunded = store.put_order(later(shipped, refunds=partial["refunds"]))
    store.send("order.updated", refunded)
    drain(app)
    refunds = [m for m in messages(app) if m.message_type == "refund_issued"]
    assert sorted({m.occurrence for m in refunds}) == ["724", "726"]
    assert [(m.status, m.reason) for m in refunds] == [("sent", None)] * 4
    by_refund = {m.occurrence: m.payload for m in refunds if m.channel == "email"}
    assert by_refund["724"]["amount"] == "9.00"
    assert [(i["title"], i["quantity"]) for i in by_refund["724"]["line_items"]] == [("Woo Album #2", 1)]

    store.send("order.updated", refunded)  # WooCommerce may deliver the same state again
    drain(app)
    assert len(messages(app)) == 8


def test_the_poller_catches_an_order_whose_webhook_never_came_exactly_once(
        app: Any, store: FakeWooCommerce, connection: dict[str, Any]) -> None:
    shop_id = connection["shop_id"]
    delivered = store.put_order(fresh_order(order_id=801, minutes_ago=3))
    store.send("order.created", delivered)
    missed = store.put_order(fresh_order(order_id=802, minutes_ago=2))  # its webhook was never sent
    drain(app)
    assert {m.order_key for m in messages(app)} == {"801"}

    assert _poll(app, shop_id) == "polled 2 orders, planned 2 messages"
    drain(app)
    assert sorted((m.order_key, m.message_type, m.channel, m.status) for m in messages(app)) == sorted(
        [(k, "order_confirmation", c, "sent") for k in ("801", "802") for c in BOTH])
    assert _poll(app, shop_id).endswith("planned 0 messages")
    drain(app)
    assert len(messages(app)) == 4
    shop = _shop(app, shop_id)
    assert shop.reconciled_until.strftime("%Y-%m-%dT%H:%M:%S") == missed["date_modified_gmt"]
    assert shop.reconcile_error is None and shop.reconciled_at is not None


def test_the_poller_re_enables_a_disabled_webhook(app: Any, store: FakeWooCommerce, connection: dict[str, Any]) -> None:
    hook = next(h for h in store.webhooks.values() if h["topic"] == "order.updated")
    hook["status"] = "disabled"  # WooCommerce disables a webhook after repeated failed deliveries
    del store.webhooks[next(h for h, v in store.webhooks.items() if v["topic"] == "order.restored")]
    _poll(app, connection["shop_id"])
    assert hook["status"] == "active"
    assert sorted(h["topic"] for h in store.webhooks.values()) == [
        "order.created", "order.deleted", "order.restored", "order.updated"]
    assert _shop(app, connection["shop_id"]).webhook_ids["order.restored"] in store.webhooks


def test_tracking_added_without_a_webhook_is_found_by_the_poller(app: Any, store: FakeWooCommerce,
                                                                connection: dict[str, Any]) -> None:
    order = store.put_order(fresh_order())
    store.send("order.created", order)
    drain(app)
    store.trackings[727] = woo_fixture_list("rest_shipment_trackings_wc_docs")  # Shipment Tracking saved no order
    _poll(app, connection["shop_id"])
    drain(app)
    assert _sent(app) == [(t, c) for t in ("order_confirmation", "shipping_confirmation") for c in BOTH]
    _poll(app, connection["shop_id"])
    drain(app)
    assert len(messages(app)) == 4


def test_a_store_without_shipment_tracking_is_polled_all_the_same(app: Any, store: FakeWooCommerce,
                                                                   connection: dict[str, Any]) -> None:
    store.put_order(fresh_order())
    store.trackings = None  # no Shipment Tracking plugin: its routes answer 404
    assert _poll(app, connection["shop_id"]).startswith("polled 1 orders")
    assert _shop(app, connection["shop_id"]).reconcile_error is None


def test_an_unreachable_store_is_shown_to_the_merchant_and_the_cursor_stays(
        app: Any, store: FakeWooCommerce, connection: dict[str, Any]) -> None:
    store.down = True
    assert _poll(app, connection["shop_id"]) == "unreachable"
    shop = _shop(app, connection["shop_id"])
    assert shop.reconcile_error.startswith("Your store could not be reached")
    assert shop.reconciled_until is None
    client = app.test_client()
    from tests.woo_helpers import admin_link
    client.get(admin_link(connection))
    home = client.get("/admin").get_data(as_text=True)
    assert "Your store could not be reached" in home
    assert "WooCommerce sends its own customer notifications" in home and "Completed order" in home
    assert "Shopify sends" not in home and "protected customer data" not in home

    store.down = False
    store.failures = [429, 503]  # busy for two answers, then fine: retried, not reported
    assert _poll(app, connection["shop_id"]).startswith("polled")
    assert _shop(app, connection["shop_id"]).reconcile_error is None


def test_wordpress_exporter_and_eraser_reach_the_shoppers_data(app: Any, store: FakeWooCommerce,
                                                              connection: dict[str, Any]) -> None:
    order = store.put_order(fresh_order())
    store.send("order.created", order)
    drain(app)
    client = app.test_client()
    email = order["billing"]["email"]
    exported = signed_post(client, "/woocommerce/privacy/export", connection, {"email": email, "page": 1})
    assert exported.status_code == 200
    items = exported.get_json()
    assert items["done"] is True
    assert {i["group_id"] for i in items["data"]} == {"aftercare-orders", "aftercare-messages"}
    assert any(d["value"] == email for i in items["data"] for d in i["data"])
    other = signed_post(client, "/woocommerce/privacy/export", connection, {"email": "nobody@example.com", "page": 1})
    assert other.get_json()["data"] == []

    erased = signed_post(client, "/woocommerce/privacy/erase", connection, {"email": email, "page": 1})
    assert erased.get_json() == {"items_removed": True, "items_retained": False, "messages": [], "done": True}
    again = signed_post(client, "/woocommerce/privacy/export", connection, {"email": email, "page": 1})
    assert not any(email in str(i) for i in again.get_json()["data"])
    assert signed_post(client, "/woocommerce/privacy/erase", {**connection, "link_secret": "x"},
                       {"email": email}).status_code == 401


def woo_fixture_list(name: str) -> list[dict[str, Any]]:
    loaded = woo_fixture(name)  # type: ignore[arg-type]
    return copy.deepcopy(loaded if isinstance(loaded, list) else [loaded])


def test_on_hold_orders_are_confirmed_only_when_the_merchant_chose_so(app: Any, store: FakeWooCommerce,
                                                                     connection: dict[str, Any]) -> None:
    from tests.integration.admin.test_settings import VALID, csrf_of
    from tests.woo_helpers import admin_link

    store.send("order.created", store.put_order(fresh_order(order_id=901, status="on-hold")))
    drain(app)
    assert messages(app) == []  # bank transfer not received yet: nothing to confirm

    client = app.test_client()
    client.get(admin_link(connection))
    page = client.get("/admin/settings").get_data(as_text=True)
    assert "Confirm orders awaiting offline payment" in page
    saved = client.post("/admin/settings", json={**VALID, "confirm_on_hold": True},
                        headers={"X-CSRF-Token": csrf_of(page)})
    assert saved.status_code == 200 and saved.get_json()["confirm_on_hold"] is True
    store.send("order.created", store.put_order(fresh_order(order_id=902, status="on-hold")))
    drain(app)
    assert sorted((m.order_key, m.message_type) for m in messages(app)) == [
        ("902", "order_confirmation"), ("902", "order_confirmation")]
