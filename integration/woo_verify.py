"""The second half of a WooCommerce connection: the store's own site shows the proof, then the store becomes a shop.

The plugin that starts a connection hands the service a random `site_proof` (only its sha256 is stored)
and keeps the proof itself, answering it at `GET {store}/wp-json/aftercare/v1/connect-proof?connect_id=…`
while the connection is pending. After WooCommerce's key callback (which stays open while the service
answers, so the proof is not read there: a one-process store would stall) the checked keys wait, encrypted,
in Redis for the connection's hour, and the `verify` job reads the proof back through the outbound client.
Only when it matches does the store become a shop, active or waiting for the operator's approval
(`woo_admission`); otherwise the connection and its keys are dropped and the plugin's claim gets a 404.
Someone who starts a connection for a store that is not theirs cannot claim it, even if its merchant is
talked into approving the key request.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
from typing import Any

from rq import Retry
from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors import woocommerce_api
from integration import crypto, extensions, outbound, woo_admission, woo_store
from integration.db import utcnow
from integration.models import Shop, StoreConnection

log = logging.getLogger(__name__)

CONNECT_TTL = dt.timedelta(hours=1)
PROOF_ROUTE = "aftercare/v1/connect-proof"
VERIFY_RETRY = Retry(max=5, interval=[10, 60, 300, 900, 1800])


def _keys_name(connection_id: int) -> str:
    return f"aftercare:woo-keys:{connection_id}"


def hold_keys(connection_id: int, key: str, secret: str, key_id: int) -> bool:
    """Keep the checked keys for the proof check and mark the connection authorized; False if it was already."""
    sealed = crypto.encrypt(extensions.config("ENCRYPTION_KEYS"), json.dumps({"key": key, "secret": secret,
                                                                              "key_id": key_id}))
    if not extensions.redis().set(_keys_name(connection_id), sealed, nx=True, ex=int(CONNECT_TTL.total_seconds())):
        return False
    with extensions.db().session() as session:
        session.get(StoreConnection, connection_id).authorized_at = utcnow()
    extensions.queue("aftercare-maintenance").enqueue(verify, connection_id, job_id=f"woo-verify-{connection_id}",
                                                      retry=VERIFY_RETRY, job_timeout=120)
    return True


def _held_keys(connection_id: int) -> dict[str, Any] | None:
    sealed = extensions.redis().get(_keys_name(connection_id))
    if sealed is None:
        return None
    keys: dict[str, Any] = json.loads(crypto.decrypt(extensions.config("ENCRYPTION_KEYS"), sealed.decode()))
    return keys


def shown_proof(store_url: str, connect_id: str) -> str | None:
    """The proof the store's site shows for this connection; None when it shows none (or may not be called).

    Raises StoreUnreachable (the job retries) when the site does not answer.
    """
    site = woocommerce_api.StoreAccess(url=store_url, consumer_key="", consumer_secret="", session=outbound.session(),
                                       timeout=extensions.config("WOO_TIMEOUT"), retries=1,
                                       backoff=extensions.config("WOO_BACKOFF"))
    try:
        answer = woocommerce_api.public_get(site, PROOF_ROUTE, {"connect_id": connect_id})
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


def _forget(connection_id: int, reason: str) -> str:
    """Drop a connection that did not prove its site: the keys go, the plugin's claim gets a 404."""
    extensions.redis().delete(_keys_name(connection_id))
    with extensions.db().session() as session:
        connection = session.get(StoreConnection, connection_id)
        if connection is not None:
            session.delete(connection)
    log.warning("connection %s: refused: %s", connection_id, reason)
    return "refused"


def verify(connection_id: int) -> str:
    """RQ job after the key callback: the site's proof, then the shop (and its set-up when it may start)."""
    with extensions.db().session() as session:
        connection = session.get(StoreConnection, connection_id)
        if connection is None or connection.verified_at is not None:
            return "nothing to do"
        session.expunge(connection)
    if not _proof_matches(connection, shown_proof(connection.store_url, connection.connect_id)):
        return _forget(connection_id, "the store's site did not show the proof of the plugin that connected")
    keys = _held_keys(connection_id)
    if keys is None:
        return _forget(connection_id, "the keys expired before the site was checked")
    shop_id, status = _admit(connection_id, keys)
    extensions.redis().delete(_keys_name(connection_id))
    if status == "active":
        woo_store.enqueue_setup(shop_id)
    log.info("connection %s: site verified; shop %s is %s", connection_id, shop_id, status)
    return status
