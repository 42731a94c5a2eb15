"""The first five minutes (development only): a demo shop, and a realistic order's life replayed through the
real intake and the real jobs, so Activity and the Outbox fill within seconds.

The order's life, as Shopify would deliver it (payload shapes of Shopify's webhook reference, as in
tests/fixtures/shopify/): placed and paid; two parcels leave with their tracking; the first is out for
delivery, then delivered; one item is refunded. Each delivery is signed with the app's own webhook secret,
posted to `POST /webhooks/shopify` in process, and its `process_delivery` and `send_notification` jobs run at
once (the copies RQ holds find the work done and do nothing).
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from flask import current_app
from sqlalchemy import select

from integration.db.database import utcnow
from integration.db.models import Message, MessageStatus, Shop
from integration.runtime import extensions
from notifications.jobs import send_notification
from webhooks.jobs import process_delivery

log = logging.getLogger(__name__)

DEMO_DOMAIN = "aftercare-demo.myshopify.com"
DEMO_NAME = "Aftercare Demo Outfitters"
SHOPPER = {"first_name": "Jamie", "last_name": "Rivera", "email": "jamie.rivera@example.com",
           "phone": "+1 415 555 2671"}
ITEMS = [("Merino crew sweater", "Heather grey / M", "89.00"), ("Trail running socks", "3-pack", "24.00"),
         ("Canvas weekender bag", "Olive", "129.00")]
HELP = {"shipping": "https://example.com/policies/shipping-policy",
        "returns": "https://example.com/policies/refund-policy", "contact": "https://example.com/pages/contact"}


class DemoRefusedError(Exception):
    """The demo is for development only, and only for the demo shop."""


def check_allowed() -> None:
    if current_app.config["APP_ENV"] == "production":
        raise DemoRefusedError("the demo is for development only (APP_ENV=production)")


def is_demo(shop: Shop) -> bool:
    return shop.platform == "shopify" and shop.domain == DEMO_DOMAIN


# --- the demo shop --------------------------------------------------------------------------------

def ensure_shop(only_if_none: bool = False) -> int | None:
    """The demo shop's id (created on first use); None when other shops exist and `only_if_none`."""
    check_allowed()
    with extensions.db().session() as session:
        found = session.scalar(select(Shop).where(Shop.platform == "shopify", Shop.domain == DEMO_DOMAIN))
        if found is not None:
            return found.id
        if only_if_none and session.scalar(select(Shop.id).limit(1)) is not None:
            return None
        shop = Shop(platform="shopify", domain=DEMO_DOMAIN, name=DEMO_NAME, status="active",
                    contact_email="help@example.com", currency="USD", timezone="America/New_York", locale="en",
                    quiet_hours_start=None, quiet_hours_end=None, help_links=dict(HELP),
                    created_at=utcnow() - dt.timedelta(days=30))
        session.add(shop)
        session.flush()
        log.info("demo shop %s created", shop.id)
        return shop.id


# --- an order's life ------------------------------------------------------------------------------

def _money(amount: str) -> dict[str, Any]:
    return {"shop_money": {"amount": amount, "currency_code": "USD"},
            "presentment_money": {"amount": amount, "currency_code": "USD"}}


def _line_items(base: int) -> list[dict[str, Any]]:
    return [{"id": base + n, "title": title, "name": f"{title} - {variant}", "variant_title": variant,
             "quantity": 1, "price": price, "price_set": _money(price), "requires_shipping": True,
             "sku": f"DEMO-{n + 1}"} for n, (title, variant, price) in enumerate(ITEMS)]


def _order(order_id: int, number: int, now: str) -> dict[str, Any]:
    address = {"first_name": SHOPPER["first_name"], "last_name": SHOPPER["last_name"], "country_code": "US",
               "phone": SHOPPER["phone"], "address1": "2259 Park Ct", "city": "Drayton Valley", "zip": "94043"}
    return {"id": order_id, "name": f"#D{number}", "order_number": number, "email": SHOPPER["email"],
            "contact_email": SHOPPER["email"], "phone": SHOPPER["phone"], "customer_locale": "en",
            "currency": "USD", "presentment_currency": "USD", "created_at": now, "updated_at": now,
            "financial_status": "paid", "test": False, "cancelled_at": None, "cancel_reason": None,
            "order_status_url": f"https://{DEMO_DOMAIN}/orders/{order_id}/authenticate",
            "customer": {"id": order_id + 7, **{k: SHOPPER[k] for k in ("first_name", "last_name", "email")}},
            "billing_address": address, "shipping_address": address,
            "subtotal_price_set": _money("242.00"), "total_shipping_price_set": _money("8.00"),
            "total_tax_set": _money("0.00"), "total_price_set": _money("250.00"),
            "line_items": _line_items(order_id + 100)}


