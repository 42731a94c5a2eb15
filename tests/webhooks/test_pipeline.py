"""The pipeline in-process: real Redis, real RQ worker class, SQLite and PostgreSQL, outbox channel."""
from __future__ import annotations

import datetime as dt
import time
from typing import Any

from redis import Redis

from integration import maintenance
from integration.db.database import utcnow
from integration.db.models import Delivery, Message, Shop
from notifications.sms import count_segments
from tests.conftest import carrier_event, fixture_payload, fulfillment, now_iso, paid_order
from tests.helpers import deliver, deliveries, drain, messages, outbox, outcomes
from webhooks.jobs import process_delivery

PHONE = "+1 415 555 2671"


def _set(app: Any, model: type, row_id: int, **values: Any) -> None:
    with app.extensions["aftercare.db"].session() as session:
        row = session.get(model, row_id)
        for key, value in values.items():
            setattr(row, key, value)


def test_an_order_journey_sends_each_message_once(app: Any, shop_id: int) -> None:
    client = app.test_client()
    deliver(client, "orders/create", paid_order(phone=PHONE))
    deliver(client, "orders/paid", paid_order(phone=PHONE))
    deliver(client, "fulfillments/create", fulfillment())
    deliver(client, "fulfillment_events/create", carrier_event("out_for_delivery", id=1))
    drain(app)
    deliver(client, "fulfillment_events/create", carrier_event("delivered", id=2))
    deliver(client, "refunds/create", fixture_payload("refunds/create") | {"created_at": now_iso()})
    second_refund = fixture_payload("refunds/create") | {"id": 890088186047892320, "created_at": now_iso()}
    deliver(client, "refunds/create", second_refund)
    drain(app)
    assert sorted(outcomes(app)) == sorted(
        (kind, channel, "sent") for kind in ("order_confirmation", "shipping_confirmation", "out_for_delivery",
                                             "delivered", "refund_issued", "refund_issued")
        for channel in ("email", "sms"))
    assert {m.occurrence for m in messages(app) if m.message_type == "refund_issued"} == {
        "890088186047892319", "890088186047892320"}
    assert all(d.status == "done" for d in deliveries(app))


def test_email_carries_the_order_context(app: Any, shop_id: int) -> None:
    client = app.test_client()
    deliver(client, "orders/create", paid_order(phone=PHONE))
    deliver(client, "fulfillments/create", fulfillment())
    drain(app)
    shipped = next(o for o in outbox(app) if o.channel == "email" and "#9999" in (o.subject or "")
                   and "Aviator" in (o.body_text or "") and "1z827wk74630" in (o.body_text or ""))
    assert shipped.recipient == "jon@example.com"
    assert "John" in shipped.body_text and "UPS" in shipped.body_text
    assert "https://www.ups.com/WebTracking?loc=en_US&amp;requester=ST&amp;trackNums=1z827wk74630" in shipped.body_html
    assert "https://acme.example/returns" in shipped.body_html
    assert "<style" not in shipped.body_html.split("<body", 1)[1].split("data-css-inline", 1)[0]
    assert 'style="' in shipped.body_html
    sms = [o for o in outbox(app) if o.channel == "sms"]
    assert {o.recipient for o in sms} == {"+14155552671"}
    assert all(count_segments(o.body_text).encoding == "GSM-7" for o in sms), [o.body_text for o in sms]


def test_refund_message_states_amount_and_timing(app: Any, shop_id: int) -> None:
    client = app.test_client()
    deliver(client, "orders/create", paid_order())
    deliver(client, "refunds/create", fixture_payload("refunds/create") | {"created_at": now_iso()})
    drain(app)
    refund = next(o for o in outbox(app) if o.channel == "email" and "$85.00" in (o.body_text or ""))
    assert "5-10 business days" in refund.body_text.replace("–", "-")


