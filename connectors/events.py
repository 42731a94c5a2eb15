"""The canonical event model: what every platform's payloads become. Pure data, no I/O."""
from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Union


@dataclass(frozen=True)
class LineItem:
    id: str
    title: str
    quantity: int
    variant_title: str | None = None
    sku: str | None = None
    price: Decimal | None = None
    requires_shipping: bool = True


@dataclass(frozen=True)
class OrderSnapshot:
    id: str
    name: str
    currency: str
    number: str | None = None
    email: str | None = None
    phone: str | None = None
    locale: str | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    cancelled_at: dt.datetime | None = None
    cancel_reason: str | None = None
    financial_status: str | None = None
    customer_first_name: str | None = None
    customer_last_name: str | None = None
    status_url: str | None = None
    subtotal: Decimal | None = None
    shipping: Decimal | None = None
    tax: Decimal | None = None
    total: Decimal | None = None
    shipping_country: str | None = None
    line_items: tuple[LineItem, ...] = ()
    test: bool = False


@dataclass(frozen=True)
class ShipmentSnapshot:
    id: str
    order_id: str
    status: str
    name: str | None = None
    carrier_status: str | None = None
    tracking_company: str | None = None
    tracking_numbers: tuple[str, ...] = ()
    tracking_urls: tuple[str, ...] = ()
    line_items: tuple[LineItem, ...] = ()
    updated_at: dt.datetime | None = None
    estimated_delivery_at: dt.datetime | None = None


@dataclass(frozen=True)
class CarrierUpdate:
    id: str
    shipment_id: str
    order_id: str
    status: str
    happened_at: dt.datetime | None = None
    message: str | None = None
    estimated_delivery_at: dt.datetime | None = None
    city: str | None = None
    province: str | None = None
    country: str | None = None


@dataclass(frozen=True)
class RefundSnapshot:
    id: str
    order_id: str
    amount: Decimal
    currency: str | None = None
    note: str | None = None
    created_at: dt.datetime | None = None
    line_items: tuple[LineItem, ...] = ()


# The canonical events. Each names what happened; the snapshot says what is known now.

@dataclass(frozen=True)
class OrderUpdated:
    order: OrderSnapshot


@dataclass(frozen=True)
class OrderCancelled:
    order: OrderSnapshot


@dataclass(frozen=True)
class ShipmentUpdated:
    shipment: ShipmentSnapshot


@dataclass(frozen=True)
class CarrierEventReceived:
    update: CarrierUpdate


@dataclass(frozen=True)
class RefundCreated:
    refund: RefundSnapshot


@dataclass(frozen=True)
class AppUninstalled:
    """The merchant removed the app: stop sending for the shop at once, drop its tokens."""

    shop_id: str | None = None


@dataclass(frozen=True)
class CustomerRedactRequested:
    """Erase a customer's personal data (and these orders') from everything held."""

    customer_id: str | None
    email: str | None
    phone: str | None
    order_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class CustomerDataRequested:
    """Give the merchant an export of what is held about a customer."""

    request_id: str | None
    customer_id: str | None
    email: str | None
    phone: str | None
    order_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class ShopRedactRequested:
    """Erase the shop's data (48 hours after an uninstall)."""

    shop_id: str | None = None


@dataclass(frozen=True)
class ShopUpdated:
    """The merchant changed the shop's settings; `facts` is what the webhook says now."""

    facts: Any


Event = Union[OrderUpdated, OrderCancelled, ShipmentUpdated, CarrierEventReceived, RefundCreated,
              AppUninstalled, CustomerRedactRequested, CustomerDataRequested, ShopRedactRequested, ShopUpdated]


def jsonable(value: Any) -> Any:
    """Dataclasses, decimals and datetimes as JSON-ready values (decimals as exact strings)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value


def describe(event: Event) -> dict[str, Any]:
    """An event as a plain dict with its kind: what tests assert and the activity log shows."""
    return {"kind": type(event).__name__, **jsonable(event)}
