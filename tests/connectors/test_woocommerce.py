"""WooCommerce connector: each documented order body, diffed against a stated previous state, becomes
exactly the canonical events written here.

In the style of Zulip's webhook integration tests: one test per fixture, the expected events written out
by hand from the values read in the fixture (never computed by the code under test). Events are compared
through `connectors.events.describe`, so "3" and "3.00" or a naive and an aware datetime differ.
Payloads are parsed the way the app parses them: ``json.loads(raw, parse_float=Decimal)``.
"""
from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from connectors import woocommerce
from connectors.base import MalformedPayload
from connectors.events import (
    CarrierEventReceived,
    CarrierUpdate,
    Event,
    LineItem,
    OrderCancelled,
    OrderSnapshot,
    OrderUpdated,
    RefundCreated,
    RefundSnapshot,
    ShipmentSnapshot,
    ShipmentUpdated,
    describe,
)
from connectors.woocommerce import Extras, Options

FIXTURE_DIR = Path(__file__).parents[1] / "fixtures" / "woocommerce"
UTC = timezone.utc


def raw(name: str) -> bytes:
    return (FIXTURE_DIR / f"{name}.json").read_bytes()


def load(name: str) -> Any:
    return json.loads(raw(name), parse_float=Decimal)


def described(events: list[Event]) -> list[dict[str, Any]]:
    return [describe(event) for event in events]


def state_after(*names: str, options: Options = Options()) -> dict[str, Any] | None:
    """The state stored after these fixtures were delivered in this order (as order.updated)."""
    state = None
    for name in names:
        state = woocommerce.normalize("order.updated", load(name), state, options).state or state
    return state


# --- the documented orders, written out -----------------------------------------------------------------

# Order 727 ("Retrieve an order" in the REST docs).
LINE_315 = LineItem(id="315", title="Woo Single #1", quantity=2, sku=None, price=Decimal("3"), requires_shipping=True)
LINE_316 = LineItem(id="316", title="Ship Your Idea \u2013 Color: Black, Size: M Test", quantity=1, sku="Bar3",
                    price=Decimal("12"), requires_shipping=True)
CREATED_727 = datetime(2017, 3, 22, 19, 28, 2, tzinfo=UTC)
PROCESSING_AT = datetime(2017, 3, 22, 19, 28, 8, tzinfo=UTC)
COMPLETED_AT = datetime(2017, 3, 23, 13, 0, 0, tzinfo=UTC)
CANCELLED_AT = datetime(2017, 3, 22, 21, 0, 0, tzinfo=UTC)
REFUNDED_AT = datetime(2017, 3, 24, 12, 0, 0, tzinfo=UTC)
DELIVERED_AT = datetime(2017, 3, 25, 18, 0, 0, tzinfo=UTC)

ORDER_727 = OrderSnapshot(
    id="727", name="#727", currency="USD", number="727", email="john.doe@example.com", phone="(555) 555-5555",
    locale=None, created_at=CREATED_727, updated_at=PROCESSING_AT, cancelled_at=None, cancel_reason=None,
    financial_status="paid", customer_first_name="John", customer_last_name="Doe", status_url=None,
    subtotal=Decimal("18.00"), shipping=Decimal("10.00"), tax=Decimal("1.35"), total=Decimal("29.35"),
    shipping_country="US", line_items=(LINE_315, LINE_316), test=False,
)
COMPLETED_727 = OrderSnapshot(
    id="727", name="#727", currency="USD", number="727", email="john.doe@example.com", phone="(555) 555-5555",
    created_at=CREATED_727, updated_at=COMPLETED_AT, financial_status="paid", customer_first_name="John",
    customer_last_name="Doe", subtotal=Decimal("18.00"), shipping=Decimal("10.00"), tax=Decimal("1.35"),
    total=Decimal("29.35"), shipping_country="US", line_items=(LINE_315, LINE_316),
)

USPS_NUMBER = "9400111899560000000000"
USPS_TRACKING_ID = "7f4978c390ee633c6294ae0f258656f9"
USPS_SHIPMENT_ID = f"727:t:{USPS_TRACKING_ID}"
USPS_LINK = f"https://tools.usps.com/go/TrackConfirmAction_input?qtc_tLabels1={USPS_NUMBER}"
USPS_SHIPMENT = ShipmentSnapshot(
    id=USPS_SHIPMENT_ID, order_id="727", status="success", tracking_company="USPS",
    tracking_numbers=(USPS_NUMBER,), tracking_urls=(USPS_LINK,), line_items=(LINE_315, LINE_316),
    updated_at=COMPLETED_AT,
)
COMPLETED_NO_TRACKING_SHIPMENT = ShipmentSnapshot(
    id="727:completed", order_id="727", status="success", tracking_company=None, tracking_numbers=(),
    tracking_urls=(), line_items=(LINE_315, LINE_316), updated_at=COMPLETED_AT,
)

