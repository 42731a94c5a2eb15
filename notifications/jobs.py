"""The send_notification job: decide, render, hand to the channel, record the attempt.

Three steps, each its own transaction: (1) lease the due row, decide and render, move it to
`sending` with an attempt row; (2) the provider call; (3) record the answer. A crash in (1) leaves the
row pending (the sweeper re-enqueues it once the lease lapses); a crash in (2) or before (3) leaves it
`sending`, which the sweeper turns into `unknown`: the provider may have accepted it.
"""
from __future__ import annotations

import datetime as dt
import logging

from flask import current_app
from itsdangerous import URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from integration.db.database import utcnow
from integration.db.models import Attempt, Message, MessageStatus, Order, Shipment, Shop
from integration.runtime import backoff, durable, extensions
from integration.runtime.durable import take_lease
from notifications import channels, context, policy, quotas, rendering, templates_store
from notifications.types import MessageType

log = logging.getLogger(__name__)
QUEUE = "aftercare-send"


class TransientSendError(Exception):
    """The provider did not take the message this time; RQ retries on the precomputed schedule."""


def enqueue_messages(message_ids: list[int]) -> None:
    for message_id in message_ids:
        enqueue_message(message_id)


def enqueue_message(message_id: int, job_id: str | None = None) -> bool:
    cfg = extensions.config
    return durable.enqueue(QUEUE, send_notification, message_id, job_id=job_id or f"send-{message_id}",
                           seed=f"m{message_id}", retries=cfg("SEND_RETRIES"),
                           backoff_base=cfg("SEND_BACKOFF_BASE"), timeout=50)


def send_notification(message_id: int) -> str:
    """Safe to run twice: only a due, unleased, pending row is taken; a sent one is never sent again."""
    database = extensions.db()
    with database.session() as session:
        if not take_lease(session, Message, message_id, MessageStatus.PENDING.value,
                          extensions.config("LEASE_SECONDS")):
            return "not due or already taken"
        outgoing = prepare(session, session.get(Message, message_id))
    if outgoing is None:
        return "decided without sending"
    result = channels.sender_for(outgoing.channel, current_app.config, database).send(outgoing)
    return record(message_id, result)


def prepare(session: Session, message: Message) -> channels.Outgoing | None:
    """Decide and render; the Outgoing to send, or None when the row was suppressed or held."""
    shop = session.get(Shop, message.shop_id)
    order = session.scalar(select(Order).where(Order.shop_id == shop.id, Order.external_id == message.order_key))
    if order is None:
        return _conclude(message, MessageStatus.SUPPRESSED, "the order is not stored")
    shipment = _shipment(session, message)
    recipient = policy.recipient_for(message.channel, order)
    now = utcnow()
    cap = quotas.daily_cap(shop, now, bool(extensions.current_config().get("OPEN_SIGNUP")))
    decision = policy.decide(policy.Situation(session, message, shop, order, shipment, recipient, now, cap))
    if decision.action == "suppress":
        return _conclude(message, MessageStatus.SUPPRESSED, decision.reason)
    if decision.action == "hold":
        message.held_until = decision.until
        return _conclude(message, MessageStatus.HELD, decision.reason)
    try:
        outgoing = _render(message, shop, order, shipment, recipient or "")
    except rendering.TemplateError as exc:
        return _conclude(message, MessageStatus.SUPPRESSED, f"template error: {exc}")
    _start_attempt(session, message, recipient)
    return outgoing


def _shipment(session: Session, message: Message) -> Shipment | None:
    if not message.shipment_key:
        return None
    return session.scalar(select(Shipment).where(
        Shipment.shop_id == message.shop_id, Shipment.external_id == message.shipment_key))


def _conclude(message: Message, status: MessageStatus, reason: str | None) -> None:
    message.status, message.reason, message.lease_until = status.value, reason, None
    log.info("message %s %s: %s", message.id, status.value, reason)
    return None


