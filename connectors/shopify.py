"""Shopify: verify a delivery and turn its payload into canonical events. No I/O here.

Payload shapes: Shopify's webhook reference (samples in tests/fixtures/shopify/). Ids are kept as
exact strings: they exceed 2**53 and must never pass through a float.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from marshmallow import EXCLUDE, Schema, fields, post_load, pre_load

from connectors.base import MAX_ID, DeliveryKey, MalformedPayload, Verification, clean_header, decode_mac, header
from connectors.events import (
    AppUninstalled,
    CarrierEventReceived,
    CarrierUpdate,
    CustomerDataRequested,
    CustomerRedactRequested,
    Event,
    LineItem,
    OrderCancelled,
    OrderSnapshot,
    OrderUpdated,
    RefundCreated,
    RefundSnapshot,
    ShipmentSnapshot,
    ShipmentUpdated,
    ShopRedactRequested,
    ShopUpdated,
)
from connectors.shopify_api import ShopFacts

PLATFORM = "shopify"
PRIVACY_TOPICS = frozenset({"customers/data_request", "customers/redact", "shop/redact"})
HMAC_HEADERS = ("X-Shopify-Hmac-Sha256", "Shopify-Hmac-Sha256")
#: the length of the id columns (orders, shipments, deliveries' resource id).
MAX_ID_CHARS = 64
#: the length of the event and webhook id columns.
MAX_HEADER_ID_CHARS = 100


class IdString(fields.Field):
    """A platform id (an integer within 64 bits, or a short string) kept as an exact string."""

    default_error_messages = {"invalid": "Not a valid id: an integer within 64 bits or a string of at most "
                                         f"{MAX_ID_CHARS} characters."}

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise self.make_error("invalid")
        if isinstance(value, int) and not -MAX_ID <= value <= MAX_ID or len(str(value)) > MAX_ID_CHARS:
            raise self.make_error("invalid")
        return str(value)


class _Schema(Schema):
    class Meta:
        unknown = EXCLUDE


def _opt(field: type[fields.Field], **kw: Any) -> fields.Field:
    return field(allow_none=True, load_default=None, **kw)


class MoneySchema(_Schema):
    amount = _opt(fields.Decimal)
    currency_code = _opt(fields.String)


class MoneySetSchema(_Schema):
    shop_money = fields.Nested(MoneySchema, allow_none=True, load_default=None)
    presentment_money = fields.Nested(MoneySchema, allow_none=True, load_default=None)


def presentment(money_set: Mapping[str, Any] | None) -> Decimal | None:
    """The amount in the currency the shopper paid in."""
    if not money_set:
        return None
    chosen = money_set.get("presentment_money") or money_set.get("shop_money") or {}
    return chosen.get("amount")


class LineItemSchema(_Schema):
    id = IdString(required=True)
    title = fields.String(load_default="")
    name = _opt(fields.String)
    quantity = fields.Integer(load_default=1)
    variant_title = _opt(fields.String)
    sku = _opt(fields.String)
    price_set = fields.Nested(MoneySetSchema, allow_none=True, load_default=None)
    requires_shipping = fields.Boolean(load_default=True)

    @post_load
    def build(self, d: dict[str, Any], **_: Any) -> LineItem:
        return LineItem(
            id=d["id"], title=d["title"] or d["name"] or "", quantity=d["quantity"],
            variant_title=d["variant_title"] or None, sku=d["sku"] or None,
            price=presentment(d["price_set"]), requires_shipping=d["requires_shipping"],
        )


class PersonSchema(_Schema):
    first_name = _opt(fields.String)
    last_name = _opt(fields.String)
    phone = _opt(fields.String)
    country_code = _opt(fields.String)


class OrderSchema(_Schema):
    id = IdString(required=True)
    name = fields.String(required=True)
    order_number = IdString(allow_none=True, load_default=None)
    email = _opt(fields.String)
    contact_email = _opt(fields.String)
    phone = _opt(fields.String)
    customer_locale = _opt(fields.String)
    currency = fields.String(load_default="USD")
    presentment_currency = _opt(fields.String)
    created_at = _opt(fields.AwareDateTime)
    updated_at = _opt(fields.AwareDateTime)
    cancelled_at = _opt(fields.AwareDateTime)
    cancel_reason = _opt(fields.String)
    financial_status = _opt(fields.String)
    order_status_url = _opt(fields.String)
    test = fields.Boolean(load_default=False)
    customer = fields.Nested(PersonSchema, allow_none=True, load_default=None)
    billing_address = fields.Nested(PersonSchema, allow_none=True, load_default=None)
    shipping_address = fields.Nested(PersonSchema, allow_none=True, load_default=None)
    subtotal_price_set = fields.Nested(MoneySetSchema, allow_none=True, load_default=None)
    total_shipping_price_set = fields.Nested(MoneySetSchema, allow_none=True, load_default=None)
    total_tax_set = fields.Nested(MoneySetSchema, allow_none=True, load_default=None)
    total_price_set = fields.Nested(MoneySetSchema, allow_none=True, load_default=None)
    line_items = fields.List(fields.Nested(LineItemSchema), load_default=list)

    @post_load
    def build(self, d: dict[str, Any], **_: Any) -> OrderSnapshot:
        person = d["customer"] or d["billing_address"] or d["shipping_address"] or {}
        return OrderSnapshot(
            id=d["id"], name=d["name"], number=d["order_number"],
            currency=d["presentment_currency"] or d["currency"],
            email=d["email"] or d["contact_email"] or None,
            phone=d["phone"] or (d["customer"] or {}).get("phone") or None,
            locale=d["customer_locale"], created_at=d["created_at"], updated_at=d["updated_at"],
            cancelled_at=d["cancelled_at"], cancel_reason=d["cancel_reason"],
            financial_status=d["financial_status"],
            customer_first_name=person.get("first_name"), customer_last_name=person.get("last_name"),
            status_url=d["order_status_url"], subtotal=presentment(d["subtotal_price_set"]),
            shipping=presentment(d["total_shipping_price_set"]), tax=presentment(d["total_tax_set"]),
            total=presentment(d["total_price_set"]),
            shipping_country=(d["shipping_address"] or {}).get("country_code"),
            line_items=tuple(d["line_items"]), test=d["test"],
        )


class FulfillmentSchema(_Schema):
    id = IdString(required=True)
    order_id = IdString(required=True)
    name = _opt(fields.String)
    status = fields.String(load_default="pending")
    shipment_status = _opt(fields.String)
    tracking_company = _opt(fields.String)
    tracking_number = _opt(fields.String)
    tracking_numbers = fields.List(fields.String(), load_default=list, allow_none=True)
    tracking_url = _opt(fields.String)
    tracking_urls = fields.List(fields.String(), load_default=list, allow_none=True)
    updated_at = _opt(fields.AwareDateTime)
    line_items = fields.List(fields.Nested(LineItemSchema), load_default=list)

    @post_load
    def build(self, d: dict[str, Any], **_: Any) -> ShipmentSnapshot:
        """The Fulfillment resource has no delivery estimate: it comes from carrier events (planning keeps it)."""
        numbers = d["tracking_numbers"] or ([d["tracking_number"]] if d["tracking_number"] else [])
        urls = d["tracking_urls"] or ([d["tracking_url"]] if d["tracking_url"] else [])
        return ShipmentSnapshot(
            id=d["id"], order_id=d["order_id"], name=d["name"], status=d["status"],
            carrier_status=d["shipment_status"], tracking_company=d["tracking_company"],
            tracking_numbers=tuple(numbers), tracking_urls=tuple(urls),
            line_items=tuple(d["line_items"]), updated_at=d["updated_at"],
        )


class FulfillmentEventSchema(_Schema):
    id = IdString(required=True)
    fulfillment_id = IdString(required=True)
    order_id = IdString(required=True)
    status = fields.String(required=True)
    message = _opt(fields.String)
    happened_at = _opt(fields.AwareDateTime)
    estimated_delivery_at = _opt(fields.AwareDateTime)
    city = _opt(fields.String)
    province = _opt(fields.String)
    country = _opt(fields.String)

    @post_load
    def build(self, d: dict[str, Any], **_: Any) -> CarrierUpdate:
        return CarrierUpdate(
            id=d["id"], shipment_id=d["fulfillment_id"], order_id=d["order_id"], status=d["status"],
            happened_at=d["happened_at"], message=d["message"],
            estimated_delivery_at=d["estimated_delivery_at"], city=d["city"],
            province=d["province"], country=d["country"],
        )


class TransactionSchema(_Schema):
    kind = _opt(fields.String)
    status = _opt(fields.String)
    amount = _opt(fields.Decimal)
    currency = _opt(fields.String)


class RefundLineItemSchema(_Schema):
    quantity = fields.Integer(load_default=1)
    line_item = fields.Nested(LineItemSchema, allow_none=True, load_default=None)
    subtotal_set = fields.Nested(MoneySetSchema, allow_none=True, load_default=None)

    @pre_load
    def elided_item(self, data: Any, **_: Any) -> Any:
        """Shopify's own Refund resource example elides the line item (`"line_item": {}`): no item, not malformed."""
        if isinstance(data, Mapping) and data.get("line_item") == {}:
            return {key: value for key, value in data.items() if key != "line_item"}
        return data