# Order 723 ("List all orders"), its refunds 726 and 724 ("List all refunds").
LINE_311 = LineItem(id="311", title="Woo Album #2", quantity=1, sku=None, price=Decimal("9"), requires_shipping=True)
LINE_313 = LineItem(id="313", title="Woo Ninja", quantity=1, sku=None, price=Decimal("20"), requires_shipping=True)
MODIFIED_723 = datetime(2017, 3, 21, 19, 54, 51, tzinfo=UTC)
ORDER_723 = OrderSnapshot(
    id="723", name="#723", currency="USD", number="723", email="joao.silva@example.com", phone="(11) 1111-1111",
    created_at=datetime(2017, 3, 21, 19, 16, 0, tzinfo=UTC), updated_at=MODIFIED_723,
    financial_status="partially_refunded", customer_first_name="Jo\u00e3o", customer_last_name="Silva",
    subtotal=Decimal("29.00"), shipping=Decimal("10.00"), tax=Decimal("0.00"), total=Decimal("39.00"),
    shipping_country="BR", line_items=(LINE_311, LINE_313),
)
SHIPMENT_723 = ShipmentSnapshot(id="723:completed", order_id="723", status="success",
                                line_items=(LINE_311, LINE_313), updated_at=MODIFIED_723)
REFUND_724 = RefundSnapshot(id="724", order_id="723", amount=Decimal("9.00"), currency="USD", note=None,
                            created_at=datetime(2017, 3, 21, 19, 55, 37, tzinfo=UTC), line_items=(LINE_311,))
REFUND_726 = RefundSnapshot(id="726", order_id="723", amount=Decimal("10.00"), currency="USD", note=None,
                            created_at=datetime(2017, 3, 21, 20, 7, 11, tzinfo=UTC), line_items=())


def refund_extras() -> Extras:
    return Extras(refunds=tuple(load("rest_refunds_723")))


# --- 1. one test per fixture: the exact canonical events ---------------------------------------------

def test_order_created_pending_says_nothing_yet() -> None:
    result = woocommerce.normalize("order.created", load("order_created_pending"), None)
    assert result.events == []
    assert result.state is not None and result.state["status"] == "pending"


def test_order_checkout_draft_says_nothing() -> None:
    result = woocommerce.normalize("order.updated", load("order_checkout_draft"), None)
    assert result.events == []
    assert result.state is not None and result.state["status"] == "checkout-draft"


@pytest.mark.parametrize("previous", [None, "order_created_pending", "order_checkout_draft"])
def test_order_processing(previous: str | None) -> None:
    state = state_after(previous) if previous else None
    result = woocommerce.normalize("order.updated", load("order_processing"), state)
    assert described(result.events) == described([OrderUpdated(ORDER_727)])


def test_order_completed_with_tracking() -> None:
    result = woocommerce.normalize("order.updated", load("order_completed_with_tracking"),
                                   state_after("order_processing"))
    assert described(result.events) == described([OrderUpdated(COMPLETED_727), ShipmentUpdated(USPS_SHIPMENT)])


def test_order_completed_no_tracking() -> None:
    result = woocommerce.normalize("order.updated", load("order_completed_no_tracking"),
                                   state_after("order_processing"))
    assert described(result.events) == described([OrderUpdated(COMPLETED_727),
                                                   ShipmentUpdated(COMPLETED_NO_TRACKING_SHIPMENT)])


def test_order_virtual_completed_has_no_shipment() -> None:
    virtual_lines = tuple(LineItem(id=i.id, title=i.title, quantity=i.quantity, sku=i.sku, price=i.price,
                                   requires_shipping=False) for i in (LINE_315, LINE_316))
    expected = OrderSnapshot(
        id="727", name="#727", currency="USD", number="727", email="john.doe@example.com",
        phone="(555) 555-5555", created_at=CREATED_727, updated_at=COMPLETED_AT, financial_status="paid",
        customer_first_name="John", customer_last_name="Doe", subtotal=Decimal("18.00"),
        shipping=Decimal("0.00"), tax=Decimal("1.35"), total=Decimal("19.35"), shipping_country="US",
        line_items=virtual_lines,
    )
    result = woocommerce.normalize("order.updated", load("order_virtual_completed"), None)
    assert described(result.events) == described([OrderUpdated(expected)])


