"""The WooCommerce poller: what the webhooks did not bring, read back from the store.

WooCommerce never retries a failed delivery and disables a webhook after repeated failures; adding
tracking with Shipment Tracking may fire no webhook at all (research/woocommerce.md §1.7, §3.2). So every
RECONCILE_INTERVAL seconds each connected store gets one job that:
- re-enables (or re-creates) its webhooks;
- pages through the orders modified since the store's cursor, oldest change first, each through the
  same path a webhook takes (the state diff makes an order already delivered produce nothing);
- reads the tracking items of recent open orders and applies the order when there are any.
A store that cannot be reached is recorded on the shop and shown to the merchant; the cursor stays put.
Every call goes through the outbound client (`woo_store.access`), so a store whose name later resolves to a
private address is refused on every pass too, and the merchant reads why.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import select

from connectors import woocommerce_api
from connectors.base import ConnectorError
from integration.db.database import utcnow
from integration.db.models import OrderState, Shop
from integration.runtime import cursors, extensions
from integration.woocommerce import store as woo_store

log = logging.getLogger(__name__)

#: re-read this much before the cursor: a store's clock and its writes are not ours.
OVERLAP = dt.timedelta(minutes=5)
#: order statuses still waiting to ship, whose tracking is read even without a webhook.
OPEN_STATUSES = frozenset({"processing", "on-hold", "partial-shipped"})
#: how far back an open order's tracking is still looked for.
TRACKING_WINDOW = dt.timedelta(days=30)
MAX_PAGES = 100


def _gmt(value: Any) -> dt.datetime | None:
    try:
        parsed = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed.replace(tzinfo=dt.timezone.utc) if parsed.tzinfo is None else parsed


def _start(shop: Shop) -> dt.datetime:
    """The cursor, or the connection on a store's first run, less the overlap."""
    return (shop.reconciled_until or shop.created_at) - OVERLAP


def _advance(shop_id: int, orders: list[dict[str, Any]]) -> None:
    cursors.advance(shop_id, max((t for t in (_gmt(o.get("date_modified_gmt")) for o in orders) if t), default=None))


def poll_orders(shop_id: int, store: woocommerce_api.StoreAccess, since: dt.datetime) -> tuple[int, int]:
    """Orders modified since `since`, page by page; (orders read, messages planned)."""
    query = {"modified_after": since.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"),
             "dates_are_gmt": "true", "orderby": "modified", "order": "asc"}
    orders = planned = 0
    for page in woocommerce_api.pages(store, "orders", query, max_pages=MAX_PAGES):
        planned += sum(len(woo_store.apply_order(shop_id, order)) for order in page)
        orders += len(page)
        _advance(shop_id, page)
    return orders, planned


def open_orders(shop_id: int) -> list[str]:
    """Recent orders whose stored state says they are still waiting to ship."""
    since = utcnow() - TRACKING_WINDOW
    with extensions.db().session() as session:
        rows = session.execute(select(OrderState.order_key, OrderState.state).where(
            OrderState.shop_id == shop_id, OrderState.updated_at >= since)).all()
    waiting = [key for key, state in rows if (state or {}).get("status") in OPEN_STATUSES]
    return waiting[: extensions.config("WOO_TRACKING_CHECKS")]


def poll_tracking(shop_id: int, store: woocommerce_api.StoreAccess) -> int:
    """Tracking added without a webhook: read open orders' tracking items; apply those that have some."""
    planned = 0
    for order_id in open_orders(shop_id):
        try:
            items = woocommerce_api.get(store, f"orders/{order_id}/shipment-trackings",
                                        version=woocommerce_api.TRACKING_API)
        except woocommerce_api.StoreRefused as exc:
            if exc.status == 404:  # no Shipment Tracking plugin on this store (or the order is gone)
                log.info("shop %s: no shipment tracking for order %s", shop_id, order_id)
                return planned
            raise
        if items:
            order = woocommerce_api.get(store, f"orders/{order_id}")
            planned += len(woo_store.apply_order(shop_id, order, trackings=tuple(items)))
    return planned


def check_webhooks(shop_id: int) -> None:
    webhook_ids = woo_store.ensure_webhooks(woo_store.load_shop(shop_id))
    with extensions.db().session() as session:
        session.get(Shop, shop_id).webhook_ids = webhook_ids


#: why a poll stopped -> what the merchant reads (the first that matches).
POLL_ERRORS: tuple[tuple[type[ConnectorError], str], ...] = (
    (woocommerce_api.StoreOffLimitsError, "Aftercare stopped calling your store ({}), so missed orders "
                                          "cannot be caught up"),
    (ConnectorError, "Your store could not be reached, so missed orders cannot be caught up: {}"),
)


def _poll_error(exc: ConnectorError) -> str:
    return next(text.format(exc) for kind, text in POLL_ERRORS if isinstance(exc, kind))


def reconcile_woocommerce(shop_id: int) -> str:
    """RQ job: webhooks, missed orders, unannounced tracking."""
    shop = woo_store.load_shop(shop_id)
    try:
        store = woo_store.access(shop)
    except woo_store.StoreNotConnected:
        return "not connected"
    since = _start(shop)
    try:
        check_webhooks(shop_id)
        orders, planned = poll_orders(shop_id, store, since)
        planned += poll_tracking(shop_id, store)
    except ConnectorError as exc:
        cursors.record(shop_id, _poll_error(exc))
        log.warning("shop %s: store poll stopped: %s", shop_id, exc)
        return "unreachable"
    cursors.record(shop_id, None)
    log.info("shop %s: polled %d orders, %d messages planned", shop_id, orders, planned)
    return f"polled {orders} orders, planned {planned} messages"