class RefundShippingLineSchema(_Schema):
    subtotal_amount_set = fields.Nested(MoneySetSchema, allow_none=True, load_default=None)


class OrderAdjustmentSchema(_Schema):
    amount_set = fields.Nested(MoneySetSchema, allow_none=True, load_default=None)


def _presentment_code(money_set: Mapping[str, Any] | None) -> str | None:
    return ((money_set or {}).get("presentment_money") or {}).get("currency_code") or None


#: where a refund says the currency the shopper paid in, first found wins. A refund transaction's `amount` is in
#: that currency (the Refund resource's `in_shop_currency` defaults to false) and its `currency` names it, but
#: Shopify's refunds/create sample publishes `"currency": null`; every money set's presentment side names it too.
REFUND_CURRENCY_SOURCES: tuple[Callable[[dict[str, Any]], list[str | None]], ...] = (
    lambda d: [t["currency"] for t in d["transactions"] if t["kind"] == "refund" and t["status"] == "success"],
    lambda d: [_presentment_code(r["subtotal_set"]) for r in d["refund_line_items"]],
    lambda d: [_presentment_code(s["subtotal_amount_set"]) for s in d["refund_shipping_lines"]],
    lambda d: [_presentment_code(a["amount_set"]) for a in d["order_adjustments"]],
    lambda d: [_presentment_code(d["total_duties_set"]), _presentment_code(d["total_additional_fees_set"])],
)