def test_order_partial_refund_with_refund_details() -> None:
    result = woocommerce.normalize("order.updated", load("order_partial_refund"), None, extras=refund_extras())
    assert described(result.events) == described([
        OrderUpdated(ORDER_723), ShipmentUpdated(SHIPMENT_723), RefundCreated(REFUND_724), RefundCreated(REFUND_726),
    ])


def test_order_partial_refund_without_details_dates_refunds_at_the_modification() -> None:
    result = woocommerce.normalize("order.updated", load("order_partial_refund"), None)
    refunds = [describe(e) for e in result.events if isinstance(e, RefundCreated)]
    assert refunds == described([
        RefundCreated(RefundSnapshot(id="724", order_id="723", amount=Decimal("9.00"), currency="USD",
                                     created_at=MODIFIED_723)),
        RefundCreated(RefundSnapshot(id="726", order_id="723", amount=Decimal("10.00"), currency="USD",
                                     created_at=MODIFIED_723)),
    ])


def test_order_full_refund() -> None:
    refunded = OrderSnapshot(
        id="727", name="#727", currency="USD", number="727", email="john.doe@example.com", phone="(555) 555-5555",
        created_at=CREATED_727, updated_at=REFUNDED_AT, financial_status="refunded", customer_first_name="John",
        customer_last_name="Doe", subtotal=Decimal("18.00"), shipping=Decimal("10.00"), tax=Decimal("1.35"),
        total=Decimal("29.35"), shipping_country="US", line_items=(LINE_315, LINE_316),
    )
    refund = RefundSnapshot(id="728", order_id="727", amount=Decimal("29.35"), currency="USD",
                            note="Order fully refunded.", created_at=REFUNDED_AT)
    result = woocommerce.normalize("order.updated", load("order_full_refund"), state_after("order_processing"))
    assert described(result.events) == described([OrderUpdated(refunded), RefundCreated(refund)])


def test_order_cancelled_after_payment_expects_a_refund() -> None:
    cancelled = OrderSnapshot(
        id="727", name="#727", currency="USD", number="727", email="john.doe@example.com", phone="(555) 555-5555",
        created_at=CREATED_727, updated_at=CANCELLED_AT, cancelled_at=CANCELLED_AT, financial_status="paid",
        customer_first_name="John", customer_last_name="Doe", subtotal=Decimal("18.00"), shipping=Decimal("10.00"),
        tax=Decimal("1.35"), total=Decimal("29.35"), shipping_country="US", line_items=(LINE_315, LINE_316),
    )
    result = woocommerce.normalize("order.updated", load("order_cancelled"), state_after("order_processing"))
    assert described(result.events) == described([OrderCancelled(cancelled)])


def test_unpaid_order_cancelled_is_pending() -> None:
    body = load("order_cancelled")
    body.update(date_paid=None, date_paid_gmt=None)
    [event] = woocommerce.normalize("order.updated", body, state_after("order_created_pending")).events
    assert isinstance(event, OrderCancelled) and event.order.financial_status == "pending"


def test_order_ast_delivered_after_tracking() -> None:
    delivered = OrderSnapshot(
        id="727", name="#727", currency="USD", number="727", email="john.doe@example.com", phone="(555) 555-5555",
        created_at=CREATED_727, updated_at=DELIVERED_AT, financial_status="paid", customer_first_name="John",
        customer_last_name="Doe", subtotal=Decimal("18.00"), shipping=Decimal("10.00"), tax=Decimal("1.35"),
        total=Decimal("29.35"), shipping_country="US", line_items=(LINE_315, LINE_316),
    )
    update = CarrierUpdate(id="727:delivered", shipment_id=USPS_SHIPMENT_ID, order_id="727", status="delivered",
                           happened_at=DELIVERED_AT)
    previous = state_after("order_processing", "order_completed_with_tracking")
    result = woocommerce.normalize("order.updated", load("order_ast_delivered"), previous)
    assert described(result.events) == described([OrderUpdated(delivered), CarrierEventReceived(update)])


