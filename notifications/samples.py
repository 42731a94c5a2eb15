"""What the template editor previews against: a realistic sample order, or one of the shop's own.

The context is built by the same `context.build` that sending uses, from unsaved model objects, so a
preview shows exactly what a shopper would get.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from integration.db.database import utcnow
from integration.db.models import Message, Order, Shipment, Shop
from notifications import context
from notifications.types import MessageType


def _when(days_ago: float) -> dt.datetime:
    return utcnow() - dt.timedelta(days=days_ago)


def sample_order(shop: Shop) -> Order:
    """A paid order of two items, shipped with UPS (the shape Shopify's webhooks give)."""
    items = [{"id": "1", "title": "Merino crew sweater", "variant_title": "Forest / M", "quantity": 1,
              "price": "89.00", "sku": "MCS-FOR-M", "requires_shipping": True},
             {"id": "2", "title": "Wool socks", "variant_title": None, "quantity": 2, "price": "12.50",
              "sku": "WS-2", "requires_shipping": True}]
    order = Order(shop_id=shop.id, external_id="1001", name="#1001", email="jamie@example.com",
                  phone="+14155552671", placed_at=_when(3), data={
                      "number": "1001", "currency": shop.currency or "USD", "financial_status": "paid",
                      "customer_first_name": "Jamie", "customer_last_name": "Rivera", "subtotal": "114.00",
                      "shipping": "6.00", "tax": "9.60", "total": "129.60", "line_items": items,
                      "status_url": f"{shop.storefront_url or 'https://' + shop.domain}/orders/1001/status",
                      "shipping_country": "US"})
    order.shipments = [Shipment(shop_id=shop.id, external_id="5001", status="success", data={
        "name": "#1001.1", "tracking_company": "UPS", "tracking_numbers": ["1Z999AA10123456784"],
        "tracking_urls": ["https://www.ups.com/track?tracknum=1Z999AA10123456784"], "line_items": items,
        "estimated_delivery_at": _when(-2).isoformat()})]
    return order


def _payload(message_type: str, order: Order) -> dict[str, Any]:
    carrier = {"out_for_delivery": "out_for_delivery", "delivered": "delivered",
               "delivery_problem": "attempted_delivery", "delayed": "delayed"}
    if message_type in carrier:
        return {"status": carrier[message_type], "happened_at": _when(0.1).isoformat(),
                "message": "Package is with the driver", "city": "Louisville", "country": "US"}
    if message_type == MessageType.REFUND_ISSUED.value:
        return {"id": "9001", "amount": "25.00", "currency": order.data.get("currency"),
                "created_at": _when(0.2).isoformat(), "line_items": order.data.get("line_items", [])[1:]}
    if message_type == MessageType.ORDER_CANCELLED.value:
        return {"reason": "customer", "refund_expected": True}
    return {}


def preview_context(shop: Shop, message_type: str, channel: str, locale: str,
                    order: Order | None = None) -> dict[str, Any]:
    """The template context for `message_type` about `order` (the sample order when None)."""
    order = order or sample_order(shop)
    shipments = [s for s in order.shipments if s.status == "success"]
    shipment = shipments[-1] if shipments and message_type != MessageType.ORDER_CONFIRMATION.value else None
    if message_type in (MessageType.ORDER_CONFIRMATION.value, MessageType.ORDER_CANCELLED.value,
                        MessageType.REFUND_ISSUED.value):
        shipment = None
    message = Message(id=0, shop_id=shop.id, message_type=message_type, channel=channel, locale=locale,
                      payload=_payload(message_type, order))
    feedback = {"good_url": "#good", "bad_url": "#bad"} if message_type == MessageType.DELIVERED.value else None
    return context.build(message, shop, order, shipment, feedback)


def example_values(values: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Every variable path with an example value, for the editor's list (click to insert)."""
    rows: list[tuple[str, str]] = []
    for key, value in values.items():
        if key.startswith("_") or (value is None and not prefix):
            continue  # private settings, and what this message type does not have
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            rows += example_values(value, f"{path}.")
        elif isinstance(value, list):
            rows.append((path, f"list of {len(value)}"))
        else:
            rows.append((path, "" if value is None else str(value)))
    return rows
