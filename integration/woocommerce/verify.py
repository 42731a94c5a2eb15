"""The second half of a WooCommerce connection, in a job: the keys work, the store's own site shows the proof, then
the store becomes a shop.

WooCommerce's key callback is answered at once and calls nothing: WooCommerce keeps that request open while
the service answers, and a store that serves one PHP request at a time could not answer a call back into it
until the callback ended (and `system_status`, the old check, also makes the store call PayPal and
woocommerce.com). So the posted keys wait, encrypted, in Redis for the connection's hour, and the `verify` job
checks them through the outbound client against `data/currencies/current` (one option read; 401 for keys that
do not work), then reads back the random `site_proof` the plugin that started the connection handed the
service (only its sha256 is stored) at `GET {store}/wp-json/aftercare/v1/connect-proof?connect_id=…`.
Until both pass the connection is "connecting" (the plugin's claim gets a 409) and there is no shop: nothing
is active and no admin opens. Then the store becomes a shop, active or waiting for the operator's approval
(`woo_admission`). A connection that fails either check is ended: its keys and row go, and the plugin's claim
gets a 404 saying why (kept in Redis for the hour). Someone who starts a connection for a store that is not
theirs cannot claim it, even if its merchant is talked into approving the key request.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
from typing import Any

from rq import Retry, get_current_job
from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors import woocommerce_api
from integration.db.database import utcnow
from integration.db.models import Shop, StoreConnection
from integration.runtime import crypto, extensions, outbound
from integration.woocommerce import admission as woo_admission
from integration.woocommerce import store as woo_store

log = logging.getLogger(__name__)

CONNECT_TTL = dt.timedelta(hours=1)
PROOF_ROUTE = "aftercare/v1/connect-proof"
VERIFY_RETRY = Retry(max=5, interval=[10, 60, 300, 900, 1800])
#: why a connection was ended -> what the plugin's claim is told (never the store's own words).
ENDED = {
    "keys_refused": "the store refused the keys WooCommerce posted",
    "not_woocommerce": "the store did not answer like WooCommerce",
    "off_limits": "Aftercare does not call this store",
    "unreachable": "the store could not be reached to check the keys",
    "site_unproven": "the store's site did not show the proof of the plugin that connected",
    "keys_expired": "the keys expired before the store was checked",
}
#: what an HTTP refusal of the key check means (any other status: the address is not a WooCommerce REST API).
REFUSALS = {401: "keys_refused", 403: "keys_refused"}


def _keys_name(connection_id: int) -> str:
    return f"aftercare:woo-keys:{connection_id}"


def hold_keys(connection_id: int, key: str, secret: str, key_id: int) -> bool:
    """Keep the posted keys, encrypted, for the job that checks them (enqueued here) and mark the connection
    authorized; False if it was already. Makes no call to the store."""
    sealed = crypto.encrypt(extensions.config("ENCRYPTION_KEYS"), json.dumps({"key": key, "secret": secret,
                                                                              "key_id": key_id}))
    if not extensions.redis().set(_keys_name(connection_id), sealed, nx=True, ex=int(CONNECT_TTL.total_seconds())):
        return False
    with extensions.db().session() as session:
        session.get(StoreConnection, connection_id).authorized_at = utcnow()
    extensions.queue("aftercare-maintenance").enqueue(verify, connection_id, job_id=f"woo-verify-{connection_id}",
                                                      retry=VERIFY_RETRY, job_timeout=120)
    return True


def _ended_name(connect_id: str) -> str:
    return f"aftercare:woo-ended:{connect_id}"


def ended(connect_id: str) -> dict[str, str] | None:
    """Why the connection was ended ({"reason", "claim": sha256 of its claim secret}); None if it was not."""
    kept = extensions.redis().get(_ended_name(connect_id))
    found: dict[str, str] | None = json.loads(kept) if kept else None
    return found


def _held_keys(connection_id: int) -> dict[str, Any] | None:
    sealed = extensions.redis().get(_keys_name(connection_id))
    if sealed is None:
        return None
    keys: dict[str, Any] = json.loads(crypto.decrypt(extensions.config("ENCRYPTION_KEYS"), sealed.decode()))
    return keys


def store_access(store_url: str, keys: dict[str, Any] | None = None) -> woocommerce_api.StoreAccess:
    """The store through the outbound client, with the held keys (or none, for public reads)."""
    return woocommerce_api.StoreAccess(
        url=store_url, consumer_key=(keys or {}).get("key", ""), consumer_secret=(keys or {}).get("secret", ""),
        session=outbound.session(), timeout=extensions.config("WOO_TIMEOUT"), retries=1,
        backoff=extensions.config("WOO_BACKOFF"))


def keys_refusal(store_url: str, keys: dict[str, Any]) -> str | None:
    """Why the store does not take the keys (a key of ENDED), or None when its REST API accepts them.

    One cheap authenticated read; raises StoreUnreachable (the job retries) when the store does not answer.
    """
    try:
        answer = woocommerce_api.get(store_access(store_url, keys), woocommerce_api.CURRENT_CURRENCY)
    except woocommerce_api.StoreRefused as exc:
        return REFUSALS.get(exc.status, "not_woocommerce")
    except woocommerce_api.StoreOffLimitsError:
        return "off_limits"
    code = answer.get("code") if isinstance(answer, dict) else None
    return None if isinstance(code, str) and len(code) == 3 else "not_woocommerce"


def shown_proof(store_url: str, connect_id: str) -> str | None:
    """The proof the store's site shows for this connection; None when it shows none (or may not be called).

    Raises StoreUnreachable (the job retries) when the site does not answer.
    """
    try:
        answer = woocommerce_api.public_get(store_access(store_url), PROOF_ROUTE, {"connect_id": connect_id})
    except (woocommerce_api.StoreRefused, woocommerce_api.StoreOffLimitsError) as exc:
        log.info("store %s: no proof shown (%s)", woo_store.domain_of(store_url), exc)
        return None
    proof = answer.get("proof") if isinstance(answer, dict) else None
    return proof if isinstance(proof, str) and proof.isascii() else None


def _proof_matches(connection: StoreConnection, shown: str | None) -> bool:
    expected = connection.site_proof_hash or ""
    return bool(shown and expected) and hmac.compare_digest(expected, hashlib.sha256(shown.encode()).hexdigest())


def connected_shop(session: Session, store_url: str) -> Shop:
    """The store's shop row: new, or an earlier one reconnected (its history starts again now); active when it
    was active, approved before or is admitted, else waiting for the operator's approval."""
    domain = woo_store.domain_of(store_url)
    shop = session.scalar(select(Shop).where(Shop.platform == "woocommerce", Shop.domain == domain))
    if shop is None:
        shop = Shop(platform="woocommerce", domain=domain, name=domain.split("/")[0], created_at=utcnow())
        session.add(shop)
    elif shop.status != "active":
        shop.created_at, shop.reconciled_until, shop.reconcile_error = utcnow(), None, None
    if shop.status != "active":
        shop.status = woo_admission.starting_status(shop, store_url)
    return shop