def test_order_ast_delivered_without_any_shipment_announces_one_first() -> None:
    body = load("order_ast_delivered")
    body["meta_data"] = [row for row in body["meta_data"] if row["key"] != "_wc_shipment_tracking_items"]
    result = woocommerce.normalize("order.updated", body, state_after("order_processing"))
    kinds = [(type(e).__name__, getattr(e, "shipment", None) or getattr(e, "update", None)) for e in result.events]
    assert [k for k, _ in kinds] == ["OrderUpdated", "ShipmentUpdated", "CarrierEventReceived"]
    shipment, update = kinds[1][1], kinds[2][1]
    assert shipment.id == "727:completed" and shipment.tracking_numbers == () and shipment.updated_at == DELIVERED_AT
    assert update.shipment_id == "727:completed" and update.id == "727:delivered"


def test_order_deleted_marks_the_order_trashed() -> None:
    previous = state_after("order_processing")
    result = woocommerce.normalize("order.deleted", load("order_deleted"), previous)
    assert result.events == []
    assert result.state == {**previous, "trashed": True}


def test_order_restored_unchanged_says_nothing_again() -> None:
    trashed = woocommerce.normalize("order.deleted", load("order_deleted"), state_after("order_processing")).state
    result = woocommerce.normalize("order.restored", load("order_restored"), trashed)
    assert result.events == []
    assert result.state is not None and result.state["trashed"] is False


def test_order_restored_never_seen_is_an_update() -> None:
    result = woocommerce.normalize("order.restored", load("order_restored"), None)
    assert described(result.events) == described([OrderUpdated(ORDER_727)])


# --- 2. diffs: repeats, stale bodies, skipped states, changed tracking --------------------------------

ORDER_FIXTURES = ["order_created_pending", "order_checkout_draft", "order_processing", "order_completed_with_tracking",
                  "order_completed_no_tracking", "order_virtual_completed", "order_partial_refund",
                  "order_full_refund", "order_cancelled", "order_ast_delivered", "order_restored"]


@pytest.mark.parametrize("name", ORDER_FIXTURES)
def test_same_payload_twice_says_nothing_the_second_time(name: str) -> None:
    first = woocommerce.normalize("order.updated", load(name), None, extras=refund_extras())
    second = woocommerce.normalize("order.updated", load(name), first.state, extras=refund_extras())
    assert second.events == []


def test_state_survives_a_json_round_trip() -> None:
    state = state_after("order_processing", "order_completed_with_tracking")
    stored = json.loads(json.dumps(state))
    assert woocommerce.normalize("order.updated", load("order_completed_with_tracking"), stored).events == []


def test_older_payload_after_newer_is_ignored_and_keeps_the_state() -> None:
    newer = state_after("order_completed_with_tracking")
    result = woocommerce.normalize("order.updated", load("order_processing"), newer)
    assert result.events == [] and result.state is None


def test_skipped_state_pending_to_completed_with_tracking() -> None:
    result = woocommerce.normalize("order.updated", load("order_completed_with_tracking"),
                                   state_after("order_created_pending"))
    assert described(result.events) == described([OrderUpdated(COMPLETED_727), ShipmentUpdated(USPS_SHIPMENT)])


def _with_tracking(body: dict[str, Any], items: list[dict[str, Any]], modified_gmt: str) -> dict[str, Any]:
    body = copy.deepcopy(body)
    for row in body["meta_data"]:
        if row["key"] == "_wc_shipment_tracking_items":
            row["value"] = items
    body["date_modified_gmt"] = modified_gmt
    return body


UPS_ITEM = {"tracking_provider": "ups", "custom_tracking_provider": "", "custom_tracking_link": "",
            "tracking_number": "1Z999AA1234567890", "date_shipped": 1783641600,
            "tracking_id": "0a1b2c3d4e5f60718293a4b5c6d7e8f9"}


def shipments(events: list[Event]) -> list[ShipmentSnapshot]:
    return [e.shipment for e in events if isinstance(e, ShipmentUpdated)]


def test_tracking_number_replaced_keeps_the_shipment_id() -> None:
    """Shipment Tracking changes a number by deleting the item and adding a new one."""
    previous = state_after("order_completed_with_tracking")
    body = _with_tracking(load("order_completed_with_tracking"), [UPS_ITEM], "2017-03-23T14:00:00")
    [shipment] = shipments(woocommerce.normalize("order.updated", body, previous).events)
    assert shipment.id == USPS_SHIPMENT_ID
    assert shipment.tracking_numbers == ("1Z999AA1234567890",) and shipment.tracking_company == "UPS"
    assert shipment.tracking_urls == ("https://www.ups.com/track?loc=en_US&tracknum=1Z999AA1234567890",)