def _fulfillment(order_id: int, parcel: int, items: list[dict[str, Any]], number: str, now: str) -> dict[str, Any]:
    return {"id": order_id + 200 + parcel, "order_id": order_id, "name": f"#D-F{parcel}", "status": "success",
            "shipment_status": None, "tracking_company": "UPS", "tracking_number": number,
            "tracking_numbers": [number], "tracking_url": f"https://www.ups.com/track?tracknum={number}",
            "tracking_urls": [f"https://www.ups.com/track?tracknum={number}"], "created_at": now,
            "updated_at": now, "line_items": items}


def _event(order_id: int, parcel: int, step: int, status: str, message: str, now: str) -> dict[str, Any]:
    return {"id": order_id + 300 + step, "fulfillment_id": order_id + 200 + parcel, "order_id": order_id,
            "status": status, "message": message, "happened_at": now, "created_at": now, "updated_at": now,
            "city": "Drayton Valley", "province": "California", "country": "United States",
            "estimated_delivery_at": None}


def _refund(order_id: int, item: dict[str, Any], now: str) -> dict[str, Any]:
    return {"id": order_id + 400, "order_id": order_id, "created_at": now, "processed_at": now,
            "note": "Socks returned unworn", "restock": True,
            "refund_line_items": [{"id": order_id + 401, "line_item_id": item["id"], "quantity": 1,
                                   "subtotal": item["price"], "subtotal_set": _money(item["price"]),
                                   "line_item": item}],
            "transactions": [{"id": order_id + 402, "kind": "refund", "status": "success",
                              "amount": item["price"], "currency": "USD", "gateway": "bogus"}]}


def order_life(order_id: int, number: int) -> list[tuple[str, dict[str, Any]]]:
    """(topic, payload) in the order Shopify would deliver them."""
    now = utcnow().isoformat()
    order = _order(order_id, number, now)
    items = order["line_items"]
    return [
        ("orders/create", order),
        ("fulfillments/create", _fulfillment(order_id, 1, items[:2], "1Z999AA10123456784", now)),
        ("fulfillments/create", _fulfillment(order_id, 2, items[2:], "1Z999AA10123456795", now)),
        ("fulfillment_events/create", _event(order_id, 1, 1, "out_for_delivery", "Out for delivery", now)),
        ("fulfillment_events/create", _event(order_id, 1, 2, "delivered", "Delivered, front door", now)),
        ("refunds/create", _refund(order_id, items[1], now)),
    ]


# --- the replay -----------------------------------------------------------------------------------

def _signed(topic: str, body: bytes) -> dict[str, str]:
    secret = str(current_app.config["SHOPIFY_API_SECRET"] or "")
    digest = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return {"X-Shopify-Topic": topic, "X-Shopify-Hmac-Sha256": digest, "X-Shopify-Shop-Domain": DEMO_DOMAIN,
            "X-Shopify-Event-Id": str(uuid.uuid4()), "X-Shopify-Webhook-Id": str(uuid.uuid4()),
            "X-Shopify-API-Version": current_app.config["SHOPIFY_API_VERSION"],
            "X-Shopify-Triggered-At": utcnow().isoformat(), "Content-Type": "application/json"}


def _deliver(topic: str, payload: dict[str, Any]) -> int:
    body = json.dumps(payload).encode()
    answer = current_app.test_client().post("/webhooks/shopify", data=body, headers=_signed(topic, body))
    if answer.status_code != 200 or "delivery" not in (answer.get_json() or {}):
        raise DemoRefusedError(f"the intake answered {answer.status_code} to the demo's {topic}")
    return int(answer.get_json()["delivery"])


def _run_jobs(delivery_id: int, send: Callable[[int], str], process: Callable[[int], str]) -> int:
    process(delivery_id)
    with extensions.db().session() as session:
        ids = list(session.scalars(select(Message.id).where(
            Message.delivery_id == delivery_id, Message.status == MessageStatus.PENDING.value)))
    for message_id in ids:
        send(message_id)
    return len(ids)


def replay(shop_id: int) -> str:
    """RQ job and `flask demo`: one order's whole life through the real intake and jobs."""
    check_allowed()
    with extensions.db().session() as session:
        shop = session.get(Shop, shop_id)
        if shop is None or not is_demo(shop):
            raise DemoRefusedError("only the demo shop replays the demo order")
    stamp = time.time_ns() // 1000  # microseconds: two replays in one second are two orders
    order_id, sent = 5_000_000_000_000_000 + stamp % 1_000_000_000_000 * 1000, 0
    life = order_life(order_id, 1000 + stamp % 9000)
    for topic, payload in life:
        sent += _run_jobs(_deliver(topic, payload), send_notification, process_delivery)
    log.info("demo shop %s: an order's life replayed, %d messages", shop_id, sent)
    return f"replayed {len(life)} deliveries, {sent} messages"


def enqueue_replay(shop_id: int) -> None:
    extensions.queue("aftercare-maintenance").enqueue(replay, shop_id, job_timeout=120)
