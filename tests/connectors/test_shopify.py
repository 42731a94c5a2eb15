"""Shopify connector: each published sample payload becomes exactly the canonical events written here.

In the style of Zulip's webhook integration tests: one test per fixture, the expected events written out
by hand from the values read in the fixture (never computed by the code under test), so a change in
normalization shows up as a failing comparison. Payloads are parsed the way the app parses them:
``json.loads(raw, parse_float=Decimal)``.
"""
from __future__ import annotations

import base64
import copy
import dataclasses
import hashlib
import hmac
import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator

import pytest

from connectors import shopify
from connectors.base import MalformedPayload
from connectors.events import (
    AppUninstalled,
    CustomerDataRequested,
    CustomerRedactRequested,
    ShopRedactRequested,
    ShopUpdated,
    CarrierEventReceived,
    CarrierUpdate,
    LineItem,
    OrderCancelled,
    OrderSnapshot,
    OrderUpdated,
    RefundCreated,
    RefundSnapshot,
    ShipmentSnapshot,
    ShipmentUpdated,
)
from connectors.shopify_api import ShopFacts

FIXTURE_DIR = Path(__file__).parents[1] / "fixtures" / "shopify"

# Every timestamp in Shopify's samples: 2021-12-31T19:00:00-05:00.
EST = timezone(timedelta(hours=-5))
SAMPLE_TIME = datetime(2021, 12, 31, 19, 0, tzinfo=EST)

ORDER_ID = "820982911946154508"
FULFILLMENT_ID = "123456"


def load(topic: str) -> dict[str, Any]:
    raw = (FIXTURE_DIR / f"{topic.replace('/', '_')}.json").read_text()
    return json.loads(raw, parse_float=Decimal)


# --- the five line items every sample carries (order, fulfillment and refund line_items) -------------

AVIATOR_SUNGLASSES = LineItem(
    id="487817672276298554", title="Aviator sunglasses", quantity=1, variant_title=None,
    sku="SKU2006-001", price=Decimal("89.99"), requires_shipping=True,
)
LENS_PROTECTION_PLAN = LineItem(
    id="789012345678901234", title="Lens Protection Plan (2 Year)", quantity=1, variant_title=None,
    sku="LENS-PROTECT-2YR", price=Decimal("19.99"), requires_shipping=True,
)
LEATHER_CASE = LineItem(
    id="890123456789012345", title="Premium Leather Case", quantity=1, variant_title=None,
    sku="CASE-LEATHER-PREM", price=Decimal("24.99"), requires_shipping=True,
)
MID_CENTURY_LOUNGER = LineItem(
    id="976318377106520349", title="Mid-century lounger", quantity=1, variant_title=None,
    sku="SKU2006-020", price=Decimal("159.99"), requires_shipping=True,
)
COFFEE_TABLE = LineItem(
    id="315789986012684393", title="Coffee table", quantity=1, variant_title=None,
    sku="SKU2006-035", price=Decimal("119.99"), requires_shipping=True,
)
SAMPLE_LINE_ITEMS = (AVIATOR_SUNGLASSES, LENS_PROTECTION_PLAN, LEATHER_CASE, MID_CENTURY_LOUNGER,
                     COFFEE_TABLE)

# Shopify's order sample (orders/create and orders/cancelled publish the same body).
SAMPLE_ORDER = OrderSnapshot(
    id="820982911946154508",
    name="#9999",
    currency="USD",
    number="1234",
    email="jon@example.com",
    phone=None,
    locale="en",
    created_at=SAMPLE_TIME,
    updated_at=SAMPLE_TIME,
    cancelled_at=SAMPLE_TIME,
    cancel_reason="customer",
    financial_status="voided",
    customer_first_name="John",
    customer_last_name="Smith",
    status_url="https://jsmith.myshopify.com/548380009/orders/123456abcd/authenticate?key=abcdefg",
    subtotal=Decimal("404.95"),
    shipping=Decimal("10.00"),
    tax=Decimal("0.00"),
    total=Decimal("404.95"),
    shipping_country="US",
    line_items=SAMPLE_LINE_ITEMS,
    test=True,
)

# Shopify's fulfillment sample (fulfillments/create and fulfillments/update publish the same body).
SAMPLE_FULFILLMENT = ShipmentSnapshot(
    id="123456",
    order_id="820982911946154508",
    status="pending",
    name="#9999.1",
    carrier_status=None,
    tracking_company="UPS",
    tracking_numbers=("1z827wk74630",),
    tracking_urls=("https://www.ups.com/WebTracking?loc=en_US&requester=ST&trackNums=1z827wk74630",),
    line_items=SAMPLE_LINE_ITEMS,
    updated_at=SAMPLE_TIME,
    estimated_delivery_at=None,
)