def refund_currency(d: dict[str, Any]) -> str | None:
    """The presentment currency of a loaded refund (None when it names none: the order's is used then)."""
    return next((code for source in REFUND_CURRENCY_SOURCES for code in source(d) if code), None)


class RefundSchema(_Schema):
    id = IdString(required=True)
    order_id = IdString(required=True)
    note = _opt(fields.String)
    created_at = _opt(fields.AwareDateTime)
    transactions = fields.List(fields.Nested(TransactionSchema), load_default=list)
    refund_line_items = fields.List(fields.Nested(RefundLineItemSchema), load_default=list)
    refund_shipping_lines = fields.List(fields.Nested(RefundShippingLineSchema), load_default=list)
    order_adjustments = fields.List(fields.Nested(OrderAdjustmentSchema), load_default=list)
    total_duties_set = fields.Nested(MoneySetSchema, allow_none=True, load_default=None)
    total_additional_fees_set = fields.Nested(MoneySetSchema, allow_none=True, load_default=None)

    @post_load
    def build(self, d: dict[str, Any], **_: Any) -> RefundSnapshot:
        """The money paid back: the successful refund transactions, in the shopper's currency (presentment), as
        the API's `totalRefundedSet { presentmentMoney }` says it."""
        paid_back = [t for t in d["transactions"] if t["kind"] == "refund" and t["status"] == "success"]
        items = tuple(_refunded_item(r) for r in d["refund_line_items"] if r["line_item"] is not None)
        return RefundSnapshot(
            id=d["id"], order_id=d["order_id"], note=d["note"] or None, created_at=d["created_at"],
            amount=sum((t["amount"] or Decimal(0) for t in paid_back), Decimal("0.00")),
            currency=refund_currency(d), line_items=items,
        )