def test_shipping_confirmation_after_delivery_is_suppressed(app: Any, shop_id: int) -> None:
    client = app.test_client()
    deliver(client, "orders/create", paid_order())
    deliver(client, "fulfillments/create", fulfillment())
    deliver(client, "fulfillment_events/create", carrier_event("delivered"))
    drain(app)
    by_type = {m.message_type: m for m in messages(app) if m.channel == "email"}
    assert by_type["shipping_confirmation"].status == "suppressed"
    assert by_type["shipping_confirmation"].reason == "stale: the shipment was already delivered"
    assert by_type["delivered"].status == "sent"


def test_out_of_order_carrier_status_is_suppressed(app: Any, shop_id: int) -> None:
    client = app.test_client()
    deliver(client, "orders/create", paid_order())
    deliver(client, "fulfillments/create", fulfillment())
    deliver(client, "fulfillment_events/create", carrier_event("delivered", id=2))
    earlier = now_iso(-dt.timedelta(hours=3))
    deliver(client, "fulfillment_events/create", carrier_event("out_for_delivery", id=1, happened_at=earlier))
    drain(app)
    ofd = next(m for m in messages(app) if m.message_type == "out_for_delivery" and m.channel == "email")
    assert (ofd.status, ofd.reason) == ("suppressed", "stale: overtaken by a later carrier status (delivered)")


def test_older_fulfillment_state_does_not_regress_the_shipment(app: Any, shop_id: int) -> None:
    client = app.test_client()
    deliver(client, "orders/create", paid_order())
    deliver(client, "fulfillments/update", fulfillment())
    deliver(client, "fulfillments/update", fulfillment(status="pending", updated_at=now_iso(-dt.timedelta(days=1))))
    drain(app)
    from integration.db.models import Shipment

    with app.extensions["aftercare.db"].session() as session:
        assert session.query(Shipment).one().status == "success"


def test_order_too_old_is_suppressed(app: Any, shop_id: int) -> None:
    old = now_iso(-dt.timedelta(days=30))
    deliver(app.test_client(), "orders/create", paid_order(created_at=old, updated_at=old))
    drain(app)
    assert [(m.status, m.reason) for m in messages(app)] == [
        ("suppressed", "stale: the event is older than 14 days")] * 2


def test_unpaid_or_cancelled_orders_get_no_confirmation(app: Any, shop_id: int) -> None:
    client = app.test_client()
    deliver(client, "orders/create", paid_order(financial_status="pending"))
    drain(app)
    assert messages(app) == []
    deliver(client, "orders/cancelled", paid_order(cancelled_at=now_iso(), cancel_reason="customer"))
    drain(app)
    assert outcomes(app) == [("order_cancelled", "email", "sent"), ("order_cancelled", "sms", "suppressed")]


def test_missing_recipients_are_explained(app: Any, shop_id: int) -> None:
    order = paid_order(email=None, contact_email=None, phone=None)
    order["customer"] = order["customer"] | {"email": None, "phone": None}
    deliver(app.test_client(), "orders/create", order)
    drain(app)
    reasons = {m.channel: m.reason for m in messages(app)}
    assert "protected customer data" in reasons["email"]
    assert reasons["sms"] == "no recipient: the order has no phone number"


def test_disabled_channel_is_suppressed(app: Any, shop_id: int) -> None:
    _set(app, Shop, shop_id, sms_enabled=False)
    deliver(app.test_client(), "orders/create", paid_order(phone=PHONE))
    drain(app)
    sms = next(m for m in messages(app) if m.channel == "sms")
    assert (sms.status, sms.reason) == ("suppressed", "disabled: order_confirmation by sms is turned off")


def test_carrier_event_waits_for_its_shipment(app: Any, shop_id: int) -> None:
    client = app.test_client()
    deliver(client, "orders/create", paid_order())
    deliver(client, "fulfillment_events/create", carrier_event("out_for_delivery"))
    drain(app)
    waiting = next(d for d in deliveries(app) if d.topic == "fulfillment_events/create")
    assert waiting.status == "pending" and "not stored yet" in waiting.error
    deliver(client, "fulfillments/create", fulfillment())
    time.sleep(3)
    drain(app)
    assert ("out_for_delivery", "email", "sent") in outcomes(app)