def test_second_tracking_item_is_its_own_shipment() -> None:
    previous = state_after("order_completed_with_tracking")
    usps = load("order_completed_with_tracking")["meta_data"][1]["value"][0]
    body = _with_tracking(load("order_completed_with_tracking"), [usps, UPS_ITEM], "2017-03-23T14:00:00")
    [shipment] = shipments(woocommerce.normalize("order.updated", body, previous).events)
    assert shipment.id == "727:t:0a1b2c3d4e5f60718293a4b5c6d7e8f9"


def test_completed_then_tracking_added_inherits_the_completed_shipment() -> None:
    previous = state_after("order_processing", "order_completed_no_tracking")
    result = woocommerce.normalize("order.updated", load("order_completed_with_tracking"), previous)
    assert described(result.events) == described([ShipmentUpdated(ShipmentSnapshot(
        id="727:completed", order_id="727", status="success", tracking_company="USPS",
        tracking_numbers=(USPS_NUMBER,), tracking_urls=(USPS_LINK,), line_items=(LINE_315, LINE_316),
        updated_at=COMPLETED_AT))])
    body = _with_tracking(load("order_completed_with_tracking"), [
        load("order_completed_with_tracking")["meta_data"][1]["value"][0], UPS_ITEM], "2017-03-23T14:00:00")
    [later] = shipments(woocommerce.normalize("order.updated", body, result.state).events)
    assert later.id == "727:t:0a1b2c3d4e5f60718293a4b5c6d7e8f9"


def test_tracking_on_a_cancelled_order_is_not_announced() -> None:
    body = load("order_completed_with_tracking")
    body["status"] = "cancelled"
    events = woocommerce.normalize("order.updated", body, state_after("order_processing")).events
    assert [type(e).__name__ for e in events] == ["OrderCancelled"]


def test_local_pickup_order_completed_has_no_shipment() -> None:
    body = load("order_completed_no_tracking")
    body["shipping_lines"][0]["method_id"] = "local_pickup"
    events = woocommerce.normalize("order.updated", body, state_after("order_processing")).events
    assert [type(e).__name__ for e in events] == ["OrderUpdated"]


@pytest.mark.parametrize("confirm_on_hold, financial", [(False, "pending"), (True, "authorized")])
def test_on_hold(confirm_on_hold: bool, financial: str) -> None:
    """BACS/cheque orders wait on-hold until the merchant sees the money."""
    body = load("order_processing")
    body.update(status="on-hold", date_paid=None, date_paid_gmt=None)
    result = woocommerce.normalize("order.created", body, None, Options(confirm_on_hold=confirm_on_hold))
    [event] = result.events
    assert isinstance(event, OrderUpdated) and event.order.financial_status == financial


def test_refund_line_items_come_from_the_refund_details() -> None:
    events = woocommerce.normalize("order.updated", load("order_partial_refund"), None, extras=refund_extras()).events
    [line_refund] = [e.refund for e in events if isinstance(e, RefundCreated) and e.refund.id == "724"]
    assert line_refund.line_items == (LINE_311,)
    assert line_refund.line_items[0].quantity == 1 and line_refund.line_items[0].price == Decimal("9")


def test_a_new_refund_after_a_seen_one_is_the_only_one_announced() -> None:
    body = load("order_partial_refund")
    body["refunds"] = body["refunds"][1:]  # only 724 (the older one) at first
    first = woocommerce.normalize("order.updated", body, None, extras=refund_extras())
    later = woocommerce.normalize("order.updated", load("order_partial_refund"), first.state, extras=refund_extras())
    assert described(later.events) == described([RefundCreated(REFUND_726)])


def test_status_url_for_a_registered_customer() -> None:
    [order_event, *_] = woocommerce.normalize("order.updated", load("order_partial_refund"), None,
                                              Options(store_url="https://example.com/")).events
    assert order_event.order.status_url == "https://example.com/my-account/view-order/723/"


def test_guest_order_has_no_status_url() -> None:
    snapshot = woocommerce.order_snapshot(load("order_processing"), Options(store_url="https://example.com"))
    assert snapshot.status_url is None


def test_order_snapshot_matches_the_documented_order() -> None:
    assert describe(OrderUpdated(woocommerce.order_snapshot(load("order_processing")))) == describe(
        OrderUpdated(ORDER_727))


# --- 3. REST extras: core fulfillments, tracking items ------------------------------------------------

def test_core_fulfillment_becomes_a_shipment_with_its_items() -> None:
    extras = Extras(fulfillments=tuple(load("rest_fulfillments_727")))
    result = woocommerce.normalize("order.updated", load("order_processing"), state_after("order_processing"),
                                   extras=extras)
    assert described(result.events) == described([ShipmentUpdated(ShipmentSnapshot(
        id="727:f:1", order_id="727", status="success", tracking_company="UPS",
        tracking_numbers=("1Z999AA1234567890",),
        tracking_urls=("https://www.ups.com/track?loc=en_US&tracknum=1Z999AA1234567890",),
        line_items=(LINE_315, LINE_316), updated_at=PROCESSING_AT))])