def _refunded_item(row: dict[str, Any]) -> LineItem:
    return dataclasses.replace(row["line_item"], quantity=row["quantity"])


class CustomerSchema(_Schema):
    id = IdString(allow_none=True, load_default=None)
    email = _opt(fields.String)
    phone = _opt(fields.String)


class PrivacySchema(_Schema):
    """customers/redact and customers/data_request (Shopify's mandatory compliance topics)."""

    shop_id = IdString(allow_none=True, load_default=None)
    customer = fields.Nested(CustomerSchema, required=True)
    orders_to_redact = fields.List(IdString(), load_default=list)
    orders_requested = fields.List(IdString(), load_default=list)
    data_request = fields.Dict(allow_none=True, load_default=None)

    @post_load
    def build(self, d: dict[str, Any], **_: Any) -> Event:
        customer = d["customer"]
        common = {"customer_id": customer["id"], "email": customer["email"], "phone": customer["phone"]}
        if d["data_request"] is not None:
            request_id = d["data_request"].get("id")
            return CustomerDataRequested(request_id=None if request_id is None else str(request_id),
                                         order_ids=tuple(d["orders_requested"]), **common)
        return CustomerRedactRequested(order_ids=tuple(d["orders_to_redact"]), **common)


class ShopSchema(_Schema):
    """The Shop resource of `shop/update` and `app/uninstalled`."""

    name = _opt(fields.String)
    customer_email = _opt(fields.String)
    email = _opt(fields.String)
    currency = _opt(fields.String)
    iana_timezone = _opt(fields.String)
    primary_locale = _opt(fields.String)
    domain = _opt(fields.String)

    @post_load
    def build(self, d: dict[str, Any], **_: Any) -> ShopFacts:
        return ShopFacts(name=d["name"], contact_email=d["customer_email"] or d["email"], currency=d["currency"],
                         timezone=d["iana_timezone"], locale=d["primary_locale"],
                         storefront_url=f"https://{d['domain']}" if d["domain"] else None)


class ShopIdSchema(_Schema):
    id = IdString(allow_none=True, load_default=None)
    shop_id = IdString(allow_none=True, load_default=None)


def _load(schema: Schema, payload: Mapping[str, Any]) -> Any:
    from marshmallow import ValidationError

    try:
        return schema.load(payload)
    except ValidationError as exc:
        raise MalformedPayload(f"payload does not match the documented shape: {exc.messages}") from exc


_ORDER, _FULFILLMENT, _EVENT, _REFUND = OrderSchema(), FulfillmentSchema(), FulfillmentEventSchema(), RefundSchema()
_PRIVACY, _SHOP, _SHOP_FACTS = PrivacySchema(), ShopIdSchema(), ShopSchema()

#: topic -> payload to canonical events. Topics not here are acknowledged and ignored.
NORMALIZERS: dict[str, Callable[[Mapping[str, Any]], list[Event]]] = {
    "orders/create": lambda p: [OrderUpdated(_load(_ORDER, p))],
    "orders/paid": lambda p: [OrderUpdated(_load(_ORDER, p))],
    "orders/cancelled": lambda p: [OrderCancelled(_load(_ORDER, p))],
    "fulfillments/create": lambda p: [ShipmentUpdated(_load(_FULFILLMENT, p))],
    "fulfillments/update": lambda p: [ShipmentUpdated(_load(_FULFILLMENT, p))],
    "fulfillment_events/create": lambda p: [CarrierEventReceived(_load(_EVENT, p))],
    "refunds/create": lambda p: [RefundCreated(_load(_REFUND, p))],
    "app/uninstalled": lambda p: [AppUninstalled(_load(_SHOP, p)["id"])],
    "customers/redact": lambda p: [_load(_PRIVACY, p)],
    "customers/data_request": lambda p: [_load(_PRIVACY, p)],
    "shop/redact": lambda p: [ShopRedactRequested(_load(_SHOP, p)["shop_id"])],
    "shop/update": lambda p: [ShopUpdated(_load(_SHOP_FACTS, p))],
}

