"""Connecting a WooCommerce store, and what the WordPress plugin asks of the service afterwards.

The connection (DESIGN §6, research/woocommerce.md §4.2):
1. the plugin asks `POST /woocommerce/connect` (server to server) for a one-time `connect_id` bound to its
   store URL (public https, checked by the outbound rules now), handing over a random `site_proof` it keeps;
   it gets a `claim_secret` that never reaches a browser and sends the merchant to the store's own
   `/wc-auth/v1/authorize` with `user_id=<connect_id>`;
2. WooCommerce posts the new REST keys to `POST /woocommerce/auth-callback` and keeps that request open
   until the service answers, so the answer comes at once, exactly 200 (anything else makes WooCommerce
   delete the keys), and nothing calls the store meanwhile (a store serving one PHP request at a time could
   not answer); the keys wait, encrypted, for a job (`woo_verify`) that checks them against the store's REST
   API and reads the proof back from the store's own site — only the site that started the connection holds
   it — and only then lets the store start or wait for the operator's approval (`woo_admission`);
3. back in WordPress, the plugin claims the per-store link secret once with `POST /woocommerce/claim`
   (409 `connecting` while the job checks, 404 once the connection was ended, with the reason).
Afterwards the plugin signs its requests (privacy export/erase, disconnect) and the merchant's
"Open Aftercare" links with that secret.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import io
import logging
import re
import secrets
import time
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, Response, redirect, request, send_file, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors.base import MalformedPayload, load_object
from connectors.events import CustomerDataRequested, CustomerRedactRequested, ShopRedactRequested
from integration.admin import auth as admin_auth
from integration.db.database import utcnow
from integration.db.models import Shop, StoreConnection
from integration.runtime import extensions, ids, outbound
from integration.shops import privacy
from integration.woocommerce import admission as woo_admission
from integration.woocommerce import store as woo_store
from integration.woocommerce import verify as woo_verify

log = logging.getLogger(__name__)
bp = Blueprint("woocommerce", __name__, url_prefix="/woocommerce")

PLUGIN_DIR = Path(__file__).resolve().parents[2] / "wordpress" / "aftercare-for-woocommerce"
CONNECT_TTL = woo_verify.CONNECT_TTL
#: how far a signed request's or link's timestamp may be from now.
SIGNATURE_WINDOW = 300
#: what the service hands out and the plugin sends back: URL-safe tokens of a sane length.
TOKEN = re.compile(r"[A-Za-z0-9_-]{16,128}")
SITE_PROOF = re.compile(r"[A-Za-z0-9_-]{32,128}")
REST_KEYS = {"consumer_key": re.compile(r"ck_[A-Za-z0-9_]{1,128}"),
             "consumer_secret": re.compile(r"cs_[A-Za-z0-9_]{1,128}")}
#: the plugin's and WooCommerce's requests are a few fields: anything much larger or deeper is refused.
MAX_BODY = 64 * 1024
#: a store's address is kept (and its host and path are its shop's domain, at most 255 characters).
STORE_URL_LENGTH = 250
MAX_DEPTH = 8
#: shop statuses whose link secret signs the plugin's requests (a store waiting for approval may disconnect).
SIGNING_STATUSES = ("active", woo_admission.PENDING)
#: a connection whose keys (or site) the job has not proven yet: no shop, nothing active, no admin.
CONNECTING = "connecting"


class Refused(Exception):
    """A request refused with an HTTP status and a reason the caller can show (and fields a program reads)."""

    def __init__(self, status: int, reason: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(reason)
        self.status, self.reason, self.fields = status, reason, fields or {}


@bp.errorhandler(Refused)
def _refused(exc: Refused) -> ResponseReturnValue:
    return {"error": exc.reason, **exc.fields}, exc.status


def _json_body() -> dict[str, Any]:
    """The request's small JSON object (never a 5xx: too deep, lone surrogates and the like are a 400)."""
    if (request.content_length or 0) > MAX_BODY:
        raise Refused(413, f"the body is larger than {MAX_BODY // 1024} KiB")
    try:
        return load_object(request.get_data(), max_depth=MAX_DEPTH)
    except MalformedPayload:
        raise Refused(400, "the body must be a JSON object") from None


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _token(value: Any, pattern: re.Pattern[str] = TOKEN) -> str | None:
    return value if isinstance(value, str) and pattern.fullmatch(value) else None