def test_unfulfilled_fulfillment_is_not_a_shipment() -> None:
    fulfillments = load("rest_fulfillments_727")
    fulfillments[0].update(status="unfulfilled", is_fulfilled=False)
    result = woocommerce.normalize("order.updated", load("order_processing"), state_after("order_processing"),
                                   extras=Extras(fulfillments=tuple(fulfillments)))
    assert result.events == []


def test_rest_tracking_item_uses_the_store_formatted_link() -> None:
    extras = Extras(trackings=tuple(load("rest_shipment_trackings_ast")))
    result = woocommerce.normalize("order.updated", load("order_processing"), state_after("order_processing"),
                                   extras=extras)
    assert described(result.events) == described([ShipmentUpdated(ShipmentSnapshot(
        id="727:t:feb9bde4475fda92cc9408607b7ecb66", order_id="727", status="success", tracking_company="Fedex",
        tracking_numbers=("12345678",), tracking_urls=("http://www.fedex.com/Tracking?action=track&tracknumbers=12345678",),
        line_items=(LINE_315, LINE_316), updated_at=PROCESSING_AT))])


def test_rest_and_meta_views_of_one_tracking_item_are_one_shipment() -> None:
    previous = state_after("order_completed_with_tracking")
    extras = Extras(trackings=tuple(load("rest_shipment_trackings_wc_docs")))
    result = woocommerce.normalize("order.updated", load("order_completed_with_tracking"), previous, extras=extras)
    assert result.events == []


def test_a_body_without_tracking_meta_forgets_no_shipment() -> None:
    """Tracking read by the poller (REST), then a webhook body without the meta: nothing vanished, and the
    same item read again is not a new shipment (nor is the completion a second one)."""
    extras = Extras(trackings=tuple(load("rest_shipment_trackings_ast")))
    polled = woocommerce.normalize("order.updated", load("order_processing"), state_after("order_processing"),
                                   extras=extras).state
    completed = woocommerce.normalize("order.updated", load("order_completed_no_tracking"), polled)
    assert [type(e).__name__ for e in completed.events] == ["OrderUpdated"]
    again = woocommerce.normalize("order.updated", load("order_completed_no_tracking"), completed.state, extras=extras)
    assert again.events == []


def test_needs_refund_details_for_unseen_refunds_only() -> None:
    body = load("order_partial_refund")
    assert woocommerce.needs(body, None) == woocommerce.Needs(refunds=True, fulfillments=False)
    state = woocommerce.normalize("order.updated", body, None, extras=refund_extras()).state
    assert woocommerce.needs(body, state) == woocommerce.Needs(refunds=False, fulfillments=False)


def test_needs_fulfillments_when_the_fulfillment_status_changes() -> None:
    body = load("order_processing")
    body["meta_data"].append({"id": 13108, "key": "_fulfillment_status", "value": "fulfilled"})
    assert woocommerce.needs(body, state_after("order_processing")).fulfillments is True
    extras = Extras(fulfillments=tuple(load("rest_fulfillments_727")))
    state = woocommerce.normalize("order.updated", body, state_after("order_processing"), extras=extras).state
    assert woocommerce.needs(body, state).fulfillments is False
    assert woocommerce.needs(load("order_processing"), None).fulfillments is False


# --- 4. carrier links ---------------------------------------------------------------------------------

@pytest.mark.parametrize("provider, postcode, country, link", [
    ("usps", "", "", "https://tools.usps.com/go/TrackConfirmAction_input?qtc_tLabels1=AB12"),
    ("USPS", "", "", "https://tools.usps.com/go/TrackConfirmAction_input?qtc_tLabels1=AB12"),
    ("royal-mail", "", "", "https://www3.royalmail.com/track-your-item#/tracking-results/AB12"),
    ("Royal Mail", "", "", "https://www3.royalmail.com/track-your-item#/tracking-results/AB12"),
    ("dpd-co-uk", "", "", "https://www.dpd.co.uk/apps/tracking/?reference=AB12#results"),
    ("DPD Local", "sw1a 1aa", "GB", "https://apis.track.dpdlocal.co.uk/v1/track?postcode=SW1A1AA&parcel=AB12"),
    ("postnl", "1234 ab", "NL", "https://postnl.nl/tracktrace/?B=AB12&P=1234AB&D=NL&T=C"),
    ("gls", "", "", "https://gls-group.eu/EU/en/parcel-tracking/AB12"),
    ("canada-post", "", "", "https://www.canadapost-postescanada.ca/track-reperage/en#/resultList?searchFor=AB12"),
])
def test_carrier_link(provider: str, postcode: str, country: str, link: str) -> None:
    assert woocommerce.carrier_link(provider, "AB12", postcode, country) == link


