"""The process_delivery job: stored delivery -> canonical events -> state and planned messages."""
from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from connectors import shopify, woocommerce
from connectors.base import MalformedPayload
from connectors.events import Event
from integration import backoff, durable, extensions, privacy, reconcile, shop_facts, woo_store
from integration.db import utcnow
from integration.durable import take_lease
from integration.models import Delivery, DeliveryStatus, Shop
from notifications import planning
from notifications.jobs import enqueue_messages

log = logging.getLogger(__name__)
QUEUE = "aftercare-intake"

#: canonical event kind -> handler: order state and messages; uninstall, privacy and shop facts.
HANDLERS = {**planning.HANDLERS, **privacy.HANDLERS, **shop_facts.HANDLERS}


def enqueue_delivery(delivery_id: int, job_id: str | None = None) -> bool:
    cfg = extensions.config
    return durable.enqueue(QUEUE, process_delivery, delivery_id, job_id=job_id or f"delivery-{delivery_id}",
                           seed=f"d{delivery_id}", retries=cfg("PARENT_WAIT_RETRIES"),
                           backoff_base=cfg("PARENT_WAIT_BASE"), timeout=60)


def process_delivery(delivery_id: int) -> str:
    """Safe to run twice: a lease keeps two runs apart, the ledger keeps messages unique."""
    database = extensions.db()
    with database.session() as session:
        if not take_lease(session, Delivery, delivery_id, DeliveryStatus.PENDING.value,
                          extensions.config("LEASE_SECONDS")):
            return "not due or already taken"
    try:
        message_ids = _process_fetching_parent(delivery_id)
    except planning.MissingParent as exc:
        _retry_later(delivery_id, str(exc))
        raise
    except MalformedPayload as exc:
        _finish(delivery_id, DeliveryStatus.FAILED, str(exc))
        return "malformed"
    enqueue_messages(message_ids)
    return f"planned {len(message_ids)} messages"


def _process_fetching_parent(delivery_id: int) -> list[int]:
    """Process; when the parent is still missing after FETCH_PARENT_AFTER waits, read it from the API."""
    try:
        with extensions.db().session() as session:
            return _process(session, delivery_id)
    except planning.MissingParent as exc:
        if not _fetch_parent(delivery_id, exc.order_id):
            raise
    with extensions.db().session() as session:
        return _process(session, delivery_id)


def _fetch_parent(delivery_id: int, order_id: str) -> bool:
    with extensions.db().session() as session:
        delivery = session.get(Delivery, delivery_id)
        shop_id, waited = delivery.shop_id, delivery.attempts
        platform = session.get(Shop, shop_id).platform
    if waited < extensions.config("FETCH_PARENT_AFTER"):
        return False
    return reconcile.fetch_order(shop_id, platform, order_id)


def _shopify_events(session: Session, shop: Shop, delivery: Delivery, payload: Any) -> list[Event]:
    return shopify.normalize(delivery.topic, payload)


#: platform -> how a stored delivery becomes events (WooCommerce's are a diff against the stored order state).
EVENT_READERS: dict[str, Callable[[Session, Shop, Delivery, Any], list[Event]]] = {
    shopify.PLATFORM: _shopify_events,
    woocommerce.PLATFORM: woo_store.delivery_events,
}


def _process(session: Session, delivery_id: int) -> list[int]:
    delivery = session.get(Delivery, delivery_id)
    shop = session.get(Shop, delivery.shop_id)
    events = EVENT_READERS[shop.platform](session, shop, delivery, json.loads(delivery.body, parse_float=Decimal))
    message_ids = planning.apply_events(session, shop, delivery, events, HANDLERS)
    delivery.status = (DeliveryStatus.DONE if events else DeliveryStatus.IGNORED).value
    delivery.processed_at, delivery.lease_until, delivery.error = utcnow(), None, None
    delivery.attempts += 1
    log.info("delivery %s (%s) processed: %d events, %d messages", delivery_id, delivery.topic,
             len(events), len(message_ids))
    return message_ids


def _retry_later(delivery_id: int, reason: str) -> None:
    cfg = extensions.config
    with extensions.db().session() as session:
        delivery = session.get(Delivery, delivery_id)
        delivery.attempts += 1
        wait = backoff.wait_before(delivery.attempts, f"d{delivery_id}", cfg("PARENT_WAIT_RETRIES"),
                                   cfg("PARENT_WAIT_BASE"))
        delivery.error, delivery.lease_until = reason, None
        if wait is None:
            delivery.status = DeliveryStatus.FAILED.value
            delivery.error = f"gave up waiting: {reason}"
            log.warning("delivery %s failed: %s", delivery_id, delivery.error)
        else:
            delivery.next_attempt_at = utcnow() + dt.timedelta(seconds=wait)
            log.info("delivery %s waits %ss: %s", delivery_id, wait, reason)


def _finish(delivery_id: int, status: DeliveryStatus, error: str | None) -> None:
    with extensions.db().session() as session:
        delivery = session.get(Delivery, delivery_id)
        delivery.status, delivery.error, delivery.lease_until = status.value, error, None
        delivery.processed_at = utcnow()
        delivery.attempts += 1
    log.warning("delivery %s %s: %s", delivery_id, status.value, error)
