"""Canonical events -> stored order/shipment state -> planned messages, claimed in the ledger.

Dispatch is by table: each event kind has one handler that updates state and returns plans; each plan
becomes one ledger row per channel of its message type. Whether a row is then sent, held or
suppressed is decided when it is sent (notifications/policy.py), against the state at that moment.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors.events import (
    CarrierEventReceived,
    CarrierUpdate,
    Event,
    OrderCancelled,
    OrderSnapshot,
    OrderUpdated,
    RefundCreated,
    ShipmentSnapshot,
    ShipmentUpdated,
    jsonable,
)
from integration.db.database import insert_ignore, utcnow
from integration.db.models import Delivery, Message, MessageStatus, Order, Shipment, Shop
from notifications.types import (
    CARRIER_MESSAGES,
    CARRIER_RANK,
    PAID_STATUSES,
    SPECS,
    MessageType,
)

REFUNDABLE_STATUSES = frozenset({"paid", "partially_paid", "refunded", "partially_refunded"})


class MissingParent(Exception):
    """The event needs an order or shipment that is not stored yet; `order_id` is the order to fetch."""

    def __init__(self, message: str, order_id: str) -> None:
        super().__init__(message)
        self.order_id = order_id


@dataclass(frozen=True)
class Plan:
    message_type: MessageType
    order: Order
    shipment_key: str = ""
    occurrence: str = ""
    event_at: dt.datetime | None = None
    payload: dict[str, Any] = field(default_factory=dict)


def _newer(new: dt.datetime | None, old: dt.datetime | None) -> bool:
    return old is None or new is None or new >= old


def _locked(session: Session, statement: Any) -> Any:
    return session.scalar(statement.with_for_update())


def stored_order(session: Session, shop: Shop, external_id: str) -> Order | None:
    return _locked(session, select(Order).where(Order.shop_id == shop.id, Order.external_id == external_id))


def stored_shipment(session: Session, shop: Shop, external_id: str) -> Shipment | None:
    return _locked(session, select(Shipment).where(
        Shipment.shop_id == shop.id, Shipment.external_id == external_id))


def upsert_order(session: Session, shop: Shop, snap: OrderSnapshot) -> Order:
    insert_ignore(session, Order, {"shop_id": shop.id, "external_id": snap.id, "name": snap.name, "data": {}})
    order = stored_order(session, shop, snap.id)
    assert order is not None
    if not order.data or _newer(snap.updated_at, order.platform_updated_at):
        order.name, order.email, order.phone = snap.name, snap.email, snap.phone
        order.placed_at, order.platform_updated_at = snap.created_at, snap.updated_at
        order.cancelled_at = snap.cancelled_at or order.cancelled_at
        order.data = jsonable(snap)
    return order


def on_order_updated(session: Session, shop: Shop, event: OrderUpdated) -> list[Plan]:
    snap = event.order
    order = upsert_order(session, shop, snap)
    if snap.financial_status not in PAID_STATUSES or snap.cancelled_at:
        return []
    return [Plan(MessageType.ORDER_CONFIRMATION, order, event_at=snap.created_at)]


def on_order_cancelled(session: Session, shop: Shop, event: OrderCancelled) -> list[Plan]:
    snap = event.order
    order = upsert_order(session, shop, snap)
    payload = {"reason": snap.cancel_reason, "refund_expected": snap.financial_status in REFUNDABLE_STATUSES}
    return [Plan(MessageType.ORDER_CANCELLED, order, event_at=snap.cancelled_at, payload=payload)]


def on_shipment_updated(session: Session, shop: Shop, event: ShipmentUpdated) -> list[Plan]:
    snap = event.shipment
    order = stored_order(session, shop, snap.order_id)
    if order is None:
        raise MissingParent(f"order {snap.order_id} of fulfillment {snap.id} is not stored yet", snap.order_id)
    insert_ignore(session, Shipment, {"shop_id": shop.id, "order_id": order.id, "external_id": snap.id,
                                      "status": snap.status, "data": {}})
    shipment = stored_shipment(session, shop, snap.id)
    assert shipment is not None
    if shipment.data and not _newer(snap.updated_at, shipment.platform_updated_at):
        return []  # an older state replayed: nothing it says is news
    before = dict(shipment.data)
    shipment.status, shipment.platform_updated_at = snap.status, snap.updated_at
    shipment.data = _with_estimate(jsonable(snap), before, snap.estimated_delivery_at, snap.updated_at)
    plans = _shipment_plans(order, shipment, before, snap)
    if snap.carrier_status:
        update = CarrierUpdate(id=f"f{snap.id}", shipment_id=snap.id, order_id=snap.order_id,
                               status=snap.carrier_status, happened_at=snap.updated_at,
                               estimated_delivery_at=snap.estimated_delivery_at)
        plans += _carrier_plans(session, order, shipment, update)
    return plans


def _shipment_plans(order: Order, shipment: Shipment, before: dict[str, Any],
                    snap: ShipmentSnapshot) -> list[Plan]:
    if snap.status != "success":
        return []
    plans = [Plan(MessageType.SHIPPING_CONFIRMATION, order, shipment.external_id, event_at=snap.updated_at)]
    old_numbers = before.get("tracking_numbers") or []
    if before.get("status") == "success" and snap.tracking_numbers and list(snap.tracking_numbers) != old_numbers:
        occurrence = "|".join(snap.tracking_numbers)
        plans.append(Plan(MessageType.SHIPPING_UPDATE, order, shipment.external_id, occurrence, snap.updated_at))
    return plans


def on_carrier_event(session: Session, shop: Shop, event: CarrierEventReceived) -> list[Plan]:
    update = event.update
    shipment = stored_shipment(session, shop, update.shipment_id)
    if shipment is None:
        raise MissingParent(f"fulfillment {update.shipment_id} of carrier event {update.id} is not stored yet",
                            update.order_id)
    return _carrier_plans(session, shipment.order, shipment, update)


#: shipment.data's expected delivery date and the time of the report that gave it.
ESTIMATE, ESTIMATE_REPORTED_AT = "estimated_delivery_at", "estimated_delivery_reported_at"


def _stored_time(value: Any) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if isinstance(value, str) and value else None


def _with_estimate(data: dict[str, Any], before: dict[str, Any], estimate: dt.datetime | None,
                   reported_at: dt.datetime | None) -> dict[str, Any]:
    """`data` with the newest expected delivery date known. A report without one (every fulfillments/* webhook,
    most carrier events) keeps the stored one; an older report never replaces a newer one."""
    kept = {ESTIMATE: before.get(ESTIMATE), ESTIMATE_REPORTED_AT: before.get(ESTIMATE_REPORTED_AT)}
    if estimate is not None and _newer(reported_at, _stored_time(kept[ESTIMATE_REPORTED_AT])):
        kept = {ESTIMATE: estimate.isoformat(), ESTIMATE_REPORTED_AT: reported_at.isoformat() if reported_at else None}
    return {**data, **kept}


def _carrier_plans(session: Session, order: Order, shipment: Shipment, update: CarrierUpdate) -> list[Plan]:
    shipment.data = _with_estimate(dict(shipment.data), shipment.data, update.estimated_delivery_at,
                                   update.happened_at)
    if _newer(update.happened_at, shipment.carrier_status_at) and update.status in CARRIER_RANK:
        shipment.carrier_status, shipment.carrier_status_at = update.status, update.happened_at
    message_type = CARRIER_MESSAGES.get(update.status)
    if message_type is None:
        return []
    occurrence = ("delivered" if message_type is MessageType.DELIVERED
                  else _carrier_occurrence(session, order, shipment, message_type, update))
    return [Plan(message_type, order, shipment.external_id, occurrence, update.happened_at, jsonable(update))]


#: one carrier status seen twice within this window is one occurrence, even across midnight (a
#: fulfillment's shipment_status and its fulfillment event, or a webhook and reconciliation).
SAME_STATUS_WINDOW = dt.timedelta(hours=12)


def _carrier_occurrence(session: Session, order: Order, shipment: Shipment, message_type: MessageType,
                        update: CarrierUpdate) -> str:
    """`status:day`, or the occurrence already claimed for the same status close to this one."""
    when = update.happened_at
    day = when.astimezone(dt.timezone.utc).date().isoformat() if when else ""
    if when is None:
        return f"{update.status}:{day}"
    earlier = session.scalar(select(Message.occurrence).where(
        Message.shop_id == order.shop_id, Message.order_key == order.external_id,
        Message.shipment_key == shipment.external_id, Message.message_type == message_type.value,
        Message.occurrence.like(f"{update.status}:%"),
        Message.event_at.between(when - SAME_STATUS_WINDOW, when + SAME_STATUS_WINDOW)).limit(1))
    return earlier or f"{update.status}:{day}"


def on_refund_created(session: Session, shop: Shop, event: RefundCreated) -> list[Plan]:
    refund = event.refund
    order = stored_order(session, shop, refund.order_id)
    if order is None:
        raise MissingParent(f"order {refund.order_id} of refund {refund.id} is not stored yet", refund.order_id)
    payload = jsonable(refund)
    payload["currency"] = refund.currency or order.data.get("currency")
    return [Plan(MessageType.REFUND_ISSUED, order, occurrence=refund.id, event_at=refund.created_at,
                 payload=payload)]


HANDLERS: dict[type, Callable[[Session, Shop, Any], list[Plan]]] = {
    OrderUpdated: on_order_updated,
    OrderCancelled: on_order_cancelled,
    ShipmentUpdated: on_shipment_updated,
    CarrierEventReceived: on_carrier_event,
    RefundCreated: on_refund_created,
}


def claim(session: Session, shop: Shop, delivery: Delivery | None, plan: Plan) -> list[int]:
    """One ledger row per channel; the unique key makes a second claim of the same message a no-op."""
    claimed = []
    for channel in SPECS[plan.message_type].channels:
        row_id = insert_ignore(session, Message, {
            "shop_id": shop.id, "order_key": plan.order.external_id, "shipment_key": plan.shipment_key,
            "message_type": plan.message_type.value, "occurrence": plan.occurrence,
            "channel": channel.value, "delivery_id": delivery.id if delivery else None,
            "event_at": plan.event_at, "payload": plan.payload, "status": MessageStatus.PENDING.value,
            "attempts": 0, "next_attempt_at": utcnow(), "locale": shop.locale,
            "created_at": utcnow(), "updated_at": utcnow(),
        })
        if row_id is not None:
            claimed.append(row_id)
    return claimed


def apply_events(session: Session, shop: Shop, delivery: Delivery | None, events: list[Event],
                 handlers: dict[type, Callable[[Session, Shop, Any], list[Plan]]] = HANDLERS) -> list[int]:
    """Apply every event of one delivery; the ids of the ledger rows newly claimed."""
    plans = [plan for event in events for plan in handlers[type(event)](session, shop, event)]
    return [row_id for plan in plans for row_id in claim(session, shop, delivery, plan)]
