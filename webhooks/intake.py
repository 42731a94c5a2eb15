"""Intake: verify, store the raw delivery under its dedupe key, commit, enqueue its id, answer.

No rendering, sending or platform call happens here: the answer must come well inside Shopify's 5 s.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors import shopify, woocommerce
from connectors.base import DeliveryKey, MalformedPayload, clean_header, load_object
from integration.db.database import insert_ignore, utcnow
from integration.db.models import Delivery, DeliveryStatus, Shop
from integration.runtime import extensions
from integration.woocommerce import store as woo_store
from webhooks import jobs

log = logging.getLogger(__name__)
bp = Blueprint("webhooks", __name__)


class BadDelivery(Exception):
    """A delivery refused with an HTTP status and a clear reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@bp.errorhandler(BadDelivery)
def _refuse(exc: BadDelivery) -> ResponseReturnValue:
    return {"error": exc.reason}, exc.status


@bp.post("/webhooks/shopify")
def shopify_webhook() -> ResponseReturnValue:
    return receive_shopify(request.headers, request.get_data(cache=False))


@bp.post("/webhooks/woocommerce/<int:shop_id>")
def woocommerce_webhook(shop_id: int) -> ResponseReturnValue:
    return receive_woocommerce(shop_id, request.headers, request.get_data(cache=False))


def parse_json(body: bytes) -> dict[str, Any]:
    """A verified body as a JSON object with exact decimals; 400 when it is not JSON, not an object, deeper
    than 64 levels or holds a lone surrogate. Only ever called after the signature passed."""
    try:
        return load_object(body)
    except MalformedPayload as exc:
        raise BadDelivery(400, str(exc)) from None


def key_of(make: Any, topic: str, headers: Mapping[str, str], payload: dict[str, Any]) -> DeliveryKey:
    """The dedupe key; 400 when the ids it is made of are not what the platform sends."""
    try:
        return make(topic, headers, payload)  # type: ignore[no-any-return]
    except MalformedPayload as exc:
        raise BadDelivery(400, str(exc)) from None


def find_shop(session: Session, platform: str, domain: str | None) -> Shop | None:
    if not domain:
        return None
    return session.scalar(select(Shop).where(Shop.platform == platform, Shop.domain == domain))


def receive_shopify(headers: Mapping[str, str], body: bytes) -> ResponseReturnValue:
    cfg = extensions.config
    verdict = shopify.verify(headers, body, cfg("SHOPIFY_API_SECRET"), cfg("SHOPIFY_API_SECRET_PREVIOUS"))
    if not verdict.ok:
        log.warning("shopify webhook refused: %s", verdict.detail)
        raise BadDelivery(401, "invalid or missing X-Shopify-Hmac-Sha256")
    topic = _topic(headers, "X-Shopify-Topic")
    payload = parse_json(body)
    with extensions.db().session() as session:  # one short transaction: find the shop, store
        shop = find_shop(session, shopify.PLATFORM, shopify.shop_domain(headers))
        if shop is None:
            return _unknown_shop(topic)
        if topic not in shopify.HANDLED_TOPICS:
            log.info("shop %s: topic %s acknowledged and ignored", shop.id, topic)
            return {"status": "ignored"}, 200
        delivery_id = store(session, shop.id, topic, key_of(shopify.delivery_key, topic, headers, payload), body)
    return enqueue(shop.id, topic, delivery_id)


def receive_woocommerce(shop_id: int, headers: Mapping[str, str], body: bytes) -> ResponseReturnValue:
    if woocommerce.is_ping(headers, body):
        return _answer_ping(shop_id)
    shop = _active_store(shop_id)
    topic = _verified_woo_topic(shop, headers, body)  # nothing reads the body before this passed
    payload = parse_json(body)
    if topic not in woocommerce.HANDLED_TOPICS:
        log.info("shop %s: topic %s acknowledged and ignored", shop.id, topic)
        return {"status": "ignored"}, 200
    key = key_of(woocommerce.delivery_key, topic, headers, payload)
    with extensions.db().session() as session:
        delivery_id = store(session, shop.id, topic, key, body)
    return enqueue(shop_id, topic, delivery_id)


def _active_store(shop_id: int) -> Shop:
    """The store, read in its own short transaction (the signature is checked outside any)."""
    with extensions.db().session() as session:
        shop = session.get(Shop, shop_id)
    if shop is None or shop.platform != woocommerce.PLATFORM:
        raise BadDelivery(404, "unknown store")
    if shop.status != "active":
        raise BadDelivery(410, f"this store is {shop.status} in Aftercare")
    return shop


def _answer_ping(shop_id: int) -> ResponseReturnValue:
    """WooCommerce's creation ping is unsigned and must be answered with exactly 200 (research §1.6)."""
    log.info("shop %s: WooCommerce webhook ping answered", shop_id)
    return {"status": "pong"}, 200


def _verified_woo_topic(shop: Shop, headers: Mapping[str, str], body: bytes) -> str:
    verdict = woocommerce.verify(headers, body, woo_store.secret(shop, "webhook_secret_encrypted"))
    if not verdict.ok:
        log.warning("shop %s: woocommerce webhook refused: %s", shop.id, verdict.detail)
        raise BadDelivery(401, "invalid or missing X-WC-Webhook-Signature")
    return _topic(headers, "X-WC-Webhook-Topic")


def _topic(headers: Mapping[str, str], name: str) -> str:
    topic = clean_header(headers, name, 100)
    if not topic:
        raise BadDelivery(400, f"missing or invalid {name}")
    return topic


def _unknown_shop(topic: str) -> ResponseReturnValue:
    if topic in shopify.PRIVACY_TOPICS:
        return {"status": "nothing held for this shop"}, 200
    raise BadDelivery(404, "unknown shop")


def store(session: Session, shop_id: int, topic: str, key: DeliveryKey, body: bytes) -> int | None:
    """Store the raw delivery; None when its dedupe key is already stored."""
    return insert_ignore(session, Delivery, {
        "shop_id": shop_id, "topic": topic, "dedupe_key": key.dedupe_key, "event_id": key.event_id,
        "webhook_id": key.webhook_id, "resource_id": key.resource_id, "triggered_at": key.triggered_at,
        "received_at": utcnow(), "body": body, "status": DeliveryStatus.PENDING.value, "attempts": 0,
    })


def enqueue(shop_id: int, topic: str, delivery_id: int | None) -> ResponseReturnValue:
    """After the commit: enqueue a new delivery; a duplicate is acknowledged and dropped."""
    if delivery_id is None:
        log.info("shop %s: duplicate %s delivery ignored", shop_id, topic)
        return {"status": "duplicate"}, 200
    jobs.enqueue_delivery(delivery_id)
    return {"status": "accepted", "delivery": delivery_id}, 200
