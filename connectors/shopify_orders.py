"""Orders read back through the GraphQL Admin API, as the same canonical events the webhooks give.

Used by reconciliation (orders updated since a cursor) and to fetch a parent a webhook referred to
before its own webhook arrived. Pure: queries, and functions from an answer to events. Field names
are the Admin GraphQL reference's (Order, LineItem, Fulfillment, FulfillmentTrackingInfo,
FulfillmentEvent, Refund, RefundLineItem); ids are the REST ids (`legacyResourceId`, or the tail of
the global id) so that a webhook and the API name the same order, shipment and refund alike.
Enum values (PAID, SUCCESS, OUT_FOR_DELIVERY, CUSTOMER) are lower-cased: the webhook's spelling.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load

from connectors.base import MalformedPayload
from connectors.events import (
    CarrierEventReceived,
    CarrierUpdate,
    Event,
    LineItem,
    OrderCancelled,
    OrderSnapshot,
    OrderUpdated,
    RefundCreated,
    RefundSnapshot,
    ShipmentSnapshot,
    ShipmentUpdated,
)

_MONEY = "presentmentMoney { amount currencyCode }"
_LINE_ITEM = f"id title name quantity variantTitle sku requiresShipping originalUnitPriceSet {{ {_MONEY} }}"

ORDER_FIELDS = f"""
  id legacyResourceId name email phone customerLocale currencyCode presentmentCurrencyCode
  createdAt updatedAt cancelledAt cancelReason displayFinancialStatus statusPageUrl test
  customer {{ firstName lastName }}
  shippingAddress {{ countryCodeV2 }}
  subtotalPriceSet {{ {_MONEY} }} totalShippingPriceSet {{ {_MONEY} }}
  totalTaxSet {{ {_MONEY} }} totalPriceSet {{ {_MONEY} }}
  lineItems(first: 10) {{ nodes {{ {_LINE_ITEM} }} }}
  fulfillments(first: 3) {{
    id legacyResourceId name status updatedAt estimatedDeliveryAt
    trackingInfo {{ company number url }}
    fulfillmentLineItems(first: 5) {{ nodes {{ quantity lineItem {{ {_LINE_ITEM} }} }} }}
    events(first: 5, reverse: true) {{
      nodes {{ id status happenedAt message estimatedDeliveryAt city province country }}
    }}
  }}
  refunds(first: 3) {{
    id legacyResourceId note createdAt totalRefundedSet {{ {_MONEY} }}
    refundLineItems(first: 5) {{ nodes {{ quantity lineItem {{ {_LINE_ITEM} }} }} }}
  }}