def _same(expected: str, given: Any) -> bool:
    """Constant-time comparison that refuses (never raises on) a value that is not ASCII text."""
    return isinstance(given, str) and given.isascii() and hmac.compare_digest(expected.encode(), given.encode())


# --- 1. connect -----------------------------------------------------------------------------------

def _web_url(value: Any, field: str, longest: int = 2000) -> str:
    try:
        fits = isinstance(value, str) and value.isascii() and len(value) <= longest
        parts = urlsplit(value) if fits else None
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("https", "http") or not parts.netloc:
        raise Refused(400, f"{field} must be the store's http(s) address (at most {longest} characters)")
    return value.strip()


def _store_url(value: Any) -> str:
    """The store's address, once the outbound rules let it be called (public https, every address)."""
    try:
        return outbound.check_url(_web_url(value, "store_url", longest=STORE_URL_LENGTH))
    except outbound.OutboundRefusedError as exc:
        raise Refused(400, f"store_url: {exc.reason}") from None


def _callback_url() -> str:
    app_url = extensions.config("APP_URL")
    if not app_url.startswith("https://"):
        raise Refused(503, "APP_URL must be a public https:// address: WooCommerce refuses to post keys to a "
                           "callback over plain HTTP, and WordPress refuses loopback and private addresses")
    return f"{app_url}/woocommerce/auth-callback"


def authorize_url(store_url: str, connect_id: str, return_url: str) -> str:
    query = urlencode({"app_name": "Aftercare", "scope": "read_write", "user_id": connect_id,
                       "return_url": return_url, "callback_url": _callback_url()})
    return f"{store_url.rstrip('/')}/wc-auth/v1/authorize?{query}"


@bp.post("/connect")
def connect() -> ResponseReturnValue:
    body = _json_body()
    store_url, return_url = _store_url(body.get("store_url")), _web_url(body.get("return_url"), "return_url")
    site_proof = _token(body.get("site_proof"), SITE_PROOF)
    if site_proof is None:
        raise Refused(400, "site_proof is missing: update the Aftercare plugin and connect again")
    connect_id, claim_secret = secrets.token_urlsafe(24), secrets.token_urlsafe(32)
    url = authorize_url(store_url, connect_id, return_url)
    with extensions.db().session() as session:
        session.add(StoreConnection(connect_id=connect_id, claim_secret_hash=_hash(claim_secret),
                                    site_proof_hash=_hash(site_proof), store_url=store_url, created_at=utcnow()))
    log.info("connection started for store %s", woo_store.domain_of(store_url))
    return {"authorize_url": url, "connect_id": connect_id, "claim_secret": claim_secret}


# --- 2. WooCommerce's callback --------------------------------------------------------------------

def _open_connection(session: Session, connect_id: Any) -> StoreConnection:
    token = _token(connect_id)
    found = session.scalar(select(StoreConnection).where(StoreConnection.connect_id == token)) if token else None
    if found is None or utcnow() - found.created_at > CONNECT_TTL:
        raise Refused(404, "unknown or expired connection; start again from the plugin")
    return found


def _posted_keys(body: dict[str, Any]) -> tuple[str, str, int]:
    key, secret, key_id = body.get("consumer_key"), body.get("consumer_secret"), body.get("key_id")
    if not all(_token(body.get(name), pattern) for name, pattern in REST_KEYS.items()):
        raise Refused(400, "consumer_key and consumer_secret are missing")
    if body.get("key_permissions") not in ("read_write", "write"):
        raise Refused(400, "Aftercare needs read_write access (it creates its webhooks)")
    return key, secret, ids.id64(str(key_id) if isinstance(key_id, int) else key_id) or 0


def _still_callable(store_url: str) -> None:
    """The store's address passes the outbound rule again (by name: no request reaches the store)."""
    try:
        outbound.check_url(store_url)
    except outbound.OutboundRefusedError as exc:
        raise Refused(400, f"Aftercare does not call this store: {exc.reason}") from None