def test_unknown_carrier_has_no_link() -> None:
    assert woocommerce.carrier_link("Acme Couriers", "AB12") is None


def test_carrier_link_escapes_the_number() -> None:
    assert woocommerce.carrier_link("gls", "A B&c=1") == "https://gls-group.eu/EU/en/parcel-tracking/A%20B%26c%3D1"


def test_custom_provider_uses_its_own_link() -> None:
    item = {"tracking_provider": "", "custom_tracking_provider": "Acme Couriers",
            "custom_tracking_link": "https://acme.example/track/X1", "tracking_number": "X1",
            "date_shipped": 1783641600, "tracking_id": "ffffffffffffffffffffffffffffffff"}
    body = _with_tracking(load("order_completed_with_tracking"), [item], "2017-03-23T13:00:00")
    [shipment] = shipments(woocommerce.normalize("order.updated", body, state_after("order_processing")).events)
    assert (shipment.tracking_company, shipment.tracking_urls) == ("Acme Couriers", ("https://acme.example/track/X1",))


# --- 5. signatures, the ping, delivery keys, malformed bodies ------------------------------------------

SECRET = "s3cr3tAlphanumericWebhookSecret0123456789"


def wp_json_encode(payload: Any) -> bytes:
    """The body as WooCommerce sends it: compact, `/` escaped as `\\/`, non-ASCII as \\uXXXX."""
    return json.dumps(payload, separators=(",", ":"), default=str).replace("/", "\\/").encode("ascii")