HANDLED_TOPICS = frozenset(NORMALIZERS)


def normalize(topic: str, payload: Mapping[str, Any]) -> list[Event]:
    """The canonical events one delivery means; [] for topics the pipeline does not act on."""
    if not isinstance(payload, Mapping):
        raise MalformedPayload("payload is not a JSON object")
    handler = NORMALIZERS.get(topic)
    return handler(payload) if handler else []


def verify(headers: Mapping[str, str], body: bytes, secret: str | None, previous: str | None,
           client_id: str | None = None) -> Verification:
    """base64(HMAC-SHA256(raw body)) in X-Shopify-Hmac-Sha256 with the current or previous secret, compared
    in constant time on the raw bytes before anything reads the body.

    shopifyapp's verify_webhook_req is not used for webhooks: it parses the whole body as JSON for its log
    before it checks the HMAC (a deep or huge-number body raised there) and answers a missing header with
    400 (the App Store wants 401). `client_id` is kept for callers; webhooks do not carry it.
    """
    if not secret:
        return Verification(False, "SHOPIFY_API_SECRET is not configured")
    mac = decode_mac(next((value for name in HMAC_HEADERS if (value := header(headers, name))), None))
    if mac is None:
        return Verification(False, "X-Shopify-Hmac-Sha256 is missing or not a base64 HMAC-SHA256")
    if not any(hmac.compare_digest(mac, hmac.new(key.encode("utf-8"), body, hashlib.sha256).digest())
               for key in (secret, previous) if key):
        return Verification(False, "X-Shopify-Hmac-Sha256 does not match the body")
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return Verification(False, "body is not UTF-8")
    return Verification(True, "verified")


def shop_domain(headers: Mapping[str, str]) -> str | None:
    value = clean_header(headers, "X-Shopify-Shop-Domain", 255)  # not printable ASCII: no shop has it
    return value.strip().lower() if value else None


def _triggered_at(headers: Mapping[str, str]) -> dt.datetime | None:
    raw = clean_header(headers, "X-Shopify-Triggered-At", 64)
    if not raw:
        return None
    try:
        parsed = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)).astimezone(dt.timezone.utc)
    except (ValueError, OverflowError):
        return None


def _header_id(headers: Mapping[str, str], name: str) -> str | None:
    """An id header: absent, or printable ASCII that fits its column (MalformedPayload otherwise)."""
    if header(headers, name) is None:
        return None
    value = clean_header(headers, name, MAX_HEADER_ID_CHARS)
    if value is None:
        raise MalformedPayload(f"{name} is not a printable id of at most {MAX_HEADER_ID_CHARS} characters")
    return value


def resource_id(payload: Mapping[str, Any]) -> str | None:
    """The payload's `id`, which the dedupe key holds: absent, or an id IdString accepts."""
    resource = payload.get("id")
    if resource is None:
        return None
    if isinstance(resource, bool) or not isinstance(resource, (int, str)) or len(str(resource)) > MAX_ID_CHARS \
            or isinstance(resource, int) and not -MAX_ID <= resource <= MAX_ID:
        raise MalformedPayload("id is not an integer within 64 bits or a short string")
    return str(resource)


def delivery_key(topic: str, headers: Mapping[str, str], payload: Mapping[str, Any]) -> DeliveryKey:
    """(topic, X-Shopify-Event-Id, resource id): one merchant action can touch several resources."""
    event_id = _header_id(headers, "X-Shopify-Event-Id")
    webhook_id = _header_id(headers, "X-Shopify-Webhook-Id")
    resource = resource_id(payload) if isinstance(payload, Mapping) else None
    identity = event_id or webhook_id or ""
    return DeliveryKey(
        dedupe_key=f"{topic}|{identity}|{resource or ''}", event_id=event_id,
        webhook_id=webhook_id, resource_id=resource, triggered_at=_triggered_at(headers),
    )
