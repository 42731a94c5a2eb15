"""Shopify's reconciliation: what the webhooks missed, read back from the Admin API and fed through planning.

Shopify does not promise delivery ("implement reconciliation jobs", research/shopify.md): every
RECONCILE_INTERVAL seconds each active shop's orders updated since its cursor are paged through the
GraphQL Admin API (oldest change first) and turned into the same canonical events a webhook gives.
The ledger keeps what was already planned from being planned again, so an order the webhooks did
deliver produces nothing new. The cursor moves after each page; a run that stops half way resumes
from there, re-reading a few minutes of overlap.

The same reading fetches a parent order that a webhook referred to before its own webhook came.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from connectors import shopify_api, shopify_orders
from connectors.base import ConnectorError
from integration.db.models import Shop
from integration.runtime import cursors, extensions
from integration.shopify import tokens as shopify_tokens
from notifications import planning
from notifications.jobs import enqueue_messages

log = logging.getLogger(__name__)

#: each run re-reads this much before the cursor: search indexes lag behind writes a little.
OVERLAP = dt.timedelta(minutes=5)
#: pages read per run at most; the next run goes on from the cursor.
MAX_PAGES = 250


class ReconcileUnavailable(Exception):
    """The shop cannot be read now (no token, or the API refused); recorded on the shop."""


def _http_client(http_client: Any) -> Any:
    return http_client or extensions.current_config().get("SHOPIFY_HTTP_CLIENT")


def _graphql(shop_id: int, domain: str, query: str, variables: dict[str, Any], http_client: Any) -> dict[str, Any]:
    client = _http_client(http_client)
    try:
        token = shopify_tokens.access_token(extensions.db(), extensions.current_config(), shop_id, client)
        return shopify_api.graphql(domain, token, query, extensions.config("SHOPIFY_API_VERSION"),
                                   variables=variables, http_client=client)
    except (shopify_tokens.TokenUnavailable, shopify_tokens.TokenRefreshFailed, ConnectorError) as exc:
        raise ReconcileUnavailable(str(exc)) from exc


def apply_order(shop_id: int, node: dict[str, Any]) -> list[int]:
    """One order node through planning, in its own transaction; the ledger rows newly claimed."""
    events = shopify_orders.order_events(node)
    with extensions.db().session() as session:
        shop = session.get(Shop, shop_id)
        message_ids = planning.apply_events(session, shop, None, events, planning.HANDLERS)
    enqueue_messages(message_ids)
    return message_ids


def _start(shop: Shop) -> dt.datetime:
    """Where a run begins: the cursor less the overlap, or the install on a shop's first run."""
    return shop.reconciled_until - OVERLAP if shop.reconciled_until else shop.created_at


def _advance(shop_id: int, nodes: list[dict[str, Any]]) -> None:
    cursors.advance(shop_id, max((t for t in map(shopify_orders.node_updated_at, nodes) if t), default=None))


def reconcile_shopify(shop_id: int, http_client: Any = None) -> str:
    """RQ job: page through the shop's orders updated since its cursor."""
    with extensions.db().session() as session:
        shop = session.get(Shop, shop_id)
        domain, since = shop.domain, _start(shop)
    variables: dict[str, Any] = {"first": shopify_orders.PAGE_SIZE, "after": None,
                                 "query": shopify_orders.updated_since(since)}
    orders = planned = 0
    try:
        for _ in range(MAX_PAGES):
            page = shopify_orders.orders_page(_graphql(shop_id, domain, shopify_orders.ORDERS_QUERY, variables,
                                                       http_client))
            planned += sum(len(apply_order(shop_id, node)) for node in page.nodes)
            orders += len(page.nodes)
            _advance(shop_id, page.nodes)
            if not page.has_next:
                break
            variables["after"] = page.end_cursor
    except ReconcileUnavailable as exc:
        cursors.record(shop_id, f"could not read orders from Shopify: {exc}")
        log.warning("shop %s: reconciliation stopped: %s", shop_id, exc)
        return "unavailable"
    cursors.record(shop_id, None)
    log.info("shop %s: reconciled %d orders, %d messages planned", shop_id, orders, planned)
    return f"reconciled {orders} orders, planned {planned} messages"


def fetch_shopify_order(shop_id: int, order_id: str, http_client: Any = None) -> bool:
    """Read one order (with its fulfillments and refunds) and apply it; False if it cannot be read."""
    with extensions.db().session() as session:
        domain = session.get(Shop, shop_id).domain
    try:
        data = _graphql(shop_id, domain, shopify_orders.ORDER_QUERY,
                        {"id": shopify_orders.order_gid(order_id)}, http_client)
    except ReconcileUnavailable as exc:
        log.info("shop %s: order %s could not be fetched: %s", shop_id, order_id, exc)
        return False
    node = data.get("order")
    if not node:
        return False
    apply_order(shop_id, node)
    log.info("shop %s: order %s fetched from the API", shop_id, order_id)
    return True