@bp.post("/auth-callback")
def auth_callback() -> ResponseReturnValue:
    """WooCommerce's key callback: answered at once; the keys are checked in a job (`woo_verify`)."""
    body = _json_body()
    key, secret, key_id = _posted_keys(body)
    with extensions.db().session() as session:
        connection = _open_connection(session, body.get("user_id"))
        if connection.authorized_at is not None:
            raise Refused(409, "this connection already received its keys")
        connection_id, store_url = connection.id, connection.store_url
    _still_callable(store_url)
    if not woo_verify.hold_keys(connection_id, key, secret, key_id):
        raise Refused(409, "this connection already received its keys")
    log.info("connection %s: WooCommerce posted keys %s; a job checks them and the site's proof", connection_id,
             key_id)
    return {"status": CONNECTING}, 200


# --- 3. the plugin claims its link secret ---------------------------------------------------------

def _unknown(connect_id: Any, claim_hash: str) -> Refused:
    """404 for a connection that is not open: why it was ended when the claim secret is its own."""
    token = _token(connect_id)
    ended = woo_verify.ended(token) if token else None
    if ended is None or not _same(ended.get("claim", ""), claim_hash):
        return Refused(404, "unknown or expired connection; start again from the plugin")
    reason = ended.get("reason", "")
    return Refused(404, f"Aftercare ended this connection: {woo_verify.ENDED.get(reason, reason)}; connect again",
                   {"status": "ended", "reason": reason})


@bp.post("/claim")
def claim() -> ResponseReturnValue:
    body = _json_body()
    claim_hash = _hash(_token(body.get("claim_secret")) or "")
    with extensions.db().session() as session:
        try:
            connection = _open_connection(session, body.get("connect_id"))
        except Refused:
            raise _unknown(body.get("connect_id"), claim_hash) from None
        if not _same(connection.claim_secret_hash, claim_hash):
            raise Refused(404, "unknown or expired connection; start again from the plugin")
        if connection.claimed_at is not None:
            raise Refused(404, "this connection was claimed already")
        if connection.authorized_at is None:
            raise Refused(409, "WooCommerce has not posted the keys yet", {"status": CONNECTING})
        if connection.verified_at is None or connection.shop_id is None:
            raise Refused(409, "Aftercare is checking the keys and the store's site; try again in a moment",
                          {"status": CONNECTING})
        connection.claimed_at = utcnow()
        shop = session.get(Shop, connection.shop_id)
        return {"status": shop.status, "shop_id": shop.id, "key_id": shop.api_key_id,
                "link_secret": woo_store.secret(shop, "link_secret_encrypted"), "app_url": extensions.config("APP_URL")}


# --- signed links and requests from the plugin ----------------------------------------------------

def _mac(secret: str, message: bytes) -> bytes:
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()


def _fresh(timestamp: str | None) -> bool:
    return bool(timestamp and ids.id64(timestamp) and abs(time.time() - int(timestamp)) <= SIGNATURE_WINDOW)


def _link_secret(session: Session, shop_id: Any) -> tuple[Shop, str]:
    number = ids.id64(shop_id)
    shop = session.get(Shop, number) if number else None
    secret = woo_store.secret(shop, "link_secret_encrypted") if shop and shop.platform == "woocommerce" else None
    if shop is None or secret is None or shop.status not in SIGNING_STATUSES:
        raise Refused(404, "unknown store")
    return shop, secret


def signed_shop_id() -> int:
    """The store a plugin request comes from: `X-Aftercare-Signature` = base64 HMAC-SHA256 of "<ts>.<body>"."""
    headers = request.headers
    timestamp, given = headers.get("X-Aftercare-Timestamp", ""), headers.get("X-Aftercare-Signature", "")
    with extensions.db().session() as session:
        shop, secret = _link_secret(session, headers.get("X-Aftercare-Shop"))
        if not _fresh(timestamp):
            raise Refused(401, "invalid or expired X-Aftercare-Signature")
        expected = base64.b64encode(_mac(secret, timestamp.encode() + b"." + request.get_data())).decode()
        if not _same(expected, given):
            raise Refused(401, "invalid or expired X-Aftercare-Signature")
        return shop.id


def _link_mac(secret: str, shop_id: str, timestamp: str, nonce: str) -> str:
    mac = _mac(secret, f"admin.{shop_id}.{timestamp}.{nonce}".encode())
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


