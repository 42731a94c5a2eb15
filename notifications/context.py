"""The template context of one message (templates/messages/CONTEXT.md), from stored state only."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from integration.db.models import Message, Order, Shipment, Shop
from integration.runtime.links import web_link

HELP_KEYS = ("shipping", "returns", "contact", "track_order", "contact_email")
PAYMENT_DAYS = "5-10"


def _items(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"title": r.get("title"), "variant_title": r.get("variant_title"), "quantity": r.get("quantity", 1),
             "price": _dec(r.get("price")), "sku": r.get("sku")} for r in rows]


def _dec(value: Any) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def _count(items: list[dict[str, Any]]) -> int:
    return sum(int(i.get("quantity") or 1) for i in items)


def shop_context(shop: Shop) -> dict[str, Any]:
    return {"name": shop.name or shop.domain, "url": web_link(shop.storefront_url), "email": shop.contact_email,
            "ships_within_days": shop.ships_within_days}


def order_context(order: Order) -> dict[str, Any]:
    data = order.data
    items = _items(data.get("line_items") or [])
    return {
        "name": order.name, "number": data.get("number"), "created_at": order.placed_at,
        "status_url": web_link(data.get("status_url")), "currency": data.get("currency") or "USD",
        "subtotal": _dec(data.get("subtotal")), "shipping": _dec(data.get("shipping")),
        "tax": _dec(data.get("tax")), "total": _dec(data.get("total")), "line_items": items,
        "item_count": _count(items),
        "requires_shipping": any(i.get("requires_shipping", True) for i in data.get("line_items") or []),
        "paid": data.get("financial_status") in ("paid", "partially_paid", "partially_refunded", "authorized"),
    }


def customer_context(order: Order) -> dict[str, Any]:
    first, last = order.data.get("customer_first_name"), order.data.get("customer_last_name")
    return {"first_name": first, "last_name": last, "name": " ".join(p for p in (first, last) if p) or None}


def shipment_context(shipment: Shipment, order: Order) -> dict[str, Any]:
    data = shipment.data
    numbers = data.get("tracking_numbers") or []
    urls = [web_link(url) for url in data.get("tracking_urls") or []]  # None keeps numbers and links aligned
    items = _items(data.get("line_items") or [])
    shipped_ids = {str(i.get("id")) for s in order.shipments if s.status == "success"
                   for i in s.data.get("line_items") or []}
    ordered_ids = {str(i.get("id")) for i in order.data.get("line_items") or [] if i.get("requires_shipping", True)}
    return {
        "name": data.get("name"), "tracking_company": data.get("tracking_company"),
        "tracking_number": numbers[0] if numbers else None, "tracking_url": urls[0] if urls else None,
        "tracking_numbers": numbers, "tracking_urls": urls, "line_items": items, "item_count": _count(items),
        "is_partial": bool(ordered_ids - shipped_ids) or bool(ordered_ids and not items),
        "estimated_delivery_at": data.get("estimated_delivery_at"),
    }


def help_context(shop: Shop, order: Order) -> dict[str, Any]:
    stored = shop.help_links or {}
    links = {key: web_link(stored.get(key)) for key in HELP_KEYS if key != "contact_email"}
    links["track_order"] = links["track_order"] or web_link(order.data.get("status_url"))
    links["contact_email"] = stored.get("contact_email") or shop.reply_to or shop.contact_email
    return links


def refund_context(payload: dict[str, Any], order: Order) -> dict[str, Any]:
    """The refund's note stays out: in Shopify's admin the refund reason is for staff only."""
    items = _items(payload.get("line_items") or [])
    return {"amount": _dec(payload.get("amount")) or Decimal("0.00"),
            "currency": payload.get("currency") or order.data.get("currency") or "USD",
            "note": None, "line_items": items, "item_count": _count(items),
            "processed_at": payload.get("created_at"), "payment_days": PAYMENT_DAYS}


def build(message: Message, shop: Shop, order: Order, shipment: Shipment | None,
          feedback: dict[str, str] | None = None) -> dict[str, Any]:
    """Everything a template may use, plus the private settings the filters read."""
    context: dict[str, Any] = {
        "message_type": message.message_type, "shop": shop_context(shop), "order": order_context(order),
        "customer": customer_context(order), "help": help_context(shop, order),
        "shipment": shipment_context(shipment, order) if shipment else None,
        "tracking": message.payload if message.payload.get("status") else None,
        "refund": refund_context(message.payload, order) if message.message_type == "refund_issued" else None,
        "cancellation": message.payload if message.message_type == "order_cancelled" else None,
        "feedback": feedback,
    }
    currency = (context["refund"] or {}).get("currency") or context["order"]["currency"]
    context.update({"_currency": currency, "_locale": message.locale, "_timezone": shop.timezone})
    return context
