"""WooCommerce: verify a delivery and turn an order body into canonical events. No I/O here.

WooCommerce has one body shape for every order topic (the REST v3 order, research/woocommerce.md §1.8),
builds it when it delivers, never retries and can skip states or even send an older state than one
already seen (§1.3). So events come from diffing the stored digest (`state`, returned by `normalize`
and handed back as `previous`) against the new body, never from the topic alone.
"""
from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import hashlib
import hmac
import html
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from connectors.base import DeliveryKey, MalformedPayload, Verification, clean_header, decode_mac, header, platform_id
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
    jsonable,
)
from connectors.woocommerce_carriers import carrier_link, display_name, slug

PLATFORM = "woocommerce"
HANDLED_TOPICS: frozenset[str] = frozenset({"order.created", "order.updated", "order.deleted", "order.restored"})

#: statuses that say nothing to the shopper yet; their state is kept so the next transition diffs right.
IGNORED_STATUSES = frozenset({"checkout-draft", "pending", "failed"})
#: statuses after which nothing is announced as shipped.
NO_SHIPMENT_STATUSES = IGNORED_STATUSES | {"cancelled", "refunded"}
#: core and plugin (AST, local pickup) statuses of an order that has been paid.
PAID_STATUSES = frozenset({"processing", "completed", "partial-shipped", "updated-tracking", "delivered",
                           "ready-for-pickup"})
PICKUP_METHODS = frozenset({"local_pickup", "pickup_location"})
TRACKING_META = "_wc_shipment_tracking_items"
FULFILLMENT_META = "_fulfillment_status"
SHIPPED_FULFILLMENT = frozenset({"fulfilled", "partially_fulfilled"})
MAX_SHIPMENT_ID = 64
MAX_HEADER_ID_CHARS = 100
MAX_AMOUNT = Decimal(10) ** 12
MAX_NUMBER_CHARS = 60  # "#" + number fits the orders' name column
_PING = re.compile(rb"webhook_id=\d+")
_ABSENT = object()


@dataclass(frozen=True)
class Options:
    confirm_on_hold: bool = False  # treat on-hold (offline payment: BACS/cheque) as confirmed
    store_url: str | None = None  # the store's home URL, for links (may be None)


@dataclass(frozen=True)
class Extras:
    """What the caller read from the REST API for this order (None: not read)."""

    refunds: tuple[Mapping[str, Any], ...] | None = None
    fulfillments: tuple[Mapping[str, Any], ...] | None = None
    trackings: tuple[Mapping[str, Any], ...] | None = None


@dataclass(frozen=True)
class Needs:
    refunds: bool
    fulfillments: bool


@dataclass(frozen=True)
class Normalized:
    events: list[Event]
    state: dict[str, Any] | None  # None: keep the stored state


# --- delivery: signature, ping, dedupe key -------------------------------------------------------------

def verify(headers: Mapping[str, str], body: bytes, secret: str | None) -> Verification:
    """base64(HMAC-SHA256(raw body, secret)) in X-WC-Webhook-Signature (§1.5), compared in constant time on
    the raw bytes before anything reads the body; a malformed signature is refused before any hashing."""
    if not secret:
        return Verification(False, "no webhook secret is configured for this store")
    given = header(headers, "X-WC-Webhook-Signature")
    if not given:
        return Verification(False, "X-WC-Webhook-Signature header is missing")
    mac = decode_mac(given)
    if mac is None:
        return Verification(False, "X-WC-Webhook-Signature is not a base64 HMAC-SHA256")
    expected = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()
    ok = hmac.compare_digest(mac, expected)
    return Verification(ok, "signature matches" if ok else "signature does not match the body")


def is_ping(headers: Mapping[str, str], body: bytes) -> bool:
    """WooCommerce's unsigned creation ping: no X-WC-* headers and the form body `webhook_id=N` (§1.6)."""
    return header(headers, "X-WC-Webhook-Topic") is None and _PING.fullmatch(body.strip()) is not None