def feedback_links(message: Message) -> dict[str, str] | None:
    if message.message_type != MessageType.DELIVERED.value:
        return None
    token = URLSafeSerializer(extensions.config("SECRET_KEY"), salt="feedback").dumps(message.id)
    base = f"{extensions.config('APP_URL')}/feedback/{token}"
    return {"good_url": f"{base}/good", "bad_url": f"{base}/bad"}


def _render(message: Message, shop: Shop, order: Order, shipment: Shipment | None,
            recipient: str) -> channels.Outgoing:
    values = context.build(message, shop, order, shipment, feedback_links(message))
    locales = rendering.locale_chain(order.data.get("locale"), shop.locale)
    custom = templates_store.custom_sources(object_session(message), shop.id, message.message_type,
                                            message.channel, locales)
    common = {"ledger_id": message.id, "shop_id": shop.id, "channel": message.channel, "recipient": recipient}
    if message.channel == "sms":
        body = rendering.render_sms(locales, message.message_type, values, custom)
        message.body_text = body
        return channels.Outgoing(**common, text=body, sms_sender=shop.sms_sender)
    email = rendering.render_email(locales, message.message_type, values, custom)
    message.subject, message.body_html, message.body_text = email.subject, email.html, email.text
    return channels.Outgoing(**common, subject=email.subject, html=email.html, text=email.text,
                             sender_name=shop.sender_name or shop.name, reply_to=shop.reply_to)


def _start_attempt(session: Session, message: Message, recipient: str | None) -> None:
    message.status, message.recipient, message.reason = MessageStatus.SENDING.value, recipient, None
    message.attempts += 1
    session.add(Attempt(message_id=message.id, number=message.attempts, started_at=utcnow()))


def record(message_id: int, result: channels.SendResult) -> str:
    with extensions.db().session() as session:
        message = session.get(Message, message_id)
        attempt = session.scalar(select(Attempt).where(Attempt.message_id == message_id)
                                 .order_by(Attempt.number.desc()).limit(1))
        attempt.finished_at, attempt.outcome = utcnow(), result.outcome
        attempt.provider_response, attempt.provider_message_id = result.detail[:2000], result.provider_message_id
        status = OUTCOMES[result.outcome](message, result)
    log.info("message %s attempt %s: %s", message_id, message.attempts, result.outcome)
    if status is MessageStatus.PENDING:
        raise TransientSendError(f"message {message_id}: retry scheduled; the answer is in its attempt row")
    return status.value


def _sent(message: Message, result: channels.SendResult) -> MessageStatus:
    message.status, message.sent_at, message.lease_until = MessageStatus.SENT.value, utcnow(), None
    message.provider_message_id = result.provider_message_id
    return MessageStatus.SENT


def _failed(message: Message, result: channels.SendResult) -> MessageStatus:
    message.status, message.reason, message.lease_until = MessageStatus.FAILED.value, result.detail, None
    return MessageStatus.FAILED


def _unknown(message: Message, result: channels.SendResult) -> MessageStatus:
    message.status, message.reason, message.lease_until = MessageStatus.UNKNOWN.value, result.detail, None
    return MessageStatus.UNKNOWN


def _retry(message: Message, result: channels.SendResult) -> MessageStatus:
    cfg = extensions.config
    wait = backoff.wait_before(message.attempts, f"m{message.id}", cfg("SEND_RETRIES"), cfg("SEND_BACKOFF_BASE"))
    if wait is None:
        message.status, message.lease_until = MessageStatus.FAILED.value, None
        message.reason = f"gave up after {message.attempts} attempts: {result.detail}"
        return MessageStatus.FAILED
    message.status, message.lease_until = MessageStatus.PENDING.value, None
    message.next_attempt_at = utcnow() + dt.timedelta(seconds=wait)
    message.reason = f"retrying in {wait}s: {result.detail}"
    return MessageStatus.PENDING


OUTCOMES = {
    channels.SENT: _sent, channels.PERMANENT: _failed,
    channels.AMBIGUOUS: _unknown, channels.TRANSIENT: _retry,
}