def test_sms_in_quiet_hours_is_held_then_released(app: Any, shop_id: int) -> None:
    hour = utcnow().hour
    _set(app, Shop, shop_id, timezone="UTC", quiet_hours_start=hour, quiet_hours_end=(hour + 2) % 24)
    deliver(app.test_client(), "orders/create", paid_order(phone=PHONE))
    drain(app)
    sms = next(m for m in messages(app) if m.channel == "sms")
    assert sms.status == "held" and sms.held_until > utcnow()
    _set(app, Shop, shop_id, quiet_hours_start=None, quiet_hours_end=None)
    _set(app, Message, sms.id, held_until=utcnow() - dt.timedelta(seconds=1))
    with app.app_context():
        assert maintenance.sweep()["released"] == 1
    drain(app)
    assert next(m for m in messages(app) if m.channel == "sms").status == "sent"


def test_sweeper_recovers_work_redis_lost(app: Any, shop_id: int) -> None:
    redis = Redis.from_url(app.config["REDIS_URL"])
    deliver(app.test_client(), "orders/create", paid_order())
    redis.flushdb()
    with app.app_context():
        assert maintenance.sweep()["deliveries"] == 1
        assert maintenance.sweep()["deliveries"] == 0  # enqueued and in flight: not twice
        process_delivery(deliveries(app)[0].id)
    redis.flushdb()
    assert [m.status for m in messages(app)] == ["pending", "pending"]
    with app.app_context():
        assert maintenance.sweep()["messages"] == 2
    drain(app)
    assert [m.status for m in messages(app)] == ["sent", "suppressed"]
    assert len(outbox(app)) == 1


def test_sending_row_of_a_dead_worker_becomes_unknown(app: Any, shop_id: int) -> None:
    deliver(app.test_client(), "orders/create", paid_order())
    drain(app)
    email = next(m for m in messages(app) if m.channel == "email")
    _set(app, Message, email.id, status="sending", lease_until=utcnow() - dt.timedelta(seconds=1))
    with app.app_context():
        assert maintenance.sweep()["unknown"] == 1
    assert next(m for m in messages(app) if m.id == email.id).status == "unknown"


def test_retention_prunes_bodies_and_keeps_ledger_keys(app: Any, shop_id: int) -> None:
    deliver(app.test_client(), "orders/create", paid_order())
    drain(app)
    long_ago = utcnow() - dt.timedelta(days=91)
    for delivery in deliveries(app):
        _set(app, Delivery, delivery.id, received_at=long_ago)
    for message in messages(app):
        _set(app, Message, message.id, created_at=long_ago)
    with app.app_context():
        counts = maintenance.prune()
    assert counts == {"deliveries": 1, "messages": 1, "outbox": 0}
    assert all(d.body is None for d in deliveries(app))
    sent = next(m for m in messages(app) if m.status == "sent")
    assert (sent.body_html, sent.body_text, sent.recipient) == (None, None, None)
    deliver(app.test_client(), "orders/paid", paid_order())
    drain(app)
    assert len(messages(app)) == 2


def test_sweeper_does_not_enqueue_a_message_twice_while_it_waits(app: Any, shop_id: int) -> None:
    deliver(app.test_client(), "orders/create", paid_order())
    with app.app_context():
        process_delivery(deliveries(app)[0].id)
    Redis.from_url(app.config["REDIS_URL"]).flushdb()
    with app.app_context():
        assert maintenance.sweep()["messages"] == 2
        assert maintenance.sweep()["messages"] == 0
    assert Redis.from_url(app.config["REDIS_URL"]).llen("rq:queue:aftercare-send") == 2