def delivery_key(topic: str, headers: Mapping[str, str], payload: Any) -> DeliveryKey:
    """(topic, order id, date_modified_gmt): X-WC-Webhook-Delivery-ID is not unique per event (§1.4).

    `order.deleted` carries only `{"id": N}`, with no modification time to key on, so it keys on the
    Delivery-ID (a hash of the webhook id and the second it was sent): trashing twice in different
    seconds stays two deliveries, a repeat in the same second collapses, harmless as trashing is idempotent.
    """
    order_id = order_id_of(payload)
    delivery, webhook = _header_id(headers, "X-WC-Webhook-Delivery-ID"), _header_id(headers, "X-WC-Webhook-ID")
    modified = payload.get("date_modified_gmt") if topic != "order.deleted" else None
    triggered = parse_gmt(modified)
    stamp = modified if triggered else (delivery or "")
    return DeliveryKey(dedupe_key=f"{topic}:{order_id}:{stamp}", event_id=delivery,
                       webhook_id=webhook, resource_id=str(order_id),
                       triggered_at=triggered)


def _header_id(headers: Mapping[str, str], name: str) -> str | None:
    """An id header: absent, or printable ASCII that fits its column (MalformedPayload otherwise)."""
    if header(headers, name) is None:
        return None
    value = clean_header(headers, name, MAX_HEADER_ID_CHARS)
    if value is None:
        raise MalformedPayload(f"{name} is not a printable id of at most {MAX_HEADER_ID_CHARS} characters")
    return value


# --- reading the body ----------------------------------------------------------------------------------

def order_id_of(payload: Any) -> int:
    if not isinstance(payload, Mapping):
        raise MalformedPayload("payload is not a JSON object")
    return platform_id(payload.get("id"), "the order's id")


def parse_gmt(value: Any) -> dt.datetime | None:
    """A `*_gmt` date: `YYYY-MM-DDTHH:MM:SS` in UTC without an offset (§1.8)."""
    if value is None or value == "":
        return None
    try:
        parsed = dt.datetime.fromisoformat(str(value))
        return parsed.replace(tzinfo=dt.timezone.utc) if parsed.tzinfo is None else parsed.astimezone(dt.timezone.utc)
    except (ValueError, OverflowError) as exc:
        raise MalformedPayload(f"unparseable date {str(value)[:40]!r}") from exc


def money(value: Any) -> Decimal:
    """Money arrives as strings (`"29.35"`); an absent amount is zero."""
    if value is None or value == "":
        return Decimal("0")
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)) or len(str(value)) > 40:
        raise MalformedPayload("an amount is not a number")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise MalformedPayload(f"unparseable amount {str(value)[:40]!r}") from None
    if not amount.is_finite() or abs(amount) >= MAX_AMOUNT:
        raise MalformedPayload("an amount is not a finite number below 10**12")
    return amount


def text(data: Mapping[str, Any], key: str, limit: int = 255) -> str | None:
    """A text field (an email, a name, a phone): a string of at most `limit` characters, or None when empty."""
    value = data.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise MalformedPayload(f"{key} is not a string")
    if len(value) > limit:
        raise MalformedPayload(f"{key} is longer than {limit} characters")
    return value


def count(value: Any, what: str) -> int:
    """A quantity: an integer (WooCommerce may send it as a string); 0 when absent."""
    if value is None or value == "":
        return 0
    if isinstance(value, bool) or not isinstance(value, (int, str, Decimal)):
        raise MalformedPayload(f"{what} is not a number")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise MalformedPayload(f"{what} is not a number") from None
    if not number.is_finite() or number != number.to_integral_value() or abs(number) > 10**9:
        raise MalformedPayload(f"{what} is not a whole number")
    return int(number)


