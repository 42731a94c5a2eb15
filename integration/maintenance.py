"""Periodic jobs: the sweeper (nothing stored is ever lost to Redis) and retention."""
from __future__ import annotations

import datetime as dt
import logging
import time

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from integration.db.database import utcnow
from integration.db.models import Delivery, DeliveryStatus, Message, MessageStatus, OutboxMessage
from integration.runtime import extensions
from integration.runtime.durable import job_in_flight
from notifications import delays
from notifications.jobs import enqueue_message, enqueue_messages
from webhooks.jobs import enqueue_delivery, exhausted

log = logging.getLogger(__name__)


def _due(session: Session, model: type, status: str, grace: int) -> list:  # type: ignore[type-arg]
    now = utcnow()
    created = model.received_at if model is Delivery else model.created_at  # type: ignore[attr-defined]
    return list(session.scalars(
        select(model).where(model.status == status, created < now - dt.timedelta(seconds=grace))
        .where(or_(model.next_attempt_at.is_(None), model.next_attempt_at <= now))
        .where(or_(model.lease_until.is_(None), model.lease_until < now))
        .order_by(model.id).limit(1000)
    ))


def sweep() -> dict[str, int]:
    """Enqueue again whatever is due and not in flight; settle rows a dead worker left `sending`."""
    counts = {"unknown": mark_abandoned_sends(), "released": release_holds(), "exhausted": end_exhausted_deliveries()}
    counts["deliveries"] = _requeue(Delivery, DeliveryStatus.PENDING.value, "delivery")
    counts["messages"] = _requeue(Message, MessageStatus.PENDING.value, "send")
    if any(counts.values()):
        log.info("sweep: %s", counts)
    return counts


def _requeue(model: type, status: str, prefix: str) -> int:
    enqueue = enqueue_delivery if model is Delivery else enqueue_message
    connection, grace = extensions.redis(), extensions.config("SWEEP_GRACE_SECONDS")
    with extensions.db().session() as session:
        rows = [r for r in _due(session, model, status, grace)
                if not job_in_flight(connection, r.job_id or f"{prefix}-{r.id}", r.lease_until)]
        stamp = int(time.time())
        for row in rows:
            row.job_id = f"{prefix}-{row.id}-r{stamp}"
    for row in rows:
        enqueue(row.id, job_id=row.job_id)
    return len(rows)


def end_exhausted_deliveries() -> int:
    """A pending delivery that has had all its runs, not leased now, ends failed: never enqueued again."""
    now = utcnow()
    with extensions.db().session() as session:
        result = session.execute(
            update(Delivery).where(Delivery.status == DeliveryStatus.PENDING.value, exhausted())
            .where(or_(Delivery.lease_until.is_(None), Delivery.lease_until < now))
            .values(status=DeliveryStatus.FAILED.value, lease_until=None, processed_at=now,
                    error="failed after its attempts: processing never finished")
        )
    if result.rowcount:  # type: ignore[attr-defined]
        log.warning("sweep: %d deliveries past their attempts ended failed",
                    result.rowcount)  # type: ignore[attr-defined]
    return result.rowcount  # type: ignore[attr-defined,no-any-return]


def mark_abandoned_sends() -> int:
    """A row left `sending` past its lease: the provider may have accepted it, so never re-send it."""
    with extensions.db().session() as session:
        result = session.execute(
            update(Message).where(Message.status == MessageStatus.SENDING.value, Message.lease_until < utcnow())
            .values(status=MessageStatus.UNKNOWN.value, lease_until=None, updated_at=utcnow(),
                    reason="the worker stopped while sending; the provider may have accepted it")
        )
    return result.rowcount  # type: ignore[attr-defined,no-any-return]


def release_holds() -> int:
    """Held messages whose quiet hours are over go back to pending (and are decided again)."""
    with extensions.db().session() as session:
        result = session.execute(
            update(Message).where(Message.status == MessageStatus.HELD.value, Message.held_until <= utcnow())
            .values(status=MessageStatus.PENDING.value, next_attempt_at=utcnow(), updated_at=utcnow(),
                    reason="released after quiet hours")
        )
    return result.rowcount  # type: ignore[attr-defined,no-any-return]


def prune() -> dict[str, int]:
    """Drop raw bodies and message texts after RETENTION_DAYS; ledger keys stay (exactly-once)."""
    cutoff = utcnow() - dt.timedelta(days=extensions.config("RETENTION_DAYS"))
    with extensions.db().session() as session:
        deliveries = session.execute(update(Delivery).where(
            Delivery.received_at < cutoff, Delivery.body.is_not(None),
            Delivery.status != DeliveryStatus.PENDING.value).values(body=None)).rowcount  # type: ignore[attr-defined]
        messages = session.execute(update(Message).where(
            Message.created_at < cutoff, Message.body_text.is_not(None),
            Message.status.in_(["sent", "failed", "suppressed", "unknown"])).values(
            subject=None, body_text=None, body_html=None, recipient=None, payload={})).rowcount  # type: ignore[attr-defined]
        outbox = session.execute(delete(OutboxMessage).where(OutboxMessage.created_at < cutoff)).rowcount  # type: ignore[attr-defined]
    counts = {"deliveries": deliveries, "messages": messages, "outbox": outbox}
    log.info("retention: %s", counts)
    return counts


def detect_delays() -> int:
    """Plan `delayed` messages for late shipments and enqueue them."""
    with extensions.db().session() as session:
        message_ids = delays.detect(session, utcnow())
    enqueue_messages(message_ids)
    if message_ids:
        log.info("delay detection: %d messages planned", len(message_ids))
    return len(message_ids)