SAMPLE_CARRIER_UPDATE = CarrierUpdate(
    id="1234567",
    shipment_id="123456",
    order_id="820982911946154508",
    status="in_transit",
    happened_at=SAMPLE_TIME,
    message="Item is now in transit",
    estimated_delivery_at=None,
    city=None,
    province=None,
    country="CA",
)


# --- 1. one test per fixture: the exact canonical events ---------------------------------------------

def test_orders_create() -> None:
    assert shopify.normalize("orders/create", load("orders/create")) == [OrderUpdated(SAMPLE_ORDER)]


def test_orders_paid() -> None:
    assert shopify.normalize("orders/paid", load("orders/paid")) == [OrderUpdated(SAMPLE_ORDER)]


def test_app_uninstalled() -> None:
    assert shopify.normalize("app/uninstalled", load("app/uninstalled")) == [AppUninstalled("548380009")]


def test_customers_redact() -> None:
    assert shopify.normalize("customers/redact", load("customers/redact")) == [CustomerRedactRequested(
        customer_id="191167", email="john@example.com", phone="555-625-1199",
        order_ids=("299938", "280263", "220458"))]


def test_customers_data_request() -> None:
    assert shopify.normalize("customers/data_request", load("customers/data_request")) == [CustomerDataRequested(
        request_id="9999", customer_id="191167", email="john@example.com", phone="555-625-1199",
        order_ids=("299938", "280263", "220458"))]


def test_shop_update() -> None:
    assert shopify.normalize("shop/update", load("shop/update")) == [ShopUpdated(ShopFacts(
        name="Super Toys", contact_email="super@supertoys.com", currency="USD", timezone=None, locale="en",
        storefront_url=None))]


def test_shop_redact() -> None:
    assert shopify.normalize("shop/redact", load("shop/redact")) == [ShopRedactRequested("954889")]


def test_orders_create_money_and_ids_have_exact_types() -> None:
    """Equality alone would accept 404.95 as a float or ids as ints; the model promises Decimal and str."""
    [event] = shopify.normalize("orders/create", load("orders/create"))
    order = event.order
    assert type(order.id) is str and type(order.number) is str
    for amount in (order.subtotal, order.shipping, order.tax, order.total):
        assert type(amount) is Decimal
    assert str(order.total) == "404.95" and str(order.shipping) == "10.00"
    for item in order.line_items:
        assert type(item.id) is str and type(item.price) is Decimal
    assert [str(item.price) for item in order.line_items] == ["89.99", "19.99", "24.99", "159.99", "119.99"]
    assert order.created_at is not None and order.created_at.utcoffset() == timedelta(hours=-5)


def test_orders_cancelled() -> None:
    assert shopify.normalize("orders/cancelled", load("orders/cancelled")) == [
        OrderCancelled(OrderSnapshot(
            id="820982911946154508",
            name="#9999",
            currency="USD",
            number="1234",
            email="jon@example.com",
            phone=None,
            locale="en",
            created_at=datetime(2021, 12, 31, 19, 0, tzinfo=EST),
            updated_at=datetime(2021, 12, 31, 19, 0, tzinfo=EST),
            cancelled_at=datetime(2021, 12, 31, 19, 0, tzinfo=EST),
            cancel_reason="customer",
            financial_status="voided",
            customer_first_name="John",
            customer_last_name="Smith",
            status_url="https://jsmith.myshopify.com/548380009/orders/123456abcd/authenticate?key=abcdefg",
            subtotal=Decimal("404.95"),
            shipping=Decimal("10.00"),
            tax=Decimal("0.00"),
            total=Decimal("404.95"),
            shipping_country="US",
            line_items=(AVIATOR_SUNGLASSES, LENS_PROTECTION_PLAN, LEATHER_CASE, MID_CENTURY_LOUNGER,
                        COFFEE_TABLE),
            test=True,
        ))
    ]


def test_fulfillments_create() -> None:
    assert shopify.normalize("fulfillments/create", load("fulfillments/create")) == [
        ShipmentUpdated(SAMPLE_FULFILLMENT)
    ]