def _admit(connection_id: int, keys: dict[str, Any]) -> tuple[int, str]:
    with extensions.db().session() as session:
        connection = session.get(StoreConnection, connection_id)
        shop = connected_shop(session, connection.store_url)
        woo_store.store_keys(shop, keys["key"], keys["secret"], connection.store_url)
        shop.api_key_id = keys["key_id"]
        session.flush()
        connection.shop_id, connection.verified_at = shop.id, utcnow()
        return shop.id, shop.status


def _end(connection: StoreConnection, reason: str) -> str:
    """End a connection that did not prove its keys or its site: the keys and the row go; the plugin's claim
    is told why for the rest of the hour."""
    redis = extensions.redis()
    redis.delete(_keys_name(connection.id))
    redis.set(_ended_name(connection.connect_id), json.dumps({"reason": reason, "claim": connection.claim_secret_hash}),
              ex=int(CONNECT_TTL.total_seconds()))
    with extensions.db().session() as session:
        found = session.get(StoreConnection, connection.id)
        if found is not None:
            session.delete(found)
    log.warning("connection %s: ended: %s", connection.id, reason)
    return "refused"


def _connecting(connection_id: int) -> StoreConnection | None:
    """The connection while it is still being checked (detached), else None."""
    with extensions.db().session() as session:
        connection = session.get(StoreConnection, connection_id)
        if connection is None or connection.verified_at is not None:
            return None
        session.expunge(connection)
        return connection


def _last_try() -> bool:
    job = get_current_job()
    return job is not None and not job.retries_left


def _checks(connection: StoreConnection, keys: dict[str, Any]) -> str | None:
    """Why the connection fails (a key of ENDED), or None once the keys work and the site shows the proof."""
    try:
        refused = keys_refusal(connection.store_url, keys)
        if refused is None and not _proof_matches(connection, shown_proof(connection.store_url,
                                                                          connection.connect_id)):
            refused = "site_unproven"
    except woocommerce_api.StoreUnreachable as exc:
        if not _last_try():
            log.info("connection %s: the store did not answer (%s); tried again later", connection.id, exc)
            raise
        refused = "unreachable"
    return refused


def verify(connection_id: int) -> str:
    """RQ job after the key callback: the keys, the site's proof, then the shop (and its set-up when it may start)."""
    connection = _connecting(connection_id)
    if connection is None:
        return "nothing to do"
    keys = _held_keys(connection_id)
    if keys is None:
        return _end(connection, "keys_expired")
    refused = _checks(connection, keys)
    if refused is not None:
        return _end(connection, refused)
    shop_id, status = _admit(connection_id, keys)
    extensions.redis().delete(_keys_name(connection_id))
    if status == "active":
        woo_store.enqueue_setup(shop_id)
    log.info("connection %s: keys and site verified; shop %s is %s", connection_id, shop_id, status)
    return status
