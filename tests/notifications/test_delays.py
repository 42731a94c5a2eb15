"""Delay detection: one `delayed` message per delay episode, never after delivery or new progress."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from integration import maintenance
from integration.db.models import Shipment
from tests.conftest import carrier_event, fulfillment, now_iso, paid_order
from tests.helpers import deliver, drain, messages, outbox


def delayed(app: Any) -> list[Any]:
    return [m for m in messages(app) if m.message_type == "delayed"]


def detect(app: Any) -> int:
    with app.app_context():
        found = maintenance.detect_delays()
    drain(app)
    return found


def ship(app: Any, **changes: Any) -> None:
    client = app.test_client()
    deliver(client, "orders/create", paid_order())
    deliver(client, "fulfillments/create", fulfillment(**changes))
    drain(app)


def test_no_progress_for_days_sends_one_delay_message_per_episode(app: Any, shop_id: int) -> None:
    ship(app, updated_at=now_iso(-dt.timedelta(days=6)))
    assert detect(app) == 2  # email and SMS rows
    assert detect(app) == 0  # the same episode is not told twice
    email = next(m for m in delayed(app) if m.channel == "email")
    assert email.status == "sent" and email.occurrence.startswith("stalled:")
    text = next(o.body_text for o in outbox(app) if o.message_id == email.id)
    assert "#9999" in text


def test_recent_progress_is_not_a_delay(app: Any, shop_id: int) -> None:
    ship(app, updated_at=now_iso(-dt.timedelta(days=6)))
    deliver(app.test_client(), "fulfillment_events/create", carrier_event("in_transit"))
    drain(app)
    assert detect(app) == 0


def stored_shipment(app: Any) -> Shipment:
    with app.extensions["aftercare.db"].session() as session:
        return session.scalars(select(Shipment)).one()


def test_a_carriers_estimated_date_that_passed_is_a_delay(app: Any, shop_id: int) -> None:
    """The estimate arrives on fulfillment_events/create (fulfillments/* payloads carry none); a later
    fulfillments/update without one keeps it, and the date passing is the delay."""
    ship(app)
    eta = now_iso(-dt.timedelta(days=2))
    client = app.test_client()
    deliver(client, "fulfillment_events/create", carrier_event("in_transit", estimated_delivery_at=eta))
    drain(app)
    deliver(client, "fulfillments/update", fulfillment(updated_at=now_iso(dt.timedelta(seconds=5))))
    drain(app)
    assert dt.datetime.fromisoformat(stored_shipment(app).data["estimated_delivery_at"]) == \
        dt.datetime.fromisoformat(eta)
    assert detect(app) == 2  # the carrier reported progress today: only the passed date makes it late
    assert {m.occurrence for m in delayed(app)} == {f"eta:{dt.datetime.fromisoformat(eta).date().isoformat()}"}
    assert detect(app) == 0


def test_a_later_carrier_estimate_replaces_the_earlier_one(app: Any, shop_id: int) -> None:
    ship(app)
    client = app.test_client()
    deliver(client, "fulfillment_events/create", carrier_event(
        "in_transit", id=1, happened_at=now_iso(-dt.timedelta(hours=2)), estimated_delivery_at=now_iso(
            -dt.timedelta(days=2))))
    deliver(client, "fulfillment_events/create", carrier_event(
        "in_transit", id=2, happened_at=now_iso(-dt.timedelta(hours=1)),
        estimated_delivery_at=now_iso(dt.timedelta(days=3))))
    deliver(client, "fulfillment_events/create", carrier_event(  # an older report arriving late changes nothing
        "in_transit", id=3, happened_at=now_iso(-dt.timedelta(hours=3)),
        estimated_delivery_at=now_iso(-dt.timedelta(days=4))))
    drain(app)
    assert stored_shipment(app).data["estimated_delivery_at"] > now_iso(dt.timedelta(days=2))
    assert detect(app) == 0


def test_a_fulfillment_payload_sets_no_estimated_date(app: Any, shop_id: int) -> None:
    """fulfillments/create and fulfillments/update do not carry `estimated_delivery_at` (Shopify's samples); a
    key of that name in one is not read as the carrier's estimate."""
    ship(app, estimated_delivery_at=now_iso(-dt.timedelta(days=2)))
    assert stored_shipment(app).data["estimated_delivery_at"] is None
    assert detect(app) == 0


def test_delivered_or_short_waits_are_left_alone(app: Any, shop_id: int) -> None:
    ship(app, updated_at=now_iso(-dt.timedelta(days=2)))
    assert detect(app) == 0
    deliver(app.test_client(), "fulfillment_events/create",
            carrier_event("delivered", happened_at=now_iso(-dt.timedelta(days=7))))
    drain(app)
    assert detect(app) == 0


def test_progress_after_detection_suppresses_the_waiting_message(app: Any, shop_id: int) -> None:
    ship(app, updated_at=now_iso(-dt.timedelta(days=6)))
    with app.app_context():
        assert maintenance.detect_delays() == 2
    later = now_iso(dt.timedelta(seconds=5))
    deliver(app.test_client(), "fulfillment_events/create", carrier_event("out_for_delivery", happened_at=later))
    drain(app)
    assert {(m.status, m.reason) for m in delayed(app)} == {
        ("suppressed", "stale: overtaken by a later carrier status (out_for_delivery)")}


def test_a_passed_estimate_is_not_called_a_new_estimate(app: Any, shop_id: int) -> None:
    """The date that passed is what made the shipment late: the message says it was expected then, and that
    the carrier is being asked, not that it is the new estimate."""
    client = app.test_client()
    deliver(client, "orders/create", paid_order(phone="+1 415 555 2671"))
    deliver(client, "fulfillments/create", fulfillment())
    deliver(client, "fulfillment_events/create", carrier_event(
        "in_transit", estimated_delivery_at=now_iso(-dt.timedelta(days=2))))
    drain(app)
    assert detect(app) == 2
    late = {m.id for m in messages(app) if m.message_type == "delayed" and m.status == "sent"}
    sent = {m.channel: m for m in outbox(app) if m.message_id in late}
    assert "New estimate" not in (sent["sms"].body_text or "") and "It was due" in (sent["sms"].body_text or "")
    assert "current estimated delivery date" not in (sent["email"].body_html or "")
    assert "It was expected by" in (sent["email"].body_text or "")
