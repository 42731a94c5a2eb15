"""Helpers for WooCommerce tests: a connected store on a local REST stand-in, signed plugin requests."""
from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import hmac
import json
import secrets
import time
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.conftest import FIXTURES
from tests.fake_woocommerce import FakeWooCommerce
from tests.helpers import drain

APP_URL = "https://aftercare.test"
PHONE = "+1 415 555 2671"


def woo_fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / "woocommerce" / f"{name}.json").read_text())


def gmt(offset: dt.timedelta = dt.timedelta()) -> str:
    return (dt.datetime.now(dt.timezone.utc) + offset).strftime("%Y-%m-%dT%H:%M:%S")


def fresh_order(name: str = "order_processing", order_id: int = 727, minutes_ago: int = 0,
                **changes: Any) -> dict[str, Any]:
    """A documented order body, placed and modified now (older orders are never messaged)."""
    order = copy.deepcopy(woo_fixture(name))
    when = gmt(-dt.timedelta(minutes=minutes_ago))
    order.update(id=order_id, number=str(order_id), date_created_gmt=when, date_created=when,
                 date_modified_gmt=when, date_modified=when)
    order["billing"]["phone"] = PHONE
    order.update(changes)
    return order


def later(order: dict[str, Any], seconds: int = 60, **changes: Any) -> dict[str, Any]:
    """The same order, modified `seconds` later."""
    changed = copy.deepcopy(order)
    when = (dt.datetime.fromisoformat(order["date_modified_gmt"]) + dt.timedelta(seconds=seconds))
    changed.update(date_modified_gmt=when.strftime("%Y-%m-%dT%H:%M:%S"),
                   date_modified=when.strftime("%Y-%m-%dT%H:%M:%S"), **changes)
    return changed


def app_deliverer(app: Any) -> Any:
    client = app.test_client()
    return lambda url, headers, body: client.post(urlsplit(url).path, headers=headers, data=body).status_code


def allow_stores(app: Any, *stores: FakeWooCommerce, admitted: bool = True) -> None:
    """The outbound rules let the app call exactly these local stores (ALLOW_PRIVATE_STORES names their
    ip:port, nothing else on loopback); `admitted`: their hosts are in ALLOWED_STORES (no approval needed)."""
    app.config["ALLOW_PRIVATE_STORES"] = ",".join(f"127.0.0.1:{store.port}" for store in stores)
    if admitted:
        app.config["ALLOWED_STORES"] = ",".join(sorted({urlsplit(store.url).hostname or "" for store in stores}))


def start_store(app: Any, host: str = "127.0.0.1", admitted: bool = True) -> FakeWooCommerce:
    store = FakeWooCommerce(host=host)
    store.deliver = app_deliverer(app)
    app.config.update(APP_URL=APP_URL, WOO_BACKOFF=0.01, WOO_TIMEOUT=5)
    allow_stores(app, store, admitted=admitted)
    return store


def begin(client: Any, store: FakeWooCommerce, site_proof: str | None = None) -> dict[str, Any]:
    """What the plugin does on Connect: POST /woocommerce/connect with a fresh site proof it then keeps (and
    its site shows at the proof route)."""
    proof = site_proof or secrets.token_urlsafe(32)
    answer = client.post("/woocommerce/connect", json={
        "store_url": store.url + "/", "return_url": store.url + "/wp-admin/admin.php?page=aftercare",
        "site_proof": proof})
    assert answer.status_code == 200, answer.get_json()
    started = answer.get_json()
    store.proofs[started["connect_id"]] = proof
    return {**started, "site_proof": proof}


def callback_body(store: FakeWooCommerce, connect_id: str, **changes: Any) -> dict[str, Any]:
    """The documented callback body (samples/woocommerce/wc-auth-callback-body.json) with this store's keys."""
    body = {"key_id": 1, "user_id": connect_id, "consumer_key": store.consumer_key,
            "consumer_secret": store.consumer_secret, "key_permissions": "read_write"}
    body.update(changes)
    return body


def grant(store: FakeWooCommerce, started: dict[str, Any], **changes: Any) -> int:
    """The merchant approves on the store's authorize page: WooCommerce posts the keys to the callback URL it
    was given (and keeps that request open until the app answers); the app's status."""
    query = query_of(started["authorize_url"])
    return store.grant_access(query["callback_url"], query["user_id"], **changes)


def connect(app: Any, store: FakeWooCommerce) -> dict[str, Any]:
    """The whole connection: connect, WooCommerce's callback, the jobs (the keys and the site's proof, then
    set-up), the plugin's claim; the store is admitted (its host is in ALLOWED_STORES), so it ends active."""
    client = app.test_client()
    started = begin(client, store)
    assert grant(store, started) == 200
    assert store.during_callback == []  # the callback was answered without a call to the store
    drain(app)
    claimed = client.post("/woocommerce/claim", json={"connect_id": started["connect_id"],
                                                      "claim_secret": started["claim_secret"]})
    assert claimed.status_code == 200, claimed.get_json()
    assert claimed.get_json()["status"] == "active", claimed.get_json()  # admitted by ALLOWED_STORES
    connection = {**started, **claimed.get_json()}
    _no_quiet_hours(app, connection["shop_id"])
    return connection


def _no_quiet_hours(app: Any, shop_id: int) -> None:
    """The store's own default quiet hours (21:00-08:00 Paris) would hold SMS at some times of day; the
    tests about quiet hours set them explicitly."""
    from integration.db.models import Shop

    with app.extensions["aftercare.db"].session() as session:
        shop = session.get(Shop, shop_id)
        shop.quiet_hours_start = shop.quiet_hours_end = None


def signed_headers(shop_id: int, secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """What the plugin sends: base64 HMAC-SHA256 of "<timestamp>.<body>" with the link secret."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    mac = hmac.new(secret.encode(), f"{ts}.{body.decode()}".encode(), hashlib.sha256).digest()
    return {"X-Aftercare-Shop": str(shop_id), "X-Aftercare-Timestamp": ts,
            "X-Aftercare-Signature": base64.b64encode(mac).decode(), "Content-Type": "application/json"}


def signed_post(client: Any, path: str, connection: dict[str, Any], payload: Any) -> Any:
    body = json.dumps(payload).encode()
    return client.post(path, data=body, headers=signed_headers(connection["shop_id"], connection["link_secret"], body))


def admin_link(connection: dict[str, Any], nonce: str = "0123456789abcdef0123456789abcdef",
               timestamp: int | None = None) -> str:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    message = f"admin.{connection['shop_id']}.{ts}.{nonce}"
    mac = hmac.new(connection["link_secret"].encode(), message.encode(), hashlib.sha256).digest()
    sig = base64.urlsafe_b64encode(mac).decode().rstrip("=")
    return f"/woocommerce/admin?shop={connection['shop_id']}&ts={ts}&nonce={nonce}&sig={sig}"


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def money(value: Any) -> Decimal:
    return Decimal(str(value))