def test_fulfillments_update() -> None:
    assert shopify.normalize("fulfillments/update", load("fulfillments/update")) == [
        ShipmentUpdated(ShipmentSnapshot(
            id="123456",
            order_id="820982911946154508",
            status="pending",
            name="#9999.1",
            carrier_status=None,
            tracking_company="UPS",
            tracking_numbers=("1z827wk74630",),
            tracking_urls=("https://www.ups.com/WebTracking?loc=en_US&requester=ST&trackNums=1z827wk74630",),
            line_items=(AVIATOR_SUNGLASSES, LENS_PROTECTION_PLAN, LEATHER_CASE, MID_CENTURY_LOUNGER,
                        COFFEE_TABLE),
            updated_at=datetime(2021, 12, 31, 19, 0, tzinfo=EST),
            estimated_delivery_at=None,
        ))
    ]


def test_fulfillment_events_create() -> None:
    assert shopify.normalize("fulfillment_events/create", load("fulfillment_events/create")) == [
        CarrierEventReceived(SAMPLE_CARRIER_UPDATE)
    ]


def test_refunds_create() -> None:
    events = shopify.normalize("refunds/create", load("refunds/create"))
    assert events == [
        RefundCreated(RefundSnapshot(
            id="890088186047892319",
            order_id="820982911946154508",
            amount=Decimal("85.00"),  # the two successful refund transactions: 75.00 + 10.00
            currency="USD",  # the transactions publish "currency": null; refund_line_items' presentment_money: USD
            note="Things were damaged",
            created_at=datetime(2021, 12, 31, 19, 0, tzinfo=EST),
            line_items=(AVIATOR_SUNGLASSES, LENS_PROTECTION_PLAN, LEATHER_CASE, MID_CENTURY_LOUNGER,
                        COFFEE_TABLE),
        ))
    ]
    assert type(events[0].refund.amount) is Decimal and str(events[0].refund.amount) == "85.00"


def test_refund_currency_comes_from_the_refund_when_its_transactions_name_none() -> None:
    """Shopify's sample publishes `"currency": null` on both transactions: the currency the shopper paid in is read
    from the refund's own presentment money, never left for the order to guess."""
    payload = load("refunds/create")
    assert [t["currency"] for t in payload["transactions"]] == [None, None]
    [event] = shopify.normalize("refunds/create", payload)
    assert (event.refund.amount, event.refund.currency) == (Decimal("85.00"), "USD")
    for row in payload["refund_line_items"]:  # with no line items, the refund's total_duties_set still says it
        row["subtotal_set"] = None
    [event] = shopify.normalize("refunds/create", payload)
    assert event.refund.currency == "USD"


def test_refund_in_the_shoppers_currency_not_the_shops() -> None:
    """Shopify's Refund resource example (REST Admin 2025-10, tests/fixtures/shopify/docs/): a shop in CAD, a
    shopper who paid in USD. The refund transaction's 209.00 is in USD (`in_shop_currency` defaults to false);
    the shop-money sides say CAD. The example elides its line item (`"line_item": {}`) and names no order; the
    webhook carries `order_id`, here the order its transaction names."""
    payload = json.loads((FIXTURE_DIR / "docs" / "refund_resource_2025-10.json").read_text(), parse_float=Decimal)
    payload["order_id"] = payload["transactions"][0]["order_id"]
    [event] = shopify.normalize("refunds/create", payload)
    assert event == RefundCreated(RefundSnapshot(
        id="92738740", order_id="450789469", amount=Decimal("209.00"), currency="USD",
        note="Item was damaged during shipping", created_at=datetime(2008, 1, 10, 11, 0, tzinfo=EST),
        line_items=(),
    ))
    payload["transactions"][0]["currency"] = None  # the sample's null: every presentment_money still says USD
    [event] = shopify.normalize("refunds/create", payload)
    assert event.refund.currency == "USD"


def test_refund_line_items_carry_the_refunded_quantity() -> None:
    """The refunded quantity (refund_line_items[].quantity), not the ordered one (line_item.quantity)."""
    payload = load("refunds/create")
    payload["refund_line_items"][3]["line_item"]["quantity"] = 3  # ordered three loungers...
    payload["refund_line_items"][3]["quantity"] = 2  # ...refunded two
    [event] = shopify.normalize("refunds/create", payload)
    assert event.refund.line_items[3] == LineItem(
        id="976318377106520349", title="Mid-century lounger", quantity=2, variant_title=None,
        sku="SKU2006-020", price=Decimal("159.99"), requires_shipping=True,
    )