"""

#: orders per page. A query may ask for at most 1000 points; an object costs 1, a connection 2 plus
#: `first` times its node's cost (research §8). One order node as asked above: itself, customer, address
#: and money 11; line items 2 + 10 x 3; three fulfillments of 31 each; three refunds of 25: about 210.
PAGE_SIZE = 4

ORDERS_QUERY = f"""
query AftercareOrdersSince($first: Int!, $after: String, $query: String!) {{
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {{
    pageInfo {{ hasNextPage endCursor }}
    nodes {{ {ORDER_FIELDS} }}
  }}
}}
"""

ORDER_QUERY = f"""
query AftercareOrder($id: ID!) {{
  order(id: $id) {{ {ORDER_FIELDS} }}
}}
"""


def order_gid(order_id: str) -> str:
    return f"gid://shopify/Order/{order_id}"


def updated_since(when: dt.datetime) -> str:
    """The search filter for orders updated at or after `when` (dates must be quoted)."""
    return f"updated_at:>='{when.astimezone(dt.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')}'"


def legacy_id(gid: str | None) -> str | None:
    """`gid://shopify/FulfillmentEvent/944956395` -> `944956395`."""
    return gid.rsplit("/", 1)[-1] if gid else None


class _Schema(Schema):
    class Meta:
        unknown = EXCLUDE


def _opt(field: type[fields.Field], key: str | None = None, **kw: Any) -> fields.Field:
    return field(allow_none=True, load_default=None, data_key=key, **kw)


def _lower(value: str | None) -> str | None:
    return value.lower() if value else None


class MoneyBagSchema(_Schema):
    presentment = fields.Dict(data_key="presentmentMoney", allow_none=True, load_default=None)

    @post_load
    def build(self, d: dict[str, Any], **_: Any) -> tuple[Decimal | None, str | None]:
        money = d["presentment"] or {}
        amount = money.get("amount")
        return (Decimal(str(amount)) if amount is not None else None), money.get("currencyCode")


def _money(key: str) -> fields.Field:
    return fields.Nested(MoneyBagSchema, data_key=key, allow_none=True, load_default=(None, None))


class LineItemSchema(_Schema):
    id = fields.String(required=True)
    title = fields.String(load_default="")
    name = _opt(fields.String)
    quantity = fields.Integer(load_default=1)
    variant_title = _opt(fields.String, "variantTitle")
    sku = _opt(fields.String)
    requires_shipping = fields.Boolean(data_key="requiresShipping", load_default=True)
    price = _money("originalUnitPriceSet")

    @post_load
    def build(self, d: dict[str, Any], **_: Any) -> LineItem:
        return LineItem(id=legacy_id(d["id"]) or "", title=d["title"] or d["name"] or "", quantity=d["quantity"],
                        variant_title=d["variant_title"] or None, sku=d["sku"] or None,
                        price=d["price"][0], requires_shipping=d["requires_shipping"])


class NodesSchema(_Schema):
    nodes = fields.List(fields.Dict(), load_default=list)


class TrackingSchema(_Schema):
    company = _opt(fields.String)
    number = _opt(fields.String)
    url = _opt(fields.String)


class FulfillmentEventSchema(_Schema):
    id = fields.String(required=True)
    status = fields.String(required=True)
    happened_at = _opt(fields.AwareDateTime, "happenedAt")
    message = _opt(fields.String)
    estimated_delivery_at = _opt(fields.AwareDateTime, "estimatedDeliveryAt")
    city = _opt(fields.String)
    province = _opt(fields.String)
    country = _opt(fields.String)


class FulfillmentSchema(_Schema):
    id = fields.String(required=True)
    legacy_id = _opt(fields.String, "legacyResourceId")
    name = _opt(fields.String)
    status = fields.String(load_default="SUCCESS")
    updated_at = _opt(fields.AwareDateTime, "updatedAt")
    estimated_delivery_at = _opt(fields.AwareDateTime, "estimatedDeliveryAt")
    tracking = fields.List(fields.Nested(TrackingSchema), data_key="trackingInfo", load_default=list)
    events = fields.Nested(NodesSchema, load_default=lambda: {"nodes": []})
    line_items = fields.Nested(NodesSchema, data_key="fulfillmentLineItems", load_default=lambda: {"nodes": []})


class CountedLineItemSchema(_Schema):
    """FulfillmentLineItem and RefundLineItem: both a quantity of one line item."""

    quantity = fields.Integer(load_default=1)
    line_item = fields.Nested(LineItemSchema, data_key="lineItem", required=True)


class RefundSchema(_Schema):
    id = fields.String(required=True)
    legacy_id = _opt(fields.String, "legacyResourceId")
    note = _opt(fields.String)
    created_at = _opt(fields.AwareDateTime, "createdAt")
    total = _money("totalRefundedSet")
    line_items = fields.Nested(NodesSchema, data_key="refundLineItems", load_default=lambda: {"nodes": []})


class OrderNodeSchema(_Schema):
    id = fields.String(required=True)
    legacy_id = _opt(fields.String, "legacyResourceId")
    name = fields.String(required=True)
    email = _opt(fields.String)
    phone = _opt(fields.String)
    locale = _opt(fields.String, "customerLocale")
    currency = fields.String(data_key="currencyCode", load_default="USD")
    presentment_currency = _opt(fields.String, "presentmentCurrencyCode")
    created_at = _opt(fields.AwareDateTime, "createdAt")
    updated_at = _opt(fields.AwareDateTime, "updatedAt")
    cancelled_at = _opt(fields.AwareDateTime, "cancelledAt")
    cancel_reason = _opt(fields.String, "cancelReason")
    financial_status = _opt(fields.String, "displayFinancialStatus")
    status_url = _opt(fields.String, "statusPageUrl")
    test = fields.Boolean(load_default=False)
    customer = fields.Dict(allow_none=True, load_default=None)
    shipping_address = fields.Dict(data_key="shippingAddress", allow_none=True, load_default=None)
    subtotal = _money("subtotalPriceSet")
    shipping = _money("totalShippingPriceSet")
    tax = _money("totalTaxSet")
    total = _money("totalPriceSet")
    line_items = fields.Nested(NodesSchema, data_key="lineItems", load_default=lambda: {"nodes": []})
    fulfillments = fields.List(fields.Nested(FulfillmentSchema), load_default=list)
    refunds = fields.List(fields.Nested(RefundSchema), load_default=list)


_ORDER, _LINE_ITEM_SCHEMA, _REFUND_LINE = OrderNodeSchema(), LineItemSchema(), CountedLineItemSchema()
_EVENT = FulfillmentEventSchema()


def _load(schema: Schema, data: Any) -> Any:
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise MalformedPayload(f"GraphQL answer does not match the documented shape: {exc.messages}") from exc


def snapshot(d: dict[str, Any]) -> OrderSnapshot:
    customer = d["customer"] or {}
    return OrderSnapshot(
        id=d["legacy_id"] or legacy_id(d["id"]) or "", name=d["name"], number=d["name"].lstrip("#") or None,
        currency=d["presentment_currency"] or d["currency"], email=d["email"] or None, phone=d["phone"] or None,
        locale=d["locale"], created_at=d["created_at"], updated_at=d["updated_at"],
        cancelled_at=d["cancelled_at"], cancel_reason=_lower(d["cancel_reason"]),
        financial_status=_lower(d["financial_status"]), customer_first_name=customer.get("firstName"),
        customer_last_name=customer.get("lastName"), status_url=d["status_url"], subtotal=d["subtotal"][0],
        shipping=d["shipping"][0], tax=d["tax"][0], total=d["total"][0],
        shipping_country=(d["shipping_address"] or {}).get("countryCodeV2"),
        line_items=tuple(_load(_LINE_ITEM_SCHEMA, n) for n in d["line_items"]["nodes"]), test=d["test"],
    )


def shipment(order_id: str, f: dict[str, Any]) -> ShipmentSnapshot:
    tracking = [t for t in f["tracking"] if t["number"] or t["url"]]
    return ShipmentSnapshot(
        id=f["legacy_id"] or legacy_id(f["id"]) or "", order_id=order_id, name=f["name"],
        status=f["status"].lower(), tracking_company=next((t["company"] for t in f["tracking"] if t["company"]), None),
        tracking_numbers=tuple(t["number"] for t in tracking if t["number"]),
        tracking_urls=tuple(t["url"] for t in tracking if t["url"]), updated_at=f["updated_at"],
        estimated_delivery_at=f["estimated_delivery_at"], line_items=_counted_items(f["line_items"]["nodes"]),
    )


def _counted_items(nodes: list[dict[str, Any]]) -> tuple[LineItem, ...]:
    """FulfillmentLineItem / RefundLineItem nodes: a line item with the quantity this one covers."""
    rows = [_load(_REFUND_LINE, n) for n in nodes]
    return tuple(dataclasses.replace(r["line_item"], quantity=r["quantity"]) for r in rows)


def carrier_updates(order_id: str, shipment_id: str, f: dict[str, Any]) -> list[CarrierUpdate]:
    """The fulfillment's tracking events, oldest first."""
    events = [_load(_EVENT, node) for node in f["events"]["nodes"]]
    events.sort(key=lambda e: e["happened_at"] or dt.datetime.min.replace(tzinfo=dt.timezone.utc))
    return [CarrierUpdate(id=legacy_id(e["id"]) or "", shipment_id=shipment_id, order_id=order_id,
                          status=e["status"].lower(), happened_at=e["happened_at"], message=e["message"],
                          estimated_delivery_at=e["estimated_delivery_at"], city=e["city"],
                          province=e["province"], country=e["country"]) for e in events]


