"""The process_delivery job: stored delivery -> canonical events -> state and planned messages."""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from rq.timeouts import JobTimeoutException
from sqlalchemy import ColumnElement, and_, or_
from sqlalchemy import exc as db_errors
from sqlalchemy.orm import Session

from connectors import shopify, woocommerce
from connectors.base import ConnectorError, MalformedPayload, load_object
from connectors.events import Event
from integration.db.database import utcnow
from integration.db.models import Delivery, DeliveryStatus, Shop
from integration.runtime import backoff, durable, extensions
from integration.runtime.durable import take_lease
from integration.shopify import facts as shop_facts
from integration.shops import platforms, privacy
from integration.woocommerce import store as woo_store
from notifications import planning
from notifications.jobs import enqueue_messages

log = logging.getLogger(__name__)
QUEUE = "aftercare-intake"

#: canonical event kind -> handler: order state and messages; uninstall, privacy and shop facts.
HANDLERS = {**planning.HANDLERS, **privacy.HANDLERS, **shop_facts.HANDLERS}


#: exception class -> the reason the merchant reads (the first class of the exception's MRO found here).
#: Never the exception's own text: a database error's message carries the bound values (personal data).
REASONS: dict[type[BaseException], str] = {
    db_errors.DataError: "the database refused a value of this delivery (too long, or out of range)",
    db_errors.IntegrityError: "this delivery conflicts with data already stored",
    db_errors.OperationalError: "the database could not be reached",
    db_errors.SQLAlchemyError: "the database refused this delivery",
    ConnectorError: "the store's API could not be read",
    JobTimeoutException: "processing took too long",
    RecursionError: "the delivery is nested too deeply",
}
MAX_ERROR_CHARS = 500


class DeliveryAttemptError(Exception):
    """An attempt at a delivery failed and another is due: raised for RQ to retry, naming only ids and a class."""


class DeliveryGaveUpError(Exception):
    """The delivery used its attempts (the job was stopped each time); it ends failed."""


def enqueue_delivery(delivery_id: int, job_id: str | None = None) -> bool:
    cfg = extensions.config
    return durable.enqueue(QUEUE, process_delivery, delivery_id, job_id=job_id or f"delivery-{delivery_id}",
                           seed=f"d{delivery_id}", retries=cfg("PARENT_WAIT_RETRIES"),
                           backoff_base=cfg("PARENT_WAIT_BASE"), timeout=60)


def attempt_budget(topic: str) -> int:
    """How many attempts a delivery gets when processing fails; privacy requests get their own, larger budget."""
    return _budget(topic in shopify.PRIVACY_TOPICS)


def _budget(privacy: bool) -> int:
    return max(1, int(extensions.config("PRIVACY_DELIVERY_ATTEMPTS" if privacy else "DELIVERY_ATTEMPTS")))


def _ceiling(privacy: bool) -> int:
    """The most runs a delivery ever gets, whatever ended them: its budget, or the parent waits if longer."""
    return max(_budget(privacy), int(extensions.config("PARENT_WAIT_RETRIES")) + 1)


def attempt_ceiling(topic: str) -> int:
    return _ceiling(topic in shopify.PRIVACY_TOPICS)


def exhausted() -> ColumnElement[bool]:
    """SQL: a delivery that has had all its runs (the sweeper ends these instead of enqueueing them)."""
    privacy = Delivery.topic.in_(sorted(shopify.PRIVACY_TOPICS))
    return or_(and_(privacy, Delivery.attempts >= _ceiling(True)), and_(~privacy, Delivery.attempts >= _ceiling(False)))


def readable_reason(exc: BaseException) -> str:
    return next((REASONS[cls] for cls in type(exc).__mro__ if cls in REASONS),
                f"an unexpected error ({type(exc).__name__})")


def process_delivery(delivery_id: int) -> str:
    """Safe to run twice: a lease keeps two runs apart, the ledger keeps messages unique.

    Every run counts an attempt when it starts (so a run that kills the worker counts too); any exception
    is recorded by class with a readable reason, and the delivery ends `failed` after its attempts.
    """
    database = extensions.db()
    with database.session() as session:
        if not take_lease(session, Delivery, delivery_id, DeliveryStatus.PENDING.value,
                          extensions.config("LEASE_SECONDS")):
            return "not due or already taken"
        if not _start_attempt(session, delivery_id):
            return "failed"
    try:
        message_ids = _process_fetching_parent(delivery_id)
    except planning.MissingParent as exc:
        _retry_later(delivery_id, str(exc))
        raise
    except MalformedPayload as exc:
        _finish(delivery_id, DeliveryStatus.FAILED, f"malformed: {exc}", type(exc).__name__)
        return "malformed"
    except Exception as exc:  # noqa: BLE001 - every failure counts an attempt; nothing loops forever
        return _failed_attempt(delivery_id, exc)
    enqueue_messages(message_ids)
    return f"planned {len(message_ids)} messages"