def test_refunded_item_keeps_requires_shipping() -> None:
    """A refunded line item is the ordered one with the refunded quantity; nothing else may change."""
    payload = load("refunds/create")
    payload["refund_line_items"][1]["line_item"]["requires_shipping"] = False  # the protection plan
    [event] = shopify.normalize("refunds/create", payload)
    assert event.refund.line_items[1] == LineItem(
        id="789012345678901234", title="Lens Protection Plan (2 Year)", quantity=1, variant_title=None,
        sku="LENS-PROTECT-2YR", price=Decimal("19.99"), requires_shipping=False,
    )


# --- 2. contract: handled topics and fixture files match one to one ----------------------------------

KNOWN_TOPICS = {"shop/update", "app/uninstalled", "customers/redact", "customers/data_request", "shop/redact", "orders/create",
                "orders/paid", "orders/cancelled", "fulfillments/create", "fulfillments/update",
                "fulfillment_events/create", "refunds/create", "orders/updated", "products/update"}


def _fixture_topics() -> set[str]:
    """Topic of each fixture file; '/' became '_' in the name, so match names against known topics."""
    by_stem = {topic.replace("/", "_"): topic for topic in KNOWN_TOPICS | shopify.HANDLED_TOPICS}
    return {by_stem.get(path.stem, f"unknown:{path.stem}") for path in FIXTURE_DIR.glob("*.json")}


def test_fixture_file_names_map_to_topics() -> None:
    assert _fixture_topics() == {"shop/update", "app/uninstalled", "customers/redact", "customers/data_request", "shop/redact",
                                 "orders/create", "orders/paid", "orders/cancelled", "fulfillments/create",
                                 "fulfillments/update", "fulfillment_events/create", "refunds/create"}


def test_every_handled_topic_has_a_fixture() -> None:
    missing = sorted(topic for topic in shopify.HANDLED_TOPICS
                     if not (FIXTURE_DIR / f"{topic.replace('/', '_')}.json").is_file())
    assert missing == [], f"handled topics without a sample payload fixture: {missing}"


def test_every_fixture_is_a_handled_topic() -> None:
    assert sorted(_fixture_topics() - shopify.HANDLED_TOPICS) == []


# --- 3. big integer ids stay exact -------------------------------------------------------------------

def _dicts(value: Any, parent_key: str | None = None) -> Iterator[tuple[str | None, dict[str, Any]]]:
    """Every dict in a payload with the key of the field (or list) that holds it."""
    if isinstance(value, dict):
        yield parent_key, value
        for key, child in value.items():
            yield from _dicts(child, key)
    elif isinstance(value, list):
        for child in value:
            yield from _dicts(child, parent_key)


WITH_GRAPHQL_IDS = sorted(p for p in FIXTURE_DIR.glob("*.json") if "admin_graphql_api_id" in p.read_text())


def test_resource_fixtures_carry_graphql_ids() -> None:
    """Every order, fulfillment, event and refund sample is checked below (privacy samples carry none)."""
    assert {p.stem for p in WITH_GRAPHQL_IDS} == {
        "orders_create", "orders_paid", "orders_cancelled", "fulfillments_create", "fulfillments_update",
        "fulfillment_events_create", "refunds_create"}


@pytest.mark.parametrize("path", WITH_GRAPHQL_IDS, ids=lambda p: p.stem)
def test_fixture_ids_match_their_graphql_ids(path: Path) -> None:
    payload = json.loads(path.read_text(), parse_float=Decimal)
    checked = 0
    for parent_key, node in _dicts(payload):
        if parent_key == "refund_line_items":
            continue  # Shopify publishes no exact value for these (fixtures README)
        if isinstance(node.get("id"), int) and isinstance(node.get("admin_graphql_api_id"), str):
            assert node["admin_graphql_api_id"].endswith(f"/{node['id']}"), node["admin_graphql_api_id"]
            checked += 1
    assert checked >= 1


def test_normalized_order_id_is_exact() -> None:
    payload = load("orders/create")
    assert payload["id"] == 820982911946154508  # parsed as an exact int, never a float
    [event] = shopify.normalize("orders/create", payload)
    assert event.order.id == "820982911946154508"
    [shipment] = shopify.normalize("fulfillments/create", load("fulfillments/create"))
    assert shipment.shipment.order_id == "820982911946154508"
    [refund] = shopify.normalize("refunds/create", load("refunds/create"))
    assert refund.refund.order_id == "820982911946154508"


