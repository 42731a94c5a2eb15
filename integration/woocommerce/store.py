"""A connected WooCommerce store: its REST access, its facts, its webhooks, and the one path its orders take.

Every order body (a webhook's or the poller's) goes through `order_events`: the stored state of the order
is read, the REST reads the connector asks for (refunds for line detail, core fulfillments) are made
before anything is written, then the state row is locked, the connector diffs the new body against it,
and the new state is stored in the same transaction as the planned messages.
"""
from __future__ import annotations

import logging
import re
import secrets
from typing import Any
from urllib.parse import urlsplit

from rq import Retry
from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors import woocommerce, woocommerce_api
from connectors.base import ConnectorError
from connectors.events import Event
from integration.db.database import insert_ignore, utcnow
from integration.db.models import Delivery, OrderState, Shop
from integration.runtime import crypto, cursors, extensions, links, outbound
from notifications import planning
from notifications.jobs import enqueue_messages

log = logging.getLogger(__name__)

#: the topics Aftercare subscribes each store to (research/woocommerce.md §8.4).
WEBHOOK_TOPICS = ("order.created", "order.updated", "order.deleted", "order.restored")
#: WordPress page slugs of the policies WooCommerce and WordPress create by default -> help-link key.
POLICY_PAGES = {"refund_returns": "returns", "privacy-policy": "privacy", "shipping": "shipping",
                "shipping-policy": "shipping", "contact": "contact"}


class StoreNotConnected(Exception):
    """The shop has no usable REST keys (never connected, or disconnected)."""


def domain_of(store_url: str) -> str:
    """The store's identity: host and path, lowercased, without scheme or trailing slash."""
    parts = urlsplit(store_url.strip())
    return (parts.netloc + parts.path).lower().rstrip("/")


def webhook_address(shop_id: int) -> str:
    return f"{extensions.config('APP_URL')}/webhooks/woocommerce/{shop_id}"


def access(shop: Shop) -> woocommerce_api.StoreAccess:
    if not (shop.consumer_key_encrypted and shop.consumer_secret_encrypted and shop.storefront_url):
        raise StoreNotConnected(f"shop {shop.id} has no WooCommerce keys")
    keys = extensions.config("ENCRYPTION_KEYS")
    return woocommerce_api.StoreAccess(
        url=shop.storefront_url, consumer_key=crypto.decrypt(keys, shop.consumer_key_encrypted),
        consumer_secret=crypto.decrypt(keys, shop.consumer_secret_encrypted), session=outbound.session(),
        timeout=extensions.config("WOO_TIMEOUT"), retries=extensions.config("WOO_RETRIES"),
        backoff=extensions.config("WOO_BACKOFF"), user_agent=f"Aftercare/1.0 (+{extensions.config('APP_URL')})")


def store_keys(shop: Shop, consumer_key: str, consumer_secret: str, store_url: str) -> None:
    """Keep the REST keys encrypted; a webhook secret and a link secret are generated once."""
    keys = extensions.config("ENCRYPTION_KEYS")
    shop.consumer_key_encrypted = crypto.encrypt(keys, consumer_key)
    shop.consumer_secret_encrypted = crypto.encrypt(keys, consumer_secret)
    shop.storefront_url = store_url.rstrip("/") + "/"
    if not shop.webhook_secret_encrypted:
        # alphanumeric: WooCommerce runs the secret through wp_specialchars_decode (research §1.5)
        shop.webhook_secret_encrypted = crypto.encrypt(keys, secrets.token_hex(24))
    if not shop.link_secret_encrypted:
        shop.link_secret_encrypted = crypto.encrypt(keys, secrets.token_urlsafe(32))


def secret(shop: Shop, column: str) -> str | None:
    value = getattr(shop, column)
    return crypto.decrypt(extensions.config("ENCRYPTION_KEYS"), value) if value else None


def options(shop: Shop) -> woocommerce.Options:
    return woocommerce.Options(confirm_on_hold=bool(shop.confirm_on_hold), store_url=shop.storefront_url)


# --- the order path -------------------------------------------------------------------------------

def _stored_state(session: Session, shop_id: int, order_key: str, lock: bool) -> OrderState | None:
    query = select(OrderState).where(OrderState.shop_id == shop_id, OrderState.order_key == order_key)
    return session.scalar(query.with_for_update() if lock else query)


def _locked_state(session: Session, shop_id: int, order_key: str) -> OrderState:
    insert_ignore(session, OrderState, {"shop_id": shop_id, "order_key": order_key, "state": {},
                                        "updated_at": utcnow()})
    row = _stored_state(session, shop_id, order_key, lock=True)
    assert row is not None
    return row


