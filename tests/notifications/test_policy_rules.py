"""The policy table (notifications/policy.py RULES), as a table: one row per rule, the situation in, the
decision out; a baseline situation every rule lets through; and a contract that every rule has its row.

Rows that query the ledger (coalesced, the daily cap) read the real database of the `app` fixture.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from integration.db.models import Message, Order, Shipment, Shop
from notifications import policy

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.timezone.utc)
PHONE = "+1 415 555 2671"


@dataclass
class Parts:
    """The objects a situation is made of, for a row to change before it is decided."""

    shop: Shop
    order: Order
    message: Message
    shipment: Shipment | None = None
    daily_cap: int | None = None


def _parts(shop_id: int) -> Parts:
    shop = Shop(id=shop_id, platform="shopify", domain="x.myshopify.com", name="X", status="active",
                email_enabled=True, sms_enabled=True, disabled_messages=[], quiet_hours_start=None,
                quiet_hours_end=None, timezone="UTC", max_event_age_days=14, sending_stopped=None,
                created_at=NOW - dt.timedelta(days=30))
    order = Order(shop_id=shop_id, external_id="1001", placed_at=NOW - dt.timedelta(hours=1), data={},
                  email="jamie@example.com", phone=PHONE, cancelled_at=None)
    message = Message(shop_id=shop_id, order_key="1001", shipment_key="", message_type="order_confirmation",
                      occurrence="", channel="email", event_at=NOW - dt.timedelta(hours=1), payload={})
    return Parts(shop, order, message)


def _decide(session: Any, parts: Parts) -> policy.Decision:
    recipient = policy.recipient_for(parts.message.channel, parts.order)
    return policy.decide(policy.Situation(session, parts.message, parts.shop, parts.order, parts.shipment,
                                          recipient, NOW, parts.daily_cap))


def _shipped(p: Parts, kind: str = "shipping_confirmation", carrier: str | None = "delivered") -> None:
    p.message.message_type, p.message.shipment_key = kind, "f1"
    p.shipment = Shipment(shop_id=p.shop.id, external_id="f1", status="success", carrier_status=carrier,
                          carrier_status_at=NOW - dt.timedelta(minutes=5), data={})


def _pending_confirmation(session: Any, p: Parts) -> None:
    _shipped(p, "shipping_update", None)
    session.add(Message(shop_id=p.shop.id, order_key="1001", shipment_key="f1", occurrence="",
                        message_type="shipping_confirmation", channel="email", status="pending", payload={}))
    session.flush()


def _set(obj: Callable[[Parts], Any], **values: Any) -> Callable[[Any, Parts], None]:
    def change(session: Any, p: Parts) -> None:
        target = obj(p)
        for name, value in values.items():
            setattr(target, name, value)
    return change


def _sms_in_quiet_hours(session: Any, p: Parts) -> None:
    p.message.channel, p.shop.quiet_hours_start, p.shop.quiet_hours_end = "sms", 9, 15  # NOW is 12:00 UTC


SHOP, ORDER = (lambda p: p.shop), (lambda p: p.order)

#: rule -> (how the situation differs from the baseline, the action, the start of the reason).
ROWS: dict[str, tuple[Callable[[Any, Parts], None], str, str]] = {
    "disabled": (_set(SHOP, email_enabled=False), "suppress", "disabled: order_confirmation by email is turned off"),
    "stopped": (_set(SHOP, sending_stopped="complaints"), "suppress", "sending stopped by the operator: complaints"),
    "too_old": (_set(ORDER, placed_at=NOW - dt.timedelta(days=20)), "suppress",
                "stale: the event is older than 14 days"),
    "order_cancelled": (_set(ORDER, cancelled_at=NOW), "suppress", "stale: the order was cancelled"),
    "overtaken": (lambda session, p: _shipped(p), "suppress", "stale: the shipment was already delivered"),
    "coalesced": (_pending_confirmation, "suppress", "coalesced: the shipping confirmation not yet sent"),
    "before_install": (_set(SHOP, created_at=NOW), "suppress", "stale: it happened before Aftercare was installed"),
    "no_recipient": (_set(ORDER, email=None), "suppress", "no recipient: the order has no email address"),
    "quiet_hours": (_sms_in_quiet_hours, "hold", "quiet hours until 15:00 shop time"),
    "over_daily_cap": (_set(lambda p: p, daily_cap=0), "hold", "daily sending cap of 0 messages reached"),
}


def test_every_rule_has_its_row() -> None:
    assert [rule.__name__ for rule in policy.RULES] == list(ROWS)


def test_the_baseline_situation_is_sent(app: Any, shop_id: int) -> None:
    with app.extensions["aftercare.db"].session() as session:
        assert _decide(session, _parts(shop_id)) == policy.SEND


@pytest.mark.parametrize("rule", list(ROWS))
def test_each_rule_decides_its_situation(app: Any, shop_id: int, rule: str) -> None:
    change, action, reason = ROWS[rule]
    with app.extensions["aftercare.db"].session() as session:
        parts = _parts(shop_id)
        change(session, parts)
        decision = _decide(session, parts)
        session.rollback()
    assert (decision.action, (decision.reason or "")[:len(reason)]) == (action, reason)
    assert (decision.until is not None) == (action == "hold")
