"""Reconciliation against a local server that answers like the GraphQL Admin API's orders pages.

The order nodes are Shopify's published webhook samples written in the Admin GraphQL reference's field
names (tests/fake_shopify.py `order_node`), so the API and the webhooks describe the same order.
"""
from __future__ import annotations

import copy
import datetime as dt
import json
import time
from decimal import Decimal
from typing import Any

import pytest

from connectors import shopify as shopify_connector, shopify_orders
from connectors.events import describe
from integration import maintenance
from integration.db.models import Shop
from integration.shopify import reconcile
from integration.shops import platforms
from tests.conftest import FIXTURES, carrier_event, fixture_payload, fulfillment, now_iso, paid_order
from tests.fake_shopify import FakeShopify, order_node
from tests.helpers import deliver, deliveries, drain, messages, outcomes

BOTH = ("email", "sms")
PHONE = "+1 415 555 2671"




def _order(number: int, **changes: Any) -> dict[str, Any]:
    """Shopify's order sample as a new paid order with its own id and name."""
    order = paid_order(phone=PHONE, **changes)
    order.update(id=820982911946154508 + number, name=f"#{9999 + number}",
                 admin_graphql_api_id=f"gid://shopify/Order/{820982911946154508 + number}")
    return order


def _shipped(order: dict[str, Any], *statuses: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    f = fulfillment(order_id=order["id"], id=order["id"] % 10**6,
                    admin_graphql_api_id=f"gid://shopify/Fulfillment/{order['id'] % 10**6}")
    events = [carrier_event(s, id=f["id"] * 10 + i, fulfillment_id=f["id"], order_id=order["id"],
                            admin_graphql_api_id=f"gid://shopify/FulfillmentEvent/{f['id'] * 10 + i}")
              for i, s in enumerate(statuses)]
    return f, events


def _refund(order: dict[str, Any]) -> dict[str, Any]:
    refund = copy.deepcopy(fixture_payload("refunds/create"))
    refund.update(order_id=order["id"], created_at=now_iso())
    return refund


def _reconcile(app: Any, shop_id: int) -> str:
    with app.app_context():
        return reconcile.reconcile_shopify(shop_id)


def _shop(app: Any, shop_id: int) -> Shop:
    with app.extensions["aftercare.db"].session() as session:
        return session.get(Shop, shop_id)


def test_an_order_node_means_what_its_webhooks_mean() -> None:
    order = _order(1)
    f, events = _shipped(order, "out_for_delivery")
    refund = _refund(order)
    from_api = [describe(e) for e in shopify_orders.order_events(order_node(order, [(f, events)], [refund]))]
    from_webhooks = [describe(e) for topic, payload in (("orders/paid", order), ("fulfillments/update", f),
                                                       ("fulfillment_events/create", events[0]),
                                                       ("refunds/create", refund))
                     for e in shopify_connector.normalize(topic, payload)]
    assert [e["kind"] for e in from_api] == [e["kind"] for e in from_webhooks] == [
        "OrderUpdated", "ShipmentUpdated", "CarrierEventReceived", "RefundCreated"]
    # Where the two differ, by the documents: the REST order has an order_number the API only has in the
    # name. The refund is the same on both paths: 85.00 USD, though the sample's transactions say "currency": null.
    assert (from_webhooks[0]["order"]["number"], from_api[0]["order"]["number"]) == ("1234", "10000")
    from_webhooks[0]["order"]["number"] = "10000"
    assert from_api == from_webhooks
    assert (from_api[3]["refund"]["amount"], from_api[3]["refund"]["currency"]) == ("85.00", "USD")


def _refund_both_ways(order: dict[str, Any], refund: dict[str, Any]) -> tuple[Any, Any]:
    [from_webhook] = shopify_connector.normalize("refunds/create", refund)
    from_api = shopify_orders.order_events(order_node(order, refunds=[refund]))[-1]
    return from_webhook, from_api


def test_a_refund_in_the_shoppers_currency_is_the_same_on_both_paths() -> None:
    """Shopify's Refund resource example (tests/fixtures/shopify/docs/): the shop sells in CAD, the shopper paid in
    USD. The webhook's transactions and the API's totalRefundedSet { presentmentMoney } both give 209.00 USD."""
    refund = json.loads((FIXTURES / "shopify" / "docs" / "refund_resource_2025-10.json").read_text(),
                        parse_float=Decimal)
    order = _order(8, currency="CAD", presentment_currency="USD")  # the example's shop and shopper currencies
    refund["order_id"] = order["id"]
    from_webhook, from_api = _refund_both_ways(order, refund)
    assert from_webhook == from_api
    assert (from_api.refund.amount, from_api.refund.currency) == (Decimal("209.00"), "USD")
    refund["transactions"][0]["currency"] = None  # as in the refunds/create sample
    assert _refund_both_ways(order, refund)[0] == from_api


@pytest.mark.parametrize(("name", "amount", "currency"), [
    ("refund_create_store_credit_2026-07", Decimal("10.0"), "USD"),
    ("refund_create_line_item_2026-07", Decimal("0.0"), "CAD"),
])
def test_reconciliation_reads_the_refund_in_presentment_money(name: str, amount: Decimal, currency: str) -> None:
    """Refunds as refundCreate's documented answers give them: amount and currency from totalRefundedSet's
    presentmentMoney, whatever the order's other money says."""
    answer = json.loads((FIXTURES / "shopify" / "docs" / f"{name}.json").read_text())
    node = order_node(_order(9))
    node["refunds"] = [answer["refundCreate"]["refund"]]
    refund = shopify_orders.order_events(node)[-1].refund
    assert (refund.id, refund.amount, refund.currency) == (answer["refundCreate"]["refund"]["id"].rsplit("/")[-1],
                                                           amount, currency)
    assert "totalRefundedSet { presentmentMoney { amount currencyCode } }" in shopify_orders.ORDERS_QUERY


def test_a_cancelled_order_node_also_says_cancelled() -> None:
    order = _order(2, cancelled_at=now_iso(), cancel_reason="customer", financial_status="refunded")
    kinds = [type(e).__name__ for e in shopify_orders.order_events(order_node(order))]
    assert kinds == ["OrderUpdated", "OrderCancelled"]
    cancelled = shopify_orders.order_events(order_node(order))[1]
    assert (cancelled.order.cancel_reason, cancelled.order.financial_status) == ("customer", "refunded")


def test_missed_orders_produce_their_messages_once(app: Any, shop_id: int, shopify: FakeShopify) -> None:
    missed = _order(1)
    shopify.orders = [order_node(missed, [_shipped(missed, "out_for_delivery")], [_refund(missed)])]
    assert _reconcile(app, shop_id) == "reconciled 1 orders, planned 8 messages"
    drain(app)
    expected = sorted((kind, channel, "sent") for kind in (
        "order_confirmation", "shipping_confirmation", "out_for_delivery", "refund_issued") for channel in BOTH)
    assert sorted(outcomes(app)) == expected
    assert _reconcile(app, shop_id) == "reconciled 1 orders, planned 0 messages"
    drain(app)
    assert sorted(outcomes(app)) == expected


def test_orders_the_webhooks_delivered_produce_nothing_new(app: Any, shop_id: int, shopify: FakeShopify) -> None:
    order = _order(3)
    f, events = _shipped(order, "out_for_delivery")
    client = app.test_client()
    for topic, payload in (("orders/create", order), ("fulfillments/create", f),
                           ("fulfillment_events/create", events[0])):
        assert deliver(client, topic, payload).status_code == 200
    drain(app)
    before = [(m.id, m.message_type, m.channel, m.status) for m in messages(app)]
    assert len(before) == 6
    shopify.orders = [order_node(order, [(f, events)])]
    assert _reconcile(app, shop_id) == "reconciled 1 orders, planned 0 messages"
    drain(app)
    assert [(m.id, m.message_type, m.channel, m.status) for m in messages(app)] == before


def test_pages_are_followed_and_the_cursor_moves(app: Any, shop_id: int, shopify: FakeShopify) -> None:
    base = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
    orders = [_order(10 + i, updated_at=(base + dt.timedelta(minutes=i)).isoformat())
              for i in range(shopify_orders.PAGE_SIZE + 3)]
    shopify.orders = [order_node(o) for o in orders]
    with app.extensions["aftercare.db"].session() as session:
        session.get(Shop, shop_id).created_at = base - dt.timedelta(days=1)
    assert _reconcile(app, shop_id) == f"reconciled {len(orders)} orders, planned {2 * len(orders)} messages"
    queries = [r["variables"] for r in shopify.requests]
    assert [q["after"] is None for q in queries] == [True, False]
    newest = base + dt.timedelta(minutes=len(orders) - 1)
    shop = _shop(app, shop_id)
    assert shop.reconciled_until == newest.replace(microsecond=newest.microsecond)
    assert shop.reconciled_at is not None and shop.reconcile_error is None
    shopify.requests.clear()
    _reconcile(app, shop_id)
    since = (newest - reconcile.OVERLAP).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert shopify.requests[0]["variables"]["query"] == f"updated_at:>='{since}'"


def test_a_throttled_page_is_waited_out(app: Any, shop_id: int, shopify: FakeShopify) -> None:
    throttled = {"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
                 "extensions": {"cost": {"requestedQueryCost": 800, "actualQueryCost": None, "throttleStatus": {
                     "maximumAvailable": 2000.0, "currentlyAvailable": 750, "restoreRate": 100.0}}}}
    shopify.graphql_answers = [(200, throttled)]
    missed = _order(4)
    shopify.orders = [order_node(missed)]
    started = time.monotonic()
    assert _reconcile(app, shop_id) == "reconciled 1 orders, planned 2 messages"
    assert time.monotonic() - started >= 0.5 and len(shopify.requests) == 2


def test_a_refused_read_is_recorded_and_the_cursor_stays(app: Any, shop_id: int, shopify: FakeShopify) -> None:
    shopify.revoked = {"shpat_test"}
    shopify.orders = [order_node(_order(5))]
    assert _reconcile(app, shop_id) == "unavailable"
    shop = _shop(app, shop_id)
    assert shop.reconciled_until is None and "could not read orders from Shopify" in shop.reconcile_error
    assert messages(app) == []


def test_orders_from_before_the_install_get_no_confirmation(app: Any, shop_id: int, shopify: FakeShopify) -> None:
    with app.extensions["aftercare.db"].session() as session:
        session.get(Shop, shop_id).created_at = dt.datetime.now(dt.timezone.utc)  # installed just now
    placed = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=2)).isoformat()
    old = _order(6, created_at=placed)
    f, events = _shipped(old)
    shopify.orders = [order_node(old, [(f, events)])]
    _reconcile(app, shop_id)
    drain(app)
    assert sorted(outcomes(app)) == sorted([("order_confirmation", c, "suppressed") for c in BOTH]
                                           + [("shipping_confirmation", c, "sent") for c in BOTH])
    assert {m.reason for m in messages(app) if m.status == "suppressed"} == {
        "stale: it happened before Aftercare was installed"}