def _start_attempt(session: Session, delivery_id: int) -> bool:
    """Count this run; a delivery past its ceiling (its runs kept dying) ends failed instead."""
    delivery = session.get(Delivery, delivery_id)
    if delivery.attempts >= attempt_ceiling(delivery.topic):
        delivery.status, delivery.lease_until, delivery.processed_at = DeliveryStatus.FAILED.value, None, utcnow()
        delivery.error_class = delivery.error_class or DeliveryGaveUpError.__name__
        delivery.error = f"failed after {delivery.attempts} attempts: the worker stopped while processing it"
        log.warning("delivery %s (%s) failed after %s attempts", delivery_id, delivery.topic, delivery.attempts)
        return False
    delivery.attempts += 1
    return True


def _failed_attempt(delivery_id: int, exc: Exception) -> str:
    """Record a failed attempt by class and reason; raise for RQ to retry while attempts remain."""
    name, reason = type(exc).__name__, readable_reason(exc)
    with extensions.db().session() as session:
        delivery = session.get(Delivery, delivery_id)
        budget, attempt, topic = attempt_budget(delivery.topic), delivery.attempts, delivery.topic
        wait = None if attempt >= budget else backoff.wait_before(
            attempt, f"d{delivery_id}", budget - 1, extensions.config("PARENT_WAIT_BASE"))
        delivery.error_class, delivery.lease_until = name, None
        if wait is None:
            delivery.status, delivery.processed_at = DeliveryStatus.FAILED.value, utcnow()
            delivery.error = f"failed after {attempt} attempts: {reason}"
        else:
            delivery.next_attempt_at = utcnow() + dt.timedelta(seconds=wait)
            delivery.error = f"attempt {attempt} of {budget} failed: {reason}; trying again in {wait} s"
    log.warning("delivery %s (%s) attempt %s of %s failed: %s", delivery_id, topic, attempt, budget, name)
    if wait is None:
        return "failed"
    raise DeliveryAttemptError(f"delivery {delivery_id} attempt {attempt} failed: {name}") from None


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
        shop_id, waited = delivery.shop_id, delivery.attempts - 1  # this run is counted already
        platform = session.get(Shop, shop_id).platform
    if waited < extensions.config("FETCH_PARENT_AFTER"):
        return False
    return platforms.fetch_order(shop_id, platform, order_id)


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
    events = EVENT_READERS[shop.platform](session, shop, delivery, load_object(delivery.body or b""))
    message_ids = planning.apply_events(session, shop, delivery, events, HANDLERS)
    delivery.status = (DeliveryStatus.DONE if events else DeliveryStatus.IGNORED).value
    delivery.processed_at, delivery.lease_until, delivery.error, delivery.error_class = utcnow(), None, None, None
    log.info("delivery %s (%s) processed: %d events, %d messages", delivery_id, delivery.topic,
             len(events), len(message_ids))
    return message_ids


def _retry_later(delivery_id: int, reason: str) -> None:
    cfg = extensions.config
    with extensions.db().session() as session:
        delivery = session.get(Delivery, delivery_id)
        wait = backoff.wait_before(delivery.attempts, f"d{delivery_id}", cfg("PARENT_WAIT_RETRIES"),
                                   cfg("PARENT_WAIT_BASE"))
        delivery.error, delivery.lease_until = reason, None
        delivery.error_class = planning.MissingParent.__name__
        if wait is None:
            delivery.status, delivery.processed_at = DeliveryStatus.FAILED.value, utcnow()
            delivery.error = f"gave up waiting: {reason}"
            log.warning("delivery %s failed: %s", delivery_id, delivery.error)
        else:
            delivery.next_attempt_at = utcnow() + dt.timedelta(seconds=wait)
            log.info("delivery %s waits %ss: %s", delivery_id, wait, reason)


def _finish(delivery_id: int, status: DeliveryStatus, error: str | None, error_class: str | None) -> None:
    with extensions.db().session() as session:
        delivery = session.get(Delivery, delivery_id)
        delivery.status, delivery.lease_until = status.value, None
        delivery.error, delivery.error_class = (error or "")[:MAX_ERROR_CHARS] or None, error_class
        delivery.processed_at = utcnow()
    log.warning("delivery %s %s: %s", delivery_id, status.value, error_class)
