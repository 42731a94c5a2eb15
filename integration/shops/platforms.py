"""Per platform, the jobs every shop gets whatever its platform: reconcile it, fetch one order it referred to,
refresh its facts; and the periodic runs that enqueue them for every active shop the app can read.

The tables here (with `webhooks/jobs.py`'s event readers and `integration/shopify/help_metafield.py`'s syncers) are
where a platform plugs in; reconciling and refreshing themselves live in the platform's package.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rq.exceptions import DuplicateJobError
from sqlalchemy import or_, select

from integration.db.models import Shop
from integration.runtime import extensions
from integration.shopify import facts as shop_facts
from integration.shopify import reconcile
from integration.woocommerce import poll as woo_poll
from integration.woocommerce import store as woo_store

#: platform -> (reconcile a shop, fetch one order)
RECONCILERS: dict[str, Callable[..., str]] = {"shopify": reconcile.reconcile_shopify,
                                              "woocommerce": woo_poll.reconcile_woocommerce}
ORDER_FETCHERS: dict[str, Callable[..., bool]] = {"shopify": reconcile.fetch_shopify_order,
                                                  "woocommerce": woo_store.fetch_order}


def fetch_order(shop_id: int, platform: str, order_id: str) -> bool:
    fetcher = ORDER_FETCHERS.get(platform)
    return bool(fetcher and fetcher(shop_id, order_id))


def reconcile_all() -> int:
    """Periodic: one reconciliation job per active shop that the app can read."""
    with extensions.db().session() as session:
        shops = list(session.execute(select(Shop.id, Shop.platform).where(
            Shop.status == "active", Shop.platform.in_(RECONCILERS),
            or_(Shop.access_token_encrypted.is_not(None), Shop.consumer_key_encrypted.is_not(None)))))
    return sum(_enqueue(RECONCILERS[platform], shop_id) for shop_id, platform in shops)


def _enqueue(job: Callable[..., str], shop_id: int) -> bool:
    """At most one reconciliation per shop queued or running: the job id is the shop's."""
    try:
        extensions.queue("aftercare-maintenance").enqueue(
            job, shop_id, job_id=f"reconcile-{shop_id}", unique=True, job_timeout=600, result_ttl=0,
            failure_ttl=extensions.config("RECONCILE_INTERVAL"))
    except DuplicateJobError:
        return False
    return True


#: platform -> (the shops' key column, the job that reads and stores one shop's facts)
REFRESHERS: dict[str, tuple[Any, Any]] = {
    "shopify": (Shop.access_token_encrypted, shop_facts.refresh),
    "woocommerce": (Shop.consumer_key_encrypted, woo_store.refresh_facts),
}


def refresh_all() -> int:
    """Periodic: enqueue a refresh for every active shop the app can read."""
    queued = 0
    for platform, (key, job) in REFRESHERS.items():
        with extensions.db().session() as session:
            ids = list(session.scalars(select(Shop.id).where(
                Shop.platform == platform, Shop.status == "active", key.is_not(None))))
        for shop_id in ids:
            extensions.queue("aftercare-maintenance").enqueue(job, shop_id, job_timeout=120)
        queued += len(ids)
    return queued
