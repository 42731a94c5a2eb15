"""How many messages a shop may send in a day (UTC): the operator's cap for the shop, else, on an instance
open to all (OPEN_SIGNUP), a quota that starts low for a new shop and grows with its age; else no cap.

A message over the cap is held until the next UTC midnight (never dropped); the admin home says so.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from integration.db.models import Message, MessageStatus, Shop

#: (the shop's age below this many days, its daily quota); the last row holds for every older shop.
QUOTA_BY_AGE: tuple[tuple[int, int], ...] = ((1, 50), (7, 200), (30, 1000), (365_000, 5000))
CAP_REASON = "daily sending cap"


def quota_for_age(age: dt.timedelta) -> int:
    return next(quota for days, quota in QUOTA_BY_AGE if age < dt.timedelta(days=days))


def daily_cap(shop: Shop, now: dt.datetime, open_signup: bool) -> int | None:
    if shop.daily_send_cap is not None:
        return shop.daily_send_cap
    return quota_for_age(now - shop.created_at) if open_signup else None


def day_start(now: dt.datetime) -> dt.datetime:
    return now.astimezone(dt.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)


def sent_today(session: Session, shop_id: int, now: dt.datetime) -> int:
    """Messages handed to a provider since midnight UTC (sending ones included: they may go)."""
    handed = and_(Message.status.in_([MessageStatus.SENT.value, MessageStatus.UNKNOWN.value]),
                  Message.sent_at >= day_start(now))
    return int(session.scalar(select(func.count()).select_from(Message).where(
        Message.shop_id == shop_id, or_(handed, Message.status == MessageStatus.SENDING.value))) or 0)


def held_by_cap(session: Session, shop_id: int) -> int:
    """Messages waiting for tomorrow's quota (for the admin home's alert)."""
    return int(session.scalar(select(func.count()).select_from(Message).where(
        Message.shop_id == shop_id, Message.status == MessageStatus.HELD.value,
        Message.reason.like(f"{CAP_REASON}%"))) or 0)