# --- 4. derived documented states (copy a sample, change only the named documented fields) ----------

def test_delivered_fulfillment() -> None:
    payload = copy.deepcopy(load("fulfillments/update"))
    payload.update(status="success", shipment_status="delivered")
    assert shopify.normalize("fulfillments/update", payload) == [
        ShipmentUpdated(ShipmentSnapshot(
            id="123456",
            order_id="820982911946154508",
            status="success",
            name="#9999.1",
            carrier_status="delivered",
            tracking_company="UPS",
            tracking_numbers=("1z827wk74630",),
            tracking_urls=("https://www.ups.com/WebTracking?loc=en_US&requester=ST&trackNums=1z827wk74630",),
            line_items=SAMPLE_LINE_ITEMS,
            updated_at=SAMPLE_TIME,
            estimated_delivery_at=None,
        ))
    ]


def test_paid_order() -> None:
    """The order sample in the documented state of a paid order: only those fields change."""
    payload = copy.deepcopy(load("orders/create"))
    payload.update(financial_status="paid", cancelled_at=None, cancel_reason=None)
    expected = dataclasses.replace(SAMPLE_ORDER, financial_status="paid", cancelled_at=None, cancel_reason=None)
    assert shopify.normalize("orders/paid", payload) == [OrderUpdated(expected)]


def test_out_for_delivery_event() -> None:
    payload = copy.deepcopy(load("fulfillment_events/create"))
    payload.update(status="out_for_delivery")
    expected = dataclasses.replace(SAMPLE_CARRIER_UPDATE, status="out_for_delivery")
    assert shopify.normalize("fulfillment_events/create", payload) == [CarrierEventReceived(expected)]


# --- 5. unhandled topics and malformed payloads ------------------------------------------------------

def test_unhandled_topic_is_ignored() -> None:
    assert shopify.normalize("products/update", {"id": 632910392, "title": "IPod Nano - 8GB"}) == []
    assert shopify.normalize("products/update", load("orders/create")) == []


def test_order_without_id_is_malformed() -> None:
    payload = load("orders/create")
    del payload["id"]
    with pytest.raises(MalformedPayload):
        shopify.normalize("orders/create", payload)


def test_fulfillment_without_order_id_is_malformed() -> None:
    payload = load("fulfillments/create")
    del payload["order_id"]
    with pytest.raises(MalformedPayload):
        shopify.normalize("fulfillments/create", payload)


@pytest.mark.parametrize("topic", ["orders/create", "fulfillments/update", "refunds/create"])
def test_non_object_payload_is_malformed(topic: str) -> None:
    payload = json.loads('[{"id": 820982911946154508}]', parse_float=Decimal)
    with pytest.raises(MalformedPayload):
        shopify.normalize(topic, payload)


# --- 6. delivery_key ---------------------------------------------------------------------------------

def _headers(event_id: str, webhook_id: str) -> dict[str, str]:
    return {"X-Shopify-Topic": "orders/create", "X-Shopify-Event-Id": event_id,
            "X-Shopify-Webhook-Id": webhook_id, "X-Shopify-Shop-Domain": "acme.myshopify.com"}


def test_same_event_different_resources_get_different_keys() -> None:
    first = load("orders/create")
    second = copy.deepcopy(first)
    second["id"] = 820982911946154509
    a = shopify.delivery_key("orders/create", _headers("evt-1", "wh-1"), first)
    b = shopify.delivery_key("orders/create", _headers("evt-1", "wh-2"), second)
    assert a.dedupe_key != b.dedupe_key
    assert (a.resource_id, b.resource_id) == ("820982911946154508", "820982911946154509")


def test_same_event_topic_and_resource_share_a_key_across_webhook_ids() -> None:
    payload = load("orders/create")
    a = shopify.delivery_key("orders/create", _headers("evt-1", "wh-1"), payload)
    b = shopify.delivery_key("orders/create", _headers("evt-1", "wh-2"), payload)
    assert a.dedupe_key == b.dedupe_key
    assert (a.event_id, a.webhook_id, b.webhook_id) == ("evt-1", "wh-1", "wh-2")


def test_same_event_and_resource_on_different_topics_get_different_keys() -> None:
    payload = load("orders/create")
    a = shopify.delivery_key("orders/create", _headers("evt-1", "wh-1"), payload)
    b = shopify.delivery_key("orders/cancelled", _headers("evt-1", "wh-1"), payload)
    assert a.dedupe_key != b.dedupe_key