def fetch_extras(shop: Shop, payload: Any, previous: dict[str, Any] | None,
                 trackings: tuple[Any, ...] | None = None) -> woocommerce.Extras:
    """The REST reads the connector asks for; without them the events still go, with less detail."""
    needs = woocommerce.needs(payload, previous)
    order_id = payload.get("id")
    reads = {"refunds": needs.refunds, "fulfillments": needs.fulfillments}
    found: dict[str, Any] = {"trackings": trackings}
    for name, wanted in reads.items():
        if wanted:
            found[name] = _read_list(shop, f"orders/{order_id}/{name}")
    return woocommerce.Extras(**found)


def _read_list(shop: Shop, endpoint: str) -> tuple[Any, ...] | None:
    try:
        items = woocommerce_api.get(access(shop), endpoint)
    except (ConnectorError, StoreNotConnected) as exc:
        log.info("shop %s: %s not read (%s); going on without it", shop.id, endpoint, exc)
        return None
    return tuple(items) if isinstance(items, list) else None


def order_events(session: Session, shop: Shop, topic: str, payload: Any,
                 trackings: tuple[Any, ...] | None = None) -> list[Event]:
    """Diff the body against the stored state of its order; store the new state; the events."""
    order_key = str(payload.get("id")) if isinstance(payload, dict) else ""
    if not order_key:
        return woocommerce.normalize(topic, payload).events  # raises MalformedPayload
    stored = _stored_state(session, shop.id, order_key, lock=False)
    extras = fetch_extras(shop, payload, (stored.state or None) if stored else None, trackings)
    row = _locked_state(session, shop.id, order_key)
    result = woocommerce.normalize(topic, payload, row.state or None, options(shop), extras)
    if result.state is not None:
        row.state, row.updated_at = result.state, utcnow()
    return result.events


def delivery_events(session: Session, shop: Shop, delivery: Delivery, payload: Any) -> list[Event]:
    return order_events(session, shop, delivery.topic, payload)


def apply_order(shop_id: int, payload: Any, trackings: tuple[Any, ...] | None = None) -> list[int]:
    """An order read from the REST API, through the same path as a webhook's (the poller, a parent fetch)."""
    with extensions.db().session() as session:
        shop = session.get(Shop, shop_id)
        events = order_events(session, shop, "order.updated", payload, trackings)
        message_ids = planning.apply_events(session, shop, None, events, planning.HANDLERS)
    enqueue_messages(message_ids)
    return message_ids


def load_shop(shop_id: int) -> Shop:
    """The shop as stored, read in a short transaction: calls to the store are made outside any."""
    with extensions.db().session() as session:
        return session.get(Shop, shop_id)


def fetch_order(shop_id: int, order_id: str) -> bool:
    """Read one order and apply it (a refund or shipment whose order is not stored yet)."""
    try:
        payload = woocommerce_api.get(access(load_shop(shop_id)), f"orders/{order_id}")
    except (ConnectorError, StoreNotConnected) as exc:
        log.info("shop %s: order %s could not be fetched: %s", shop_id, order_id, exc)
        return False
    apply_order(shop_id, payload)
    return True


# --- facts and webhooks ---------------------------------------------------------------------------

#: the site's RSS feed, whose channel states the site's language.
FEED = "feed/"
LANGUAGE = re.compile(r"<language>\s*([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8}){0,3})\s*</language>")
#: shop fact -> the longest value its column holds (a store's answer is not trusted to fit).
FACT_LENGTHS = {"currency": 3, "locale": 20, "name": 255, "timezone": 64}


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _policy_links(pages: Any) -> dict[str, Any]:
    found = [p for p in (pages if isinstance(pages, list) else []) if isinstance(p, dict)]
    return {POLICY_PAGES[p["slug"]]: p.get("link") for p in found if p.get("slug") in POLICY_PAGES}


def site_language(store: woocommerce_api.StoreAccess) -> str | None:
    """The site's language as its RSS feed states it (`<language>`, WordPress's `get_bloginfo('language')`, e.g.
    fr-FR); None when the site has no feed or states none. A cheap public page: the REST API tells the language
    only in `system_status`, which makes the store call out to other services."""
    try:
        feed = woocommerce_api.public_text(store, FEED)
    except woocommerce_api.StoreRefused as exc:
        log.info("store %s: no feed to read the language from (%s)", domain_of(store.url), exc)
        return None
    found = LANGUAGE.search(feed)
    return found.group(1).replace("_", "-") if found else None