@bp.get("/admin")
def open_admin() -> ResponseReturnValue:
    """"Open Aftercare" from WordPress: a freshly signed, single-use link starts a first-party session."""
    args = request.args
    shop_id, timestamp, nonce = args.get("shop", ""), args.get("ts", ""), _token(args.get("nonce", "")) or ""
    with extensions.db().session() as session:
        shop, secret = _link_secret(session, shop_id)
    if not (_fresh(timestamp) and nonce and _same(_link_mac(secret, shop_id, timestamp, nonce), args.get("sig", ""))):
        raise Refused(401, "this link is invalid or has expired; open Aftercare again from WordPress")
    if shop.status != "active":
        raise Refused(403, "this store is waiting for the Aftercare operator's approval")
    if not extensions.redis().set(f"aftercare:woo-link:{nonce}", 1, nx=True, ex=2 * SIGNATURE_WINDOW):
        raise Refused(401, "this link was used already; open Aftercare again from WordPress")
    admin_auth.start_session(shop.id)
    return redirect(url_for("admin.first_party_home"))


# --- privacy and disconnect -----------------------------------------------------------------------

def _email() -> str:
    email = _json_body().get("email")
    if not isinstance(email, str) or "@" not in email:
        raise Refused(400, "email is missing")
    return email.strip()


def exporter_items(content: dict[str, Any]) -> list[dict[str, Any]]:
    """What is held, in WordPress's personal-data exporter format (one item per order and per message)."""
    orders = [{"group_id": "aftercare-orders", "group_label": "Aftercare: orders", "item_id": f"order-{o['id']}",
               "data": [{"name": k, "value": str(v)} for k, v in o.items() if v not in (None, "", [], {})]}
              for o in content["orders"]]
    messages = [{"group_id": "aftercare-messages", "group_label": "Aftercare: messages sent",
                 "item_id": f"message-{n}", "data": [{"name": k, "value": str(v)} for k, v in m.items() if v]}
                for n, m in enumerate(content["messages"])]
    return orders + messages


@bp.post("/privacy/export")
def privacy_export() -> ResponseReturnValue:
    shop_id, email = signed_shop_id(), _email()
    request_event = CustomerDataRequested(request_id=None, customer_id=None, email=email, phone=None)
    with extensions.db().session() as session:
        content = privacy.customer_content(session, session.get(Shop, shop_id), request_event)
    log.info("shop %s: personal data export answered", shop_id)
    return {"data": exporter_items(content), "done": True}


@bp.post("/privacy/erase")
def privacy_erase() -> ResponseReturnValue:
    shop_id, email = signed_shop_id(), _email()
    erase = CustomerRedactRequested(customer_id=None, email=email, phone=None)
    with extensions.db().session() as session:
        shop = session.get(Shop, shop_id)
        held = privacy.customer_content(session, shop, CustomerDataRequested(None, None, email, None))
        privacy.redact_customer(session, shop, erase)
    removed = bool(held["orders"] or held["messages"])
    return {"items_removed": removed, "items_retained": False, "messages": [], "done": True}


def disconnect_shop(shop_id: int) -> None:
    """Remove the webhooks, stop sending, purge the store's data; the plugin revokes the REST key itself."""
    removed = woo_store.remove_webhooks(woo_store.load_shop(shop_id))
    with extensions.db().session() as session:
        shop = session.get(Shop, shop_id)
        privacy.stop_sending(session, shop_id, "the store was disconnected")
        privacy.redact_shop(session, shop, ShopRedactRequested(str(shop_id)))
        shop.status, shop.api_key_id = "disconnected", None
    log.info("shop %s: disconnected (%d webhooks removed), data purged", shop_id, removed)


@bp.post("/disconnect")
def disconnect() -> ResponseReturnValue:
    disconnect_shop(signed_shop_id())
    return {"status": "disconnected"}


# --- the plugin itself ----------------------------------------------------------------------------

def plugin_zip() -> bytes:
    """The plugin folder as an installable zip (WordPress wants the folder at the top)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(PLUGIN_DIR.rglob("*")):
            if path.is_file():
                archive.write(path, f"{PLUGIN_DIR.name}/{path.relative_to(PLUGIN_DIR)}")
    return buffer.getvalue()


@bp.get("/plugin.zip")
def download_plugin() -> Response:
    return send_file(io.BytesIO(plugin_zip()), mimetype="application/zip", as_attachment=True,
                     download_name=f"{PLUGIN_DIR.name}.zip", max_age=300)