def test_delivery_key_headers_are_case_insensitive() -> None:
    payload = load("orders/create")
    canonical = shopify.delivery_key("orders/create", _headers("evt-1", "wh-1"), payload)
    lower = {k.lower(): v for k, v in _headers("evt-1", "wh-1").items()}
    lowered = shopify.delivery_key("orders/create", lower, payload)
    assert lowered.dedupe_key == canonical.dedupe_key
    assert (lowered.event_id, lowered.webhook_id) == ("evt-1", "wh-1")
    assert lowered.resource_id == "820982911946154508"


def test_delivery_key_reads_triggered_at() -> None:
    headers = {**_headers("evt-1", "wh-1"), "x-shopify-triggered-at": "2021-12-31T19:00:00-05:00"}
    key = shopify.delivery_key("orders/create", headers, load("orders/create"))
    assert key.triggered_at == SAMPLE_TIME


# --- 7. verify ---------------------------------------------------------------------------------------

SECRET, PREVIOUS_SECRET = "test-app-secret", "previous-app-secret"


def _sign(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def _body() -> bytes:
    return (FIXTURE_DIR / "orders_create.json").read_bytes()


def test_verify_correct_signature() -> None:
    body = _body()
    headers = {"X-Shopify-Hmac-Sha256": _sign(body, SECRET), "X-Shopify-Shop-Domain": "acme.myshopify.com"}
    assert shopify.verify(headers, body, SECRET, PREVIOUS_SECRET, "client-id").ok is True
    assert shopify.verify(headers, body, SECRET, None, None).ok is True


def test_verify_lowercase_header() -> None:
    body = _body()
    headers = {"x-shopify-hmac-sha256": _sign(body, SECRET)}
    assert shopify.verify(headers, body, SECRET, None, "client-id").ok is True


def test_verify_non_ascii_body() -> None:
    body = '{"id": 1, "note": "Café — 東京"}'.encode()
    headers = {"X-Shopify-Hmac-Sha256": _sign(body, SECRET)}
    assert shopify.verify(headers, body, SECRET, None, "client-id").ok is True


def test_verify_previous_secret() -> None:
    body = _body()
    headers = {"X-Shopify-Hmac-Sha256": _sign(body, PREVIOUS_SECRET)}
    assert shopify.verify(headers, body, SECRET, PREVIOUS_SECRET, "client-id").ok is True
    # ...but only while it is configured as the previous secret.
    assert shopify.verify(headers, body, SECRET, None, "client-id").ok is False


def test_verify_wrong_signature() -> None:
    body = _body()
    for signature in (_sign(body, "some-other-secret"), _sign(body + b" ", SECRET), "not-base64!"):
        headers = {"X-Shopify-Hmac-Sha256": signature}
        assert shopify.verify(headers, body, SECRET, PREVIOUS_SECRET, "client-id").ok is False


def test_verify_missing_header() -> None:
    body = _body()
    headers = {"X-Shopify-Shop-Domain": "acme.myshopify.com"}
    assert shopify.verify(headers, body, SECRET, PREVIOUS_SECRET, "client-id").ok is False


@pytest.mark.parametrize("secret", [None, ""])
def test_verify_without_configured_secret(secret: str | None) -> None:
    body = _body()
    # Signed with the empty key: must not pass just because no secret is configured.
    headers = {"X-Shopify-Hmac-Sha256": _sign(body, "")}
    result = shopify.verify(headers, body, secret, None, "client-id")
    assert result.ok is False


def test_verify_non_utf8_body_fails_without_raising() -> None:
    body = b'{"id": 1, "note": "\xff\xfe"}'
    headers = {"X-Shopify-Hmac-Sha256": _sign(body, SECRET)}
    result = shopify.verify(headers, body, SECRET, PREVIOUS_SECRET, "client-id")
    assert result.ok is False


def test_app_toml_subscribes_exactly_the_handled_topics() -> None:
    import tomllib

    config = tomllib.loads((Path(__file__).parents[2] / "shopify.app.toml").read_text())
    subscribed = {t for s in config["webhooks"]["subscriptions"] for t in s.get("topics", [])}
    compliance = {t for s in config["webhooks"]["subscriptions"] for t in s.get("compliance_topics", [])}
    assert subscribed | compliance == set(shopify.HANDLED_TOPICS)
    assert compliance == set(shopify.PRIVACY_TOPICS)
    assert {s["uri"] for s in config["webhooks"]["subscriptions"]} == {"/webhooks/shopify"}