def refund(order_id: str, r: dict[str, Any]) -> RefundSnapshot:
    amount, currency = r["total"]
    return RefundSnapshot(
        id=r["legacy_id"] or legacy_id(r["id"]) or "", order_id=order_id, amount=amount or Decimal("0.00"),
        currency=currency, note=r["note"] or None, created_at=r["created_at"],
        line_items=_counted_items(r["line_items"]["nodes"]),
    )


def order_events(node: Mapping[str, Any]) -> list[Event]:
    """Everything one order node says, in the order the webhooks would have said it."""
    d = _load(_ORDER, node)
    order = snapshot(d)
    events: list[Event] = [OrderUpdated(order)]
    if order.cancelled_at:
        events.append(OrderCancelled(order))
    for f in d["fulfillments"]:
        ship = shipment(order.id, f)
        events.append(ShipmentUpdated(ship))
        events += [CarrierEventReceived(u) for u in carrier_updates(order.id, ship.id, f)]
    events += [RefundCreated(refund(order.id, r)) for r in d["refunds"]]
    return events


@dataclass(frozen=True)
class OrdersPage:
    nodes: list[dict[str, Any]]
    has_next: bool
    end_cursor: str | None


def orders_page(data: Mapping[str, Any]) -> OrdersPage:
    """The answer to ORDERS_QUERY."""
    orders = data.get("orders") or {}
    info = orders.get("pageInfo") or {}
    return OrdersPage(list(orders.get("nodes") or []), bool(info.get("hasNextPage")), info.get("endCursor"))


def node_updated_at(node: Mapping[str, Any]) -> dt.datetime | None:
    raw = node.get("updatedAt")
    return dt.datetime.fromisoformat(raw.replace("Z", "+00:00")) if raw else None
