"""Whether a claimed message goes now, waits (quiet hours) or is suppressed, and why.

Checked when the message is about to be sent, against the stored state at that moment, so a message
overtaken while it waited (in the queue, in a retry, in a quiet-hours hold) is never sent stale.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from sqlalchemy import select
from sqlalchemy.orm import Session

from integration.db.models import Message, MessageStatus, Order, Shipment, Shop
from notifications import quotas
from notifications.types import CARRIER_MESSAGES, Channel, MessageType


@dataclass(frozen=True)
class Decision:
    action: str  # "send" | "suppress" | "hold"
    reason: str | None = None
    until: dt.datetime | None = None


SEND = Decision("send")


@dataclass(frozen=True)
class Situation:
    session: Session
    message: Message
    shop: Shop
    order: Order
    shipment: Shipment | None
    recipient: str | None
    now: dt.datetime
    #: messages the shop may send today (None: no cap); see notifications/quotas.py.
    daily_cap: int | None = None


def recipient_for(channel: str, order: Order) -> str | None:
    """The order's email, or its phone in E.164 (None when missing or not a valid number)."""
    if channel == Channel.EMAIL.value:
        return order.email or None
    if not order.phone:
        return None
    try:
        number = phonenumbers.parse(order.phone, order.data.get("shipping_country") or None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def disabled(s: Situation) -> Decision | None:
    if s.shop.status != "active":
        return Decision("suppress", f"shop is {s.shop.status}")
    enabled = s.shop.email_enabled if s.message.channel == Channel.EMAIL.value else s.shop.sms_enabled
    if not enabled or s.message.message_type in (s.shop.disabled_messages or []):
        return Decision("suppress", f"disabled: {s.message.message_type} by {s.message.channel} is turned off")
    return None


def stopped(s: Situation) -> Decision | None:
    """The operator's switch: nothing goes for this shop while it is set."""
    if s.shop.sending_stopped:
        return Decision("suppress", f"sending stopped by the operator: {s.shop.sending_stopped}")
    return None


def over_daily_cap(s: Situation) -> Decision | None:
    """Past the shop's daily cap a message waits for the next UTC day (and is decided again then)."""
    if s.daily_cap is None or quotas.sent_today(s.session, s.shop.id, s.now) < s.daily_cap:
        return None
    until = quotas.day_start(s.now) + dt.timedelta(days=1)
    return Decision("hold", f"{quotas.CAP_REASON} of {s.daily_cap} messages reached; waits until 00:00 UTC", until)


def no_recipient(s: Situation) -> Decision | None:
    if s.recipient:
        return None
    if s.message.channel == Channel.SMS.value:
        what = "valid phone number" if s.order.phone else "phone number"
        return Decision("suppress", f"no recipient: the order has no {what}")
    return Decision("suppress", "no recipient: the order has no email address "
                                "(Shopify sends it as null until protected customer data is approved)")


def too_old(s: Situation) -> Decision | None:
    limit = dt.timedelta(days=s.shop.max_event_age_days)
    when = s.message.event_at
    if s.message.message_type == MessageType.ORDER_CONFIRMATION.value:
        when = s.order.placed_at or when
    if when is not None and s.now - when > limit:
        return Decision("suppress", f"stale: the event is older than {s.shop.max_event_age_days} days")
    return None


#: clocks and webhook timestamps disagree a little; events this close to the install still count.
INSTALL_GRACE = dt.timedelta(minutes=5)


def before_install(s: Situation) -> Decision | None:
    """What happened before the app was installed was the platform's to tell (its own notifications)."""
    when = s.message.event_at
    if s.message.message_type == MessageType.ORDER_CONFIRMATION.value:
        when = s.order.placed_at or when
    if when is not None and when < s.shop.created_at - INSTALL_GRACE:
        return Decision("suppress", "stale: it happened before Aftercare was installed")
    return None


def order_cancelled(s: Situation) -> Decision | None:
    if s.message.message_type == MessageType.ORDER_CONFIRMATION.value and s.order.cancelled_at:
        return Decision("suppress", "stale: the order was cancelled")
    return None


def overtaken(s: Situation) -> Decision | None:
    """A shipping notice after delivery, or a carrier status after a later one."""
    if s.shipment is None or not s.shipment.carrier_status:
        return None
    kind, current = s.message.message_type, s.shipment.carrier_status
    if kind in (MessageType.SHIPPING_CONFIRMATION.value, MessageType.SHIPPING_UPDATE.value):
        return Decision("suppress", "stale: the shipment was already delivered") if current == "delivered" else None
    own_status = (s.message.payload or {}).get("status")
    newer = s.shipment.carrier_status_at and s.message.event_at and s.shipment.carrier_status_at > s.message.event_at
    if kind in {t.value for t in CARRIER_MESSAGES.values()} and own_status != current and newer:
        return Decision("suppress", f"stale: overtaken by a later carrier status ({current})")
    return None


def coalesced(s: Situation) -> Decision | None:
    """A tracking change before the shipping confirmation went: the confirmation carries the new link."""
    if s.message.message_type != MessageType.SHIPPING_UPDATE.value:
        return None
    confirmation = s.session.scalar(select(Message.status).where(
        Message.shop_id == s.message.shop_id, Message.order_key == s.message.order_key,
        Message.shipment_key == s.message.shipment_key, Message.channel == s.message.channel,
        Message.message_type == MessageType.SHIPPING_CONFIRMATION.value))
    if confirmation in (MessageStatus.PENDING.value, MessageStatus.HELD.value):
        return Decision("suppress", "coalesced: the shipping confirmation not yet sent carries the new tracking")
    return None


def quiet_hours(s: Situation) -> Decision | None:
    """No SMS between the shop's quiet hours (local time of the shop); held until they end."""
    start, end = s.shop.quiet_hours_start, s.shop.quiet_hours_end
    if s.message.channel != Channel.SMS.value or start is None or end is None or start == end:
        return None
    until = quiet_until(s.now, start, end, s.shop.timezone)
    return Decision("hold", f"quiet hours until {end:02d}:00 shop time", until) if until else None


def quiet_until(now: dt.datetime, start: int, end: int, timezone: str) -> dt.datetime | None:
    try:
        local = now.astimezone(ZoneInfo(timezone))
    except ZoneInfoNotFoundError:
        local = now.astimezone(dt.timezone.utc)
    inside = (start <= local.hour or local.hour < end) if start > end else (start <= local.hour < end)
    if not inside:
        return None
    release = local.replace(hour=end, minute=0, second=0, microsecond=0)
    if release <= local:
        release += dt.timedelta(days=1)
    return release.astimezone(dt.timezone.utc)


RULES: tuple[Callable[[Situation], Decision | None], ...] = (
    disabled, stopped, too_old, order_cancelled, overtaken, coalesced, before_install, no_recipient, quiet_hours,
    over_daily_cap,
)


def decide(situation: Situation) -> Decision:
    for rule in RULES:
        decision = rule(situation)
        if decision is not None:
            return decision
    return SEND