def rows(data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise MalformedPayload(f"{key} is not a list")
    return [row for row in value if isinstance(row, Mapping)]


def meta(data: Mapping[str, Any], key: str, default: Any = None) -> Any:
    """A `meta_data` value by key (the order's, a fulfillment's or a refund line's)."""
    return next((row.get("value") for row in rows(data, "meta_data") if row.get("key") == key), default)


def _section(payload: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = payload.get(key)
    return value if isinstance(value, Mapping) else {}


def status_of(payload: Mapping[str, Any]) -> str:
    status = payload.get("status")
    if not isinstance(status, str) or not status:
        raise MalformedPayload("order has no status")
    return status


def ships(payload: Mapping[str, Any]) -> bool:
    """Something to ship: a shipping line that is not local pickup (virtual orders have none)."""
    methods = [str(line.get("method_id") or "").split(":")[0] for line in rows(payload, "shipping_lines")]
    return any(method not in PICKUP_METHODS for method in methods)


# --- the order snapshot --------------------------------------------------------------------------------

def _line_item(row: Mapping[str, Any], requires_shipping: bool) -> LineItem:
    price = row.get("price")
    # REST names keep WordPress's HTML entities ("Ship Your Idea &ndash; ..."); templates escape on output.
    return LineItem(id=str(row.get("id")), title=html.unescape(str(row.get("name") or "")),
                    quantity=count(row.get("quantity"), "a line's quantity"), sku=text(row, "sku"),
                    price=None if price is None else money(price), requires_shipping=requires_shipping)


def _paid_like(paid: bool, refunded: bool, options: Options) -> str:
    return "partially_refunded" if refunded else "paid"


FinancialRule = Callable[[bool, bool, Options], str]

#: order status -> financial status (PAID_STATUSES of notifications/types.py make the planner confirm).
FINANCIAL_RULES: dict[str, FinancialRule] = {
    **{status: _paid_like for status in PAID_STATUSES},
    "on-hold": lambda paid, refunded, options: "authorized" if options.confirm_on_hold else "pending",
    "cancelled": lambda paid, refunded, options: "paid" if paid else "pending",
    "refunded": lambda paid, refunded, options: "refunded",
    "pending": lambda paid, refunded, options: "pending",
    "checkout-draft": lambda paid, refunded, options: "pending",
    "failed": lambda paid, refunded, options: "failed",
}


def _unknown_status(paid: bool, refunded: bool, options: Options) -> str:
    """A plugin's status: paid when WooCommerce recorded a payment."""
    return _paid_like(paid, refunded, options) if paid else "pending"


def financial_status(payload: Mapping[str, Any], options: Options = Options()) -> str:
    paid = bool(payload.get("date_paid_gmt") or payload.get("date_paid"))
    rule = FINANCIAL_RULES.get(status_of(payload), _unknown_status)
    return rule(paid, bool(rows(payload, "refunds")), options)


def _status_url(payload: Mapping[str, Any], options: Options) -> str | None:
    """My Account's "view order" page: only registered customers have one."""
    if not options.store_url or not payload.get("customer_id"):
        return None
    return f"{options.store_url.rstrip('/')}/my-account/view-order/{payload['id']}/"


def order_snapshot(payload: Mapping[str, Any], options: Options = Options()) -> OrderSnapshot:
    """The canonical order of one REST v3 order body."""
    order_id, status = order_id_of(payload), status_of(payload)
    billing, shipping = _section(payload, "billing"), _section(payload, "shipping")
    number = str(payload.get("number") or order_id)
    if len(number) > MAX_NUMBER_CHARS:
        raise MalformedPayload(f"the order number is longer than {MAX_NUMBER_CHARS} characters")
    modified = parse_gmt(payload.get("date_modified_gmt"))
    items = tuple(_line_item(row, ships(payload)) for row in rows(payload, "line_items"))
    currency = text(payload, "currency", 8)
    if not currency:
        raise MalformedPayload("order has no currency")
    return OrderSnapshot(
        id=str(order_id), name=f"#{number}", number=number, currency=currency,
        email=text(billing, "email"), phone=text(billing, "phone", 64) or text(shipping, "phone", 64),
        created_at=parse_gmt(payload.get("date_created_gmt")), updated_at=modified,
        cancelled_at=modified if status == "cancelled" else None, financial_status=financial_status(payload, options),
        customer_first_name=text(billing, "first_name"), customer_last_name=text(billing, "last_name"),
        status_url=_status_url(payload, options),
        subtotal=sum((money(row.get("subtotal")) for row in rows(payload, "line_items")), Decimal("0")),
        shipping=money(payload.get("shipping_total")), tax=money(payload.get("total_tax")),
        total=money(payload.get("total")), shipping_country=text(shipping, "country", 8) or text(billing, "country", 8),
        line_items=items,
    )


# --- state ---------------------------------------------------------------------------------------------

def _empty_state() -> dict[str, Any]:
    return {"status": None, "modified": None, "order": None, "refunds": [], "tracking": {}, "completed": None,
            "last_shipment": None, "delivered": False, "trashed": False, "fulfillment": None}


def _state(previous: Mapping[str, Any] | None) -> dict[str, Any]:
    """A private copy of the stored state with every field present."""
    return {**_empty_state(), **copy.deepcopy(dict(previous or {}))}


def _digest(snapshot: OrderSnapshot) -> str:
    text = json.dumps(jsonable(snapshot), sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def _is_older(modified: dt.datetime | None, state: Mapping[str, Any]) -> bool:
    stored = parse_gmt(state["modified"])
    return modified is not None and stored is not None and modified < stored


def needs(payload: Mapping[str, Any], previous: Mapping[str, Any] | None) -> Needs:
    """What the caller should read from the REST API before `normalize` (the body lacks refund details)."""
    old = _state(previous)
    if not isinstance(payload, Mapping):
        return Needs(False, False)
    unseen = {str(row.get("id")) for row in rows(payload, "refunds")} - set(old["refunds"])
    fulfillment = meta(payload, FULFILLMENT_META)
    return Needs(refunds=bool(unseen),
                 fulfillments=fulfillment in SHIPPED_FULFILLMENT and fulfillment != old["fulfillment"])


# --- shipments -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Place:
    """What a tracking link and a shipment's items need from the order."""

    order_id: str
    postcode: str
    country: str
    items: tuple[LineItem, ...]
    modified: dt.datetime | None


@dataclass(frozen=True)
class _Tracked:
    key: str  # "t:<tracking_id>" (Shipment Tracking / AST) or "f:<fulfillment id>" (core Fulfillments)
    number: str
    company: str | None
    url: str | None
    items: tuple[LineItem, ...]


def _place(payload: Mapping[str, Any], snapshot: OrderSnapshot) -> _Place:
    billing, shipping = _section(payload, "billing"), _section(payload, "shipping")
    return _Place(snapshot.id, str(shipping.get("postcode") or billing.get("postcode") or ""),
                  str(shipping.get("country") or billing.get("country") or ""), snapshot.line_items,
                  snapshot.updated_at)


def _tracking_key(row: Mapping[str, Any], number: str) -> str:
    return f"t:{row.get('tracking_id') or number}"


def _meta_tracking(row: Mapping[str, Any], place: _Place) -> _Tracked | None:
    """A raw `_wc_shipment_tracking_items` item: provider slug or custom provider and link (§3.2)."""
    number = str(row.get("tracking_number") or "").strip()
    if not number:
        return None
    custom, provider = str(row.get("custom_tracking_provider") or ""), str(row.get("tracking_provider") or "")
    link = row.get("custom_tracking_link") or carrier_link(provider, number, place.postcode, place.country)
    return _Tracked(_tracking_key(row, number), number, custom or (display_name(provider) if provider else None),
                    link or None, place.items)


def _rest_tracking(row: Mapping[str, Any], place: _Place) -> _Tracked | None:
    """A `shipment-trackings` REST item: provider display name and the link the store formatted."""
    number = str(row.get("tracking_number") or "").strip()
    if not number:
        return None
    provider = str(row.get("tracking_provider") or "")
    link = row.get("tracking_link") or carrier_link(provider, number, place.postcode, place.country)
    return _Tracked(_tracking_key(row, number), number, provider or None, link or None, place.items)


def _fulfilled_items(raw: Any, order_items: tuple[LineItem, ...]) -> tuple[LineItem, ...]:
    """A fulfillment's `_items` ([{item_id, qty}]) as order line items; all of them when it names none."""
    by_id = {item.id: item for item in order_items}
    picked = [dataclasses.replace(by_id[str(row.get("item_id"))], quantity=count(row.get("qty"), "a fulfilled qty"))
              for row in (raw if isinstance(raw, list) else []) if isinstance(row, Mapping)
              and str(row.get("item_id")) in by_id]
    return tuple(picked) or order_items


def _fulfillment(row: Mapping[str, Any], place: _Place) -> _Tracked | None:
    """A core fulfillment that is fulfilled (drafts are `unfulfilled`) and not deleted (§3.1)."""
    if not row.get("is_fulfilled") or row.get("date_deleted") or row.get("id") is None:
        return None
    number = str(meta(row, "_tracking_number") or "").strip()
    provider = str(meta(row, "_shipment_provider") or "")
    link = meta(row, "_tracking_url") or carrier_link(provider, number, place.postcode, place.country)
    return _Tracked(f"f:{row['id']}", number, display_name(provider) if provider else None, link or None,
                    _fulfilled_items(meta(row, "_items"), place.items))


def _collect(parse: Callable[[Mapping[str, Any], _Place], _Tracked | None], found: Any,
             place: _Place) -> dict[str, _Tracked]:
    rows = found if isinstance(found, (list, tuple)) else ()
    items = (parse(row, place) for row in rows if isinstance(row, Mapping))
    return {item.key: item for item in items if item}


def _current_shipments(payload: Mapping[str, Any], extras: Extras,
                       place: _Place) -> tuple[dict[str, _Tracked], set[str]]:
    """Tracked shipments now, and the sources read (a source not read says nothing about what vanished)."""
    raw_meta = meta(payload, TRACKING_META, _ABSENT)
    known = {"t:"} if raw_meta is not _ABSENT or extras.trackings is not None else set()
    current = _collect(_meta_tracking, raw_meta, place)
    current.update(_collect(_rest_tracking, extras.trackings, place))  # the store's own formatted link wins
    if extras.fulfillments is not None:
        known.add("f:")
        current.update(_collect(_fulfillment, extras.fulfillments, place))
    return current, known


def _shipment_id(order_id: str, key: str) -> str:
    candidate = f"{order_id}:{key}"
    if len(candidate) <= MAX_SHIPMENT_ID:
        return candidate
    return f"{order_id}:{key[:2]}{hashlib.sha256(key.encode('utf-8')).hexdigest()[:32]}"


def _claim_id(place: _Place, key: str, heirs: list[str], state: dict[str, Any]) -> str:
    """A new item's shipment id: a vanished item's (ST/AST change a number by delete + add), else the
    no-tracking "completed" shipment's (so the shopper gets a shipping_update with the link), else its own."""
    if heirs:
        return heirs.pop(0)
    if state["completed"] == "announced":
        state["completed"] = "inherited"
        return f"{place.order_id}:completed"
    return _shipment_id(place.order_id, key)


def _same(stored: Mapping[str, Any], item: _Tracked) -> bool:
    return stored.get("number") == item.number and slug(stored.get("company") or "") == slug(item.company or "")


def _shipment(shipment_id: str, place: _Place, item: _Tracked | None) -> ShipmentSnapshot:
    return ShipmentSnapshot(
        id=shipment_id, order_id=place.order_id, status="success", tracking_company=item.company if item else None,
        tracking_numbers=(item.number,) if item and item.number else (),
        tracking_urls=(item.url,) if item and item.url else (),
        line_items=item.items if item else place.items, updated_at=place.modified,
    )


def _announce(state: dict[str, Any], shipment: ShipmentSnapshot) -> ShipmentUpdated:
    state["last_shipment"] = shipment.id
    return ShipmentUpdated(shipment)


def _tracking_events(current: dict[str, _Tracked], known: set[str], place: _Place,
                     state: dict[str, Any]) -> list[Event]:
    """One ShipmentUpdated per new or changed tracked shipment."""
    tracked: dict[str, Any] = state["tracking"]
    vanished = [key for key in tracked if key[:2] in known and key not in current]
    heirs = [tracked.pop(key)["id"] for key in vanished]
    events: list[Event] = []
    for key, item in current.items():
        stored = tracked.get(key)
        if stored and _same(stored, item):
            continue
        shipment_id = stored["id"] if stored else _claim_id(place, key, heirs, state)
        tracked[key] = {"id": shipment_id, "number": item.number, "company": item.company}
        events.append(_announce(state, _shipment(shipment_id, place, item)))
    return events


def _completed_event(place: _Place, state: dict[str, Any]) -> Event:
    """The shipping confirmation of an order completed without tracking."""
    state["completed"] = "announced"
    return _announce(state, _shipment(f"{place.order_id}:completed", place, None))


def _delivered_events(place: _Place, state: dict[str, Any]) -> list[Event]:
    """AST's `delivered` status: a carrier event on the latest shipment (announcing one if none was)."""
    state["delivered"] = True
    events: list[Event] = [] if state["last_shipment"] else [_completed_event(place, state)]
    update = CarrierUpdate(id=f"{place.order_id}:delivered", shipment_id=state["last_shipment"],
                           order_id=place.order_id, status="delivered", happened_at=place.modified)
    return [*events, CarrierEventReceived(update)]


def _shipment_events(payload: Mapping[str, Any], status: str, extras: Extras, place: _Place,
                     state: dict[str, Any]) -> list[Event]:
    current, known = _current_shipments(payload, extras, place)
    events = _tracking_events(current, known, place, state)
    if status == "completed" and ships(payload) and not state["last_shipment"]:
        events.append(_completed_event(place, state))
    if status == "delivered" and not state["delivered"]:
        events += _delivered_events(place, state)
    return events


# --- refunds -------------------------------------------------------------------------------------------

def _refund_item(row: Mapping[str, Any], requires_shipping: bool) -> LineItem:
    """A refund line (negative quantity and price) named by the order line it refunds (`_refunded_item_id`)."""
    item = _line_item(row, requires_shipping)
    refunded_id = meta(row, "_refunded_item_id")
    return dataclasses.replace(item, id=str(refunded_id or item.id), quantity=abs(item.quantity),
                               price=None if item.price is None else abs(item.price))


def _refund(row: Mapping[str, Any], detail: Mapping[str, Any] | None, snapshot: OrderSnapshot,
            requires_shipping: bool) -> RefundSnapshot:
    detail = detail or {}
    note = row.get("reason") or row.get("refund") or None  # the docs' example spells the key "refund"
    return RefundSnapshot(
        id=str(row["id"]), order_id=snapshot.id, amount=abs(money(row.get("total"))), currency=snapshot.currency,
        note=note, created_at=parse_gmt(detail.get("date_created_gmt")) or snapshot.updated_at,
        line_items=tuple(_refund_item(item, requires_shipping) for item in rows(detail, "line_items")),
    )


def _refund_events(payload: Mapping[str, Any], snapshot: OrderSnapshot, extras: Extras,
                   state: dict[str, Any]) -> list[Event]:
    """A RefundCreated per refund id not seen before, oldest (lowest id) first."""
    details = {str(r.get("id")): r for r in extras.refunds or () if isinstance(r, Mapping)}
    fresh = [row for row in rows(payload, "refunds") if row.get("id") is not None
             and str(row["id"]) not in state["refunds"]]
    fresh.sort(key=lambda row: (len(str(row["id"])), str(row["id"])))
    state["refunds"] += [str(row["id"]) for row in fresh]
    return [RefundCreated(_refund(row, details.get(str(row["id"])), snapshot, ships(payload))) for row in fresh]


# --- normalize -----------------------------------------------------------------------------------------

def _order_events(snapshot: OrderSnapshot, status: str, old: Mapping[str, Any], new: dict[str, Any]) -> list[Event]:
    new["order"] = _digest(snapshot)
    if status == "cancelled":
        return [] if old["status"] == "cancelled" else [OrderCancelled(snapshot)]
    return [OrderUpdated(snapshot)] if new["order"] != old["order"] else []


def _diff(payload: Mapping[str, Any], previous: Mapping[str, Any] | None, options: Options,
          extras: Extras) -> Normalized:
    old = _state(previous)
    modified = parse_gmt(payload.get("date_modified_gmt"))
    if _is_older(modified, old):
        return Normalized([], None)
    status, snapshot = status_of(payload), order_snapshot(payload, options)
    new = {**copy.deepcopy(old), "status": status, "trashed": False,
           "modified": modified.isoformat() if modified else old["modified"]}
    if status in IGNORED_STATUSES:
        return Normalized([], new)
    events = _order_events(snapshot, status, old, new)
    if status not in NO_SHIPMENT_STATUSES:
        events += _shipment_events(payload, status, extras, _place(payload, snapshot), new)
    events += _refund_events(payload, snapshot, extras, new)
    if extras.fulfillments is not None:
        new["fulfillment"] = meta(payload, FULFILLMENT_META)
    return Normalized(events, new)


def _trashed(payload: Mapping[str, Any], previous: Mapping[str, Any] | None, options: Options,
             extras: Extras) -> Normalized:
    """`order.deleted` (body `{"id": N}`): nothing to tell the shopper; remember the order is in the trash."""
    return Normalized([], {**_state(previous), "trashed": True})


Handler = Callable[[Mapping[str, Any], "Mapping[str, Any] | None", Options, Extras], Normalized]

#: topic -> how its body becomes events. Topics not here are acknowledged and ignored.
NORMALIZERS: dict[str, Handler] = {
    "order.created": _diff,
    "order.updated": _diff,
    "order.restored": _diff,
    "order.deleted": _trashed,
}


def normalize(topic: str, payload: Any, previous: Mapping[str, Any] | None = None,
              options: Options = Options(), extras: Extras = Extras()) -> Normalized:
    """The canonical events one delivery means, given the state stored after the last one."""
    order_id_of(payload)
    handler = NORMALIZERS.get(topic)
    return handler(payload, previous, options, extras) if handler else Normalized([], None)


__all__ = [
    "PLATFORM", "HANDLED_TOPICS", "Options", "Extras", "Needs", "Normalized", "verify", "is_ping",
    "delivery_key", "needs", "normalize", "order_snapshot", "carrier_link",
]
