"""Uninstall and the platforms' privacy requests: stop sending, erase a customer, export, erase a shop.

Erasing keeps the ledger keys (shop, order, shipment, type, occurrence, channel) so a replayed
webhook can never send a message again; everything that identifies the person goes.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from connectors.events import AppUninstalled, CustomerDataRequested, CustomerRedactRequested, ShopRedactRequested
from integration.db.models import (
    Attempt,
    DataExport,
    Delivery,
    HelpClick,
    Message,
    MessageStatus,
    Order,
    OrderState,
    OutboxMessage,
    Shipment,
    Shop,
    TemplateVersion,
)

log = logging.getLogger(__name__)

#: what an erased order keeps: enough to stay exactly-once and to count, nothing about the person.
KEPT_ORDER_FIELDS = ("id", "name", "number", "currency", "created_at", "updated_at", "cancelled_at",
                     "financial_status", "subtotal", "shipping", "tax", "total", "line_items", "test", "locale")
OPEN = (MessageStatus.PENDING.value, MessageStatus.HELD.value)


def _digits(value: str | None) -> str:
    return re.sub(r"\D", "", value or "")


def _same_phone(a: str | None, b: str | None) -> bool:
    """Phones compared by their last ten digits (formats differ: '555-625-1199', '+15556251199')."""
    da, db = _digits(a), _digits(b)
    return len(da) >= 7 and len(db) >= 7 and da[-10:] == db[-10:]


def customer_orders(session: Session, shop: Shop,
                    event: CustomerRedactRequested | CustomerDataRequested) -> list[Order]:
    orders = session.scalars(select(Order).where(Order.shop_id == shop.id)).all()
    email = (event.email or "").lower()
    return [o for o in orders if o.external_id in event.order_ids or (email and (o.email or "").lower() == email)
            or _same_phone(o.phone, event.phone)]


def customer_messages(session: Session, shop: Shop, orders: list[Order], identifiers: set[str]) -> list[Message]:
    keys = [o.external_id for o in orders]
    return list(session.scalars(select(Message).where(Message.shop_id == shop.id).where(
        or_(Message.order_key.in_(keys), Message.recipient.in_(identifiers)))))


def _identifiers(event: CustomerRedactRequested | CustomerDataRequested, messages: list[Message]) -> set[str]:
    found = {v for v in (event.email, event.phone) if v}
    found |= {m.recipient for m in messages if m.recipient and _same_phone(m.recipient, event.phone)}
    return found


def _mentions(body: bytes, event: CustomerRedactRequested, order_ids: set[str]) -> bool:
    text = body.decode("utf-8", "replace")
    lowered = text.lower()
    if event.email and event.email.lower() in lowered:
        return True
    if event.phone and (event.phone in text or (len(_digits(event.phone)) >= 7 and _digits(event.phone) in text)):
        return True
    return any(re.search(rf"\b{re.escape(order_id)}\b", text) for order_id in order_ids)


def redact_customer(session: Session, shop: Shop, event: CustomerRedactRequested) -> list[Any]:
    orders = customer_orders(session, shop, event)
    messages = customer_messages(session, shop, orders, {v for v in (event.email, event.phone) if v})
    identifiers = _identifiers(event, messages)
    messages += customer_messages(session, shop, [], identifiers)
    order_ids = {o.external_id for o in orders} | set(event.order_ids)
    for order in orders:
        order.email = order.phone = None
        order.data = {k: v for k, v in order.data.items() if k in KEPT_ORDER_FIELDS}
    _erase_messages(session, {m.id for m in messages}, identifiers)
    for delivery in session.scalars(select(Delivery).where(Delivery.shop_id == shop.id, Delivery.body.is_not(None))):
        if delivery.resource_id in order_ids or _mentions(delivery.body, event, order_ids):
            delivery.body = None
    log.info("shop %s: customer %s redacted (%d orders, %d messages)", shop.id, event.customer_id,
             len(orders), len(messages))
    return []


def _erase_messages(session: Session, message_ids: set[int], identifiers: set[str]) -> None:
    session.execute(update(Message).where(Message.id.in_(message_ids)).values(
        recipient=None, subject=None, body_text=None, body_html=None, payload={}))
    session.execute(update(Message).where(Message.id.in_(message_ids), Message.status.in_(OPEN)).values(
        status=MessageStatus.SUPPRESSED.value, reason="the customer's data was erased on request"))
    session.execute(update(Attempt).where(Attempt.message_id.in_(message_ids)).values(provider_response=None))
    session.execute(delete(OutboxMessage).where(
        or_(OutboxMessage.message_id.in_(message_ids), OutboxMessage.recipient.in_(identifiers))))


def customer_content(session: Session, shop: Shop, event: CustomerDataRequested) -> dict[str, Any]:
    """Everything held about one customer: their orders as stored and the messages sent to them."""
    orders = customer_orders(session, shop, event)
    messages = customer_messages(session, shop, orders, {v for v in (event.email, event.phone) if v})
    return {
        "customer": {"id": event.customer_id, "email": event.email, "phone": event.phone},
        "orders": [{"id": o.external_id, "email": o.email, "phone": o.phone, **o.data} for o in orders],
        "messages": [{"type": m.message_type, "channel": m.channel, "status": m.status, "recipient": m.recipient,
                      "sent_at": m.sent_at.isoformat() if m.sent_at else None, "subject": m.subject,
                      "text": m.body_text} for m in messages],
    }


def export_customer(session: Session, shop: Shop, event: CustomerDataRequested) -> list[Any]:
    content = customer_content(session, shop, event)
    session.add(DataExport(shop_id=shop.id, request_id=event.request_id, customer_id=event.customer_id,
                           content=content))
    log.info("shop %s: data request %s exported", shop.id, event.request_id)
    return []


def stop_sending(session: Session, shop_id: int, reason: str) -> None:
    """Every message still waiting for the shop is suppressed, with the reason the merchant sees; the shop's
    first-party admin sessions end."""
    session.execute(update(Shop).where(Shop.id == shop_id).values(session_epoch=Shop.session_epoch + 1))
    session.execute(update(Message).where(Message.shop_id == shop_id, Message.status.in_(OPEN)).values(
        status=MessageStatus.SUPPRESSED.value, reason=reason))


def uninstall(session: Session, shop: Shop, event: AppUninstalled) -> list[Any]:
    shop.status, shop.access_token_encrypted = "uninstalled", None
    stop_sending(session, shop.id, "the app was uninstalled")
    log.info("shop %s: uninstalled; sending stopped, tokens dropped", shop.id)
    return []


def redact_shop(session: Session, shop: Shop, event: ShopRedactRequested) -> list[Any]:
    """Erase everything of the shop; the shop row stays as a tombstone without contact data."""
    for model in (HelpClick, TemplateVersion, DataExport, OutboxMessage, Message, Shipment, Order, OrderState):
        session.execute(delete(model).where(model.shop_id == shop.id))
    session.execute(delete(Delivery).where(Delivery.shop_id == shop.id, Delivery.topic != "shop/redact"))
    shop.status, shop.access_token_encrypted, shop.contact_email, shop.reply_to = "redacted", None, None, None
    shop.help_links, shop.page_links, shop.page_notes, shop.storefront_text = {}, {}, {}, {}
    shop.consumer_key_encrypted = shop.consumer_secret_encrypted = None
    shop.webhook_secret_encrypted = shop.link_secret_encrypted = None
    shop.webhook_ids = None
    log.info("shop %s: redacted", shop.id)
    return []


HANDLERS: dict[type, Callable[[Session, Shop, Any], list[Any]]] = {
    AppUninstalled: uninstall,
    CustomerRedactRequested: redact_customer,
    CustomerDataRequested: export_customer,
    ShopRedactRequested: redact_shop,
}