def test_a_missing_parent_is_fetched_from_the_api(app: Any, shop_id: int, shopify: FakeShopify) -> None:
    app.config["FETCH_PARENT_AFTER"] = 1
    order = _order(7)
    refund = _refund(order)
    shopify.orders = [order_node(order, refunds=[refund])]
    deliver(app.test_client(), "refunds/create", refund)
    drain(app)
    assert deliveries(app)[0].status == "pending"
    time.sleep(2.5)
    drain(app)
    assert deliveries(app)[0].status == "done"
    assert sorted(outcomes(app)) == sorted((k, c, "sent") for k in ("order_confirmation", "refund_issued")
                                           for c in BOTH)
    assert [r["variables"] for r in shopify.requests] == [{"id": f"gid://shopify/Order/{order['id']}"}]


def test_one_carrier_status_across_midnight_is_one_message(app: Any, shop_id: int) -> None:
    client = app.test_client()
    midnight = dt.datetime.now(dt.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    deliver(client, "orders/create", paid_order())
    deliver(client, "fulfillments/create", fulfillment(updated_at=(midnight - dt.timedelta(minutes=10)).isoformat()))
    deliver(client, "fulfillment_events/create",
            carrier_event("out_for_delivery", happened_at=(midnight - dt.timedelta(minutes=5)).isoformat()))
    drain(app)
    deliver(client, "fulfillments/update", fulfillment(shipment_status="out_for_delivery",
                                                       updated_at=(midnight + dt.timedelta(minutes=5)).isoformat()))
    drain(app)
    assert [m.channel for m in messages(app) if m.message_type == "out_for_delivery"] == list(BOTH)


@pytest.mark.parametrize("where", ["fulfillment", "event"])
def test_the_apis_estimated_delivery_date_reaches_the_delay_rule(app: Any, shop_id: int, shopify: FakeShopify,
                                                                  where: str) -> None:
    """Fulfillment.estimatedDeliveryAt and FulfillmentEvent.estimatedDeliveryAt, read by reconciliation, are the
    shipment's expected date: once it has passed, the delay rule tells the shopper."""
    eta = now_iso(-dt.timedelta(days=2))
    order = _order(11)
    f, events = _shipped(order, "in_transit")
    node = order_node(order, [(f, events)])
    target = node["fulfillments"][0] if where == "fulfillment" else node["fulfillments"][0]["events"]["nodes"][0]
    target["estimatedDeliveryAt"] = eta
    shopify.orders = [node]
    _reconcile(app, shop_id)
    drain(app)
    with app.app_context():
        assert maintenance.detect_delays() == 2
    assert {m.occurrence for m in messages(app) if m.message_type == "delayed"} == {
        f"eta:{dt.datetime.fromisoformat(eta).date().isoformat()}"}


def test_one_reconciliation_per_shop_is_queued(app: Any, shop_id: int) -> None:
    with app.app_context():
        assert platforms.reconcile_all() == 1
        assert platforms.reconcile_all() == 0
