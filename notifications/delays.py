"""Delay detection: a shipment with no carrier progress for the shop's N days, or past its estimated
delivery date, gets one `delayed` message per delay episode (the occurrence names the episode)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from integration.db.models import Order, Shipment, Shop
from notifications.planning import Plan, claim
from notifications.types import MessageType

ARRIVED = ("delivered", "picked_up")
LOOK_BACK = dt.timedelta(days=60)
ETA_GRACE = dt.timedelta(days=1)


def _when(value: Any) -> dt.datetime | None:
    if isinstance(value, str) and value:
        return dt.datetime.fromisoformat(value)
    return value if isinstance(value, dt.datetime) else None


def episode(shipment: Shipment, shop: Shop, now: dt.datetime) -> tuple[str, str] | None:
    """(occurrence, why) when the shipment is late now; None when it is not."""
    eta = _when(shipment.data.get("estimated_delivery_at"))
    if eta is not None and now > eta + ETA_GRACE:
        return f"eta:{eta.date().isoformat()}", "the estimated delivery date has passed"
    seen = [t for t in (shipment.carrier_status_at, shipment.platform_updated_at) if t]
    progress = max(seen) if seen else None
    if progress is not None and now - progress > dt.timedelta(days=shop.delay_after_days):
        return f"stalled:{progress.date().isoformat()}", f"no carrier progress for {shop.delay_after_days} days"
    return None


def late_shipments(session: Session, now: dt.datetime) -> list[tuple[Shipment, Order, Shop]]:
    rows = session.execute(
        select(Shipment, Order, Shop).join(Order, Shipment.order_id == Order.id).join(Shop, Shipment.shop_id == Shop.id)
        .where(Shipment.status == "success", Shop.status == "active", Order.cancelled_at.is_(None))
        .where(or_(Shipment.carrier_status.is_(None), Shipment.carrier_status.not_in(ARRIVED)))
        .where(Shipment.platform_updated_at > now - LOOK_BACK)
    )
    return [(s, o, shop) for s, o, shop in rows]


def detect(session: Session, now: dt.datetime) -> list[int]:
    """Claim a `delayed` message for every late shipment's current episode; the new ledger ids."""
    claimed: list[int] = []
    for shipment, order, shop in late_shipments(session, now):
        late = episode(shipment, shop, now)
        if late is None:
            continue
        occurrence, why = late
        payload = {"status": "delayed", "message": None, "happened_at": now.isoformat(), "detected": why,
                   "estimate_passed": occurrence.startswith("eta:")}
        plan = Plan(MessageType.DELAYED, order, shipment.external_id, occurrence, now, payload)
        claimed += claim(session, shop, None, plan)
    return claimed