def read_facts(shop: Shop) -> dict[str, Any]:
    """Currency (`data/currencies/current`), language (the site's feed), name and time zone (the site index),
    policy pages: cheap reads, none of which makes the store call anywhere else."""
    store = access(shop)
    currency = _object(woocommerce_api.get(store, woocommerce_api.CURRENT_CURRENCY))
    index = _object(woocommerce_api.public_get(store, "", {"_fields": "name,timezone_string"}))
    pages = woocommerce_api.public_get(store, "wp/v2/pages", {"slug": ",".join(POLICY_PAGES),
                                                              "_fields": "slug,link"})
    return {
        "currency": currency.get("code"),
        "locale": site_language(store),
        "name": index.get("name"),
        "timezone": index.get("timezone_string") or None,
        "help_links": _policy_links(pages),
    }


def apply_facts(shop: Shop, facts: dict[str, Any]) -> None:
    """The store's facts that are text of a length their column holds; policy links that are web links."""
    for name, longest in FACT_LENGTHS.items():
        value = facts.get(name)
        if isinstance(value, str) and 0 < len(value) <= longest:
            setattr(shop, name, value)
    shop.help_links = {**links.web_links(facts.get("help_links")), **(shop.help_links or {})}


def refresh_facts(shop_id: int) -> str:
    """RQ job (daily): the store's currency, language, time zone and policy pages may have changed."""
    facts = read_facts(load_shop(shop_id))
    with extensions.db().session() as session:
        apply_facts(session.get(Shop, shop_id), facts)
    log.info("shop %s: store facts refreshed", shop_id)
    return "refreshed"


def ensure_webhooks(shop: Shop) -> dict[str, int]:
    """Each topic's webhook exists, points at this app, carries our secret and is active."""
    store, address = access(shop), webhook_address(shop.id)
    existing = {hook["topic"]: hook for page in woocommerce_api.pages(store, "webhooks", {"status": "all"})
                for hook in page if hook.get("delivery_url") == address}
    ids = {}
    for topic in WEBHOOK_TOPICS:
        ids[topic] = _ensure_webhook(shop, store, topic, existing.get(topic), address)
    return ids


def _ensure_webhook(shop: Shop, store: woocommerce_api.StoreAccess, topic: str, hook: dict[str, Any] | None,
                    address: str) -> int:
    if hook is None:
        created = woocommerce_api.post(store, "webhooks", {
            "name": f"Aftercare {topic}", "topic": topic, "delivery_url": address,
            "secret": secret(shop, "webhook_secret_encrypted"), "status": "active"})
        log.info("shop %s: webhook %s created for %s", shop.id, created.get("id"), topic)
        return int(created["id"])
    if hook.get("status") != "active":
        # WooCommerce disables a webhook after repeated failed deliveries and never retries (research §1.7)
        woocommerce_api.put(store, f"webhooks/{hook['id']}", {"status": "active"})
        log.info("shop %s: webhook %s (%s) was %s; re-enabled", shop.id, hook["id"], topic, hook.get("status"))
    return int(hook["id"])


SETUP_RETRY = Retry(max=5, interval=[30, 120, 600, 1800, 3600])


def enqueue_setup(shop_id: int) -> None:
    """The set-up job for a store that may start (admitted at connection, or approved by the operator)."""
    extensions.queue("aftercare-maintenance").enqueue(setup, shop_id, job_id=f"woo-setup-{shop_id}",
                                                      retry=SETUP_RETRY, job_timeout=300)


def setup(shop_id: int) -> str:
    """RQ job once a store is admitted (and again after an approval): read its facts, create the webhooks.

    A store the outbound rules refuse (its address turned private, say) is not retried: the merchant sees why.
    """
    shop = load_shop(shop_id)
    if shop is None or shop.status != "active":
        return "not active"
    try:
        facts, webhook_ids = read_facts(shop), ensure_webhooks(shop)
    except woocommerce_api.StoreOffLimitsError as exc:
        cursors.record(shop_id, f"Aftercare stopped calling your store: {exc}")
        log.warning("shop %s: set-up refused by the outbound rules: %s", shop_id, exc)
        return "refused"
    except ConnectorError as exc:
        cursors.record(shop_id, f"Your store could not be reached to set it up: {exc}")
        raise
    with extensions.db().session() as session:
        shop = session.get(Shop, shop_id)
        apply_facts(shop, facts)
        shop.webhook_ids, shop.reconcile_error = webhook_ids, None
    log.info("shop %s: WooCommerce store set up", shop_id)
    return "set up"


def remove_webhooks(shop: Shop) -> int:
    """Delete the store's Aftercare webhooks; what could not be deleted is logged and left."""
    removed = 0
    for topic, hook_id in (shop.webhook_ids or {}).items():
        try:
            woocommerce_api.delete(access(shop), f"webhooks/{hook_id}", {"force": "true"})
            removed += 1
        except (ConnectorError, StoreNotConnected) as exc:
            log.warning("shop %s: webhook %s (%s) not removed: %s", shop.id, hook_id, topic, exc)
    return removed
