"""Delay detection: one `delayed` message per delay episode, never after delivery or new progress."""
from __future__ import annotations

import datetime as dt
from typing import Any

from integration import maintenance
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


def test_passed_estimated_date_is_a_delay(app: Any, shop_id: int) -> None:
    ship(app, estimated_delivery_at=now_iso(-dt.timedelta(days=2)))
    assert detect(app) == 2
    assert all(m.occurrence.startswith("eta:") for m in delayed(app))


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