def sign(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def test_verify_signature_over_the_raw_bytes() -> None:
    body = wp_json_encode(json.loads(raw("order_processing")))
    assert b"\\/" in body
    assert woocommerce.verify({"X-WC-Webhook-Signature": sign(body)}, body, SECRET).ok


def test_verify_lowercase_header() -> None:
    body = raw("order_processing")
    assert woocommerce.verify({"x-wc-webhook-signature": sign(body)}, body, SECRET).ok


def test_verify_rejects_a_reserialised_body() -> None:
    """Verifying against json.dumps of the parsed body fails: the escapes differ from what was signed."""
    sent = wp_json_encode(json.loads(raw("order_processing")))
    reserialised = json.dumps(json.loads(sent), separators=(",", ":")).encode()
    assert not woocommerce.verify({"X-WC-Webhook-Signature": sign(sent)}, reserialised, SECRET).ok


@pytest.mark.parametrize("signature", [sign(b"{}"), sign(raw("order_processing"), "another-secret"), "not base64!"])
def test_verify_bad_signature(signature: str) -> None:
    result = woocommerce.verify({"X-WC-Webhook-Signature": signature}, raw("order_processing"), SECRET)
    assert not result.ok and result.detail


def test_verify_tampered_body() -> None:
    body = raw("order_processing")
    tampered = body.replace(b'"29.35"', b'"0.01"')
    assert tampered != body
    assert not woocommerce.verify({"X-WC-Webhook-Signature": sign(body)}, tampered, SECRET).ok


def test_verify_missing_header() -> None:
    result = woocommerce.verify({"X-WC-Webhook-Topic": "order.updated"}, raw("order_processing"), SECRET)
    assert not result.ok and "missing" in result.detail


@pytest.mark.parametrize("secret", [None, ""])
def test_verify_without_a_secret(secret: str | None) -> None:
    body = raw("order_processing")
    assert not woocommerce.verify({"X-WC-Webhook-Signature": sign(body, "")}, body, secret).ok


def test_ping_is_detected() -> None:
    assert woocommerce.is_ping({"User-Agent": "WooCommerce/9.0 Hookshot (WordPress/6.5)"}, b"webhook_id=142")


@pytest.mark.parametrize("headers, body", [
    ({"X-WC-Webhook-Topic": "order.updated"}, b"webhook_id=142"),
    ({}, b"webhook_id=abc"),
    ({}, b'{"id": 727}'),
    ({}, b"webhook_id=142&x=1"),
])
def test_not_a_ping(headers: dict[str, str], body: bytes) -> None:
    assert not woocommerce.is_ping(headers, body)


HEADERS = {"X-WC-Webhook-ID": "142", "X-WC-Webhook-Delivery-ID": "8f14e45fceea167a5a36dedd4bea2543",
           "X-WC-Webhook-Topic": "order.updated"}


def test_delivery_key_of_an_update() -> None:
    key = woocommerce.delivery_key("order.updated", HEADERS, load("order_processing"))
    assert key.dedupe_key == "order.updated:727:2017-03-22T19:28:08"
    assert (key.webhook_id, key.resource_id, key.triggered_at) == ("142", "727", PROCESSING_AT)


def test_delivery_keys_differ_by_modification_time_and_match_for_the_same() -> None:
    first = woocommerce.delivery_key("order.updated", HEADERS, load("order_processing"))
    again = woocommerce.delivery_key("order.updated", {**HEADERS, "X-WC-Webhook-Delivery-ID": "other"},
                                     load("order_processing"))
    later = woocommerce.delivery_key("order.updated", HEADERS, load("order_completed_no_tracking"))
    assert first.dedupe_key == again.dedupe_key
    assert first.dedupe_key != later.dedupe_key


def test_delivery_key_differs_by_topic() -> None:
    created = woocommerce.delivery_key("order.created", HEADERS, load("order_processing"))
    updated = woocommerce.delivery_key("order.updated", HEADERS, load("order_processing"))
    assert created.dedupe_key != updated.dedupe_key


def test_delivery_key_of_a_deletion_uses_the_delivery_id() -> None:
    key = woocommerce.delivery_key("order.deleted", HEADERS, load("order_deleted"))
    assert key.dedupe_key == "order.deleted:727:8f14e45fceea167a5a36dedd4bea2543"
    assert key.resource_id == "727" and key.triggered_at is None


@pytest.mark.parametrize("payload", [[], "727", {"id": "727"}, {"id": True}, {"number": "727"}])
def test_delivery_key_without_integer_id_is_malformed(payload: Any) -> None:
    with pytest.raises(MalformedPayload):
        woocommerce.delivery_key("order.updated", HEADERS, payload)


@pytest.mark.parametrize("change", [
    {"id": None}, {"date_modified_gmt": "yesterday"}, {"date_created_gmt": "2017-13-45T00:00:00"},
    {"status": None}, {"total": "twelve"}, {"line_items": "none"},
])
def test_malformed_order_body(change: dict[str, Any]) -> None:
    body = {**load("order_processing"), **change}
    with pytest.raises(MalformedPayload):
        woocommerce.normalize("order.updated", body, None)


def test_non_object_payload_is_malformed() -> None:
    with pytest.raises(MalformedPayload):
        woocommerce.normalize("order.updated", [load("order_processing")], None)


def test_unhandled_topic_is_ignored() -> None:
    assert woocommerce.normalize("product.updated", {"id": 93}, None) == woocommerce.Normalized([], None)


# --- 6. contract: handled topics and fixtures -------------------------------------------------------

#: each handled topic -> the fixture of a body WooCommerce documents for it.
TOPIC_FIXTURES = {"order.created": "order_created_pending", "order.updated": "order_processing",
                  "order.deleted": "order_deleted", "order.restored": "order_restored"}


def test_every_handled_topic_has_a_fixture() -> None:
    assert set(TOPIC_FIXTURES) == woocommerce.HANDLED_TOPICS
    for topic, name in TOPIC_FIXTURES.items():
        assert (FIXTURE_DIR / f"{name}.json").is_file(), topic
        woocommerce.normalize(topic, load(name), None)


def test_every_order_fixture_is_tested() -> None:
    on_disk = {p.stem for p in FIXTURE_DIR.glob("order_*.json")}
    assert on_disk == set(ORDER_FIXTURES) | {"order_deleted"}


def test_readme_names_every_fixture() -> None:
    readme = (FIXTURE_DIR / "README.md").read_text()
    missing = [p.name for p in FIXTURE_DIR.glob("*.json") if p.name not in readme]
    assert missing == []


def test_shipment_ids_fit_the_column() -> None:
    long_key = "t:" + "f" * 80
    events = woocommerce.normalize("order.updated", _with_tracking(
        load("order_completed_with_tracking"), [{**UPS_ITEM, "tracking_id": long_key[2:]}], "2017-03-23T13:00:00"),
        state_after("order_processing")).events
    [shipment] = shipments(events)
    assert len(shipment.id) <= 64 and shipment.id.startswith("727:t:")
