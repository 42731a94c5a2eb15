"""The admin shell: the app home inside Shopify's admin (session tokens, no third-party cookies) and
a first-party entry through a short-lived signed link (`flask admin-link`).

Inside Shopify, shopifyapp verifies the session token (`id_token` on a page load, Bearer on fetch),
answers invalid or expired ones with the bounce page, and gives the per-shop `frame-ancestors` policy.
The first load exchanges the session token for an expiring offline token.
"""
from __future__ import annotations

import datetime as dt
import json
import secrets
from typing import Any

from flask import Blueprint, Response, abort, current_app, redirect, session, url_for
from flask.typing import ResponseReturnValue
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from shopify_app import app_home_patch_id_token, verify_app_home_req
from sqlalchemy import func, select

from connectors.shopify import PRIVACY_TOPICS
from integration.admin import auth as admin_auth
from integration.admin import demo
from integration.db.database import utcnow
from integration.db.models import DataExport, Delivery, Message, Shop
from integration.runtime import extensions
from integration.shopify import facts as shop_facts
from integration.shopify import help_metafield
from integration.shopify import tokens as shopify_tokens
from notifications import quotas

bp = Blueprint("admin", __name__)
PATCH_PATH = admin_auth.PATCH_PATH
LINK_MAX_AGE = 600

#: Shopify's own customer notifications that tell the shopper the same thing as an Aftercare message.
OVERLAPS = [
    ("Order confirmation", "order_confirmation"), ("Shipping confirmation", "shipping_confirmation"),
    ("Shipping update", "shipping_update"), ("Out for delivery", "out_for_delivery"), ("Delivered", "delivered"),
    ("Order canceled", "order_cancelled"), ("Order refund", "refund_issued"),
]
#: WooCommerce's own customer emails (WooCommerce → Settings → Emails) for the same moments.
WOO_OVERLAPS = [
    ("Processing order / Order on-hold", "order_confirmation"), ("Completed order", "shipping_confirmation"),
    ("Cancelled order", "order_cancelled"), ("Refunded order", "refund_issued"),
]
#: per platform: its name, its own notifications that overlap, and where the merchant turns them off.
PLATFORMS = {
    "shopify": {"name": "Shopify", "overlaps": OVERLAPS,
                "turn_off": "in Shopify, open Settings → Notifications → Customer notifications, choose the "
                            "notification and turn it off (or untick \"Notify customer\" when you fulfil or refund)."},
    "woocommerce": {"name": "WooCommerce", "overlaps": WOO_OVERLAPS,
                    "turn_off": "in WordPress, open WooCommerce → Aftercare and tick the WooCommerce emails that "
                                "Aftercare replaces; the plugin switches them off for you."},
}


@bp.get("/")
def app_home() -> ResponseReturnValue:
    result = verify_app_home_req(admin_auth.request_input(), shopify_tokens.app_config(current_app.config), PATCH_PATH)
    if not result.ok:
        return admin_auth.respond(result.response)
    shop_id = install_if_needed(f"{result.shop}.myshopify.com", result.id_token)
    return render_home(admin_auth.AdminRequest(shop_id, dict(result.response.headers), embedded=True))


@bp.get(PATCH_PATH)
def patch_id_token() -> ResponseReturnValue:
    patched = app_home_patch_id_token(admin_auth.request_input(), shopify_tokens.app_config(current_app.config))
    return admin_auth.respond(patched.response)


def install_if_needed(domain: str, id_token: Any) -> int:
    """The first load (or the first after a reinstall) exchanges the session token for access."""
    with extensions.db().session() as db:
        shop = db.scalar(select(Shop).where(Shop.platform == "shopify", Shop.domain == domain))
        if shop is not None and shop.access_token_encrypted and shop.status == "active":
            return shop.id
        shop = shopify_tokens.exchange(db, current_app.config, id_token, current_app.config.get("SHOPIFY_HTTP_CLIENT"))
        shop_id = shop.id
    extensions.queue("aftercare-maintenance").enqueue(shop_facts.refresh, shop_id, job_timeout=120)
    help_metafield.resync(shop_id)
    return shop_id


def _link_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="admin-link")


def signed_link(shop_id: int) -> str:
    """A ten-minute link that opens one first-party session, once."""
    token = _link_serializer().dumps([shop_id, secrets.token_urlsafe(16)])
    return f"{current_app.config['APP_URL']}/admin/enter/{token}"


def _link_shop_id(token: str) -> int:
    try:
        shop_id, nonce = _link_serializer().loads(token, max_age=LINK_MAX_AGE)
    except (SignatureExpired, BadSignature, TypeError, ValueError):
        abort(403)
    if not isinstance(shop_id, int) or not isinstance(nonce, str):
        abort(403)
    if not extensions.redis().set(f"aftercare:admin-link:{nonce}", 1, nx=True, ex=LINK_MAX_AGE + 60):
        abort(403, "this link was used already; ask for a new one")
    return shop_id


@bp.get("/admin/enter/<token>")
def enter(token: str) -> ResponseReturnValue:
    admin_auth.start_session(_link_shop_id(token))
    return redirect(url_for("admin.first_party_home"))


@bp.post("/admin/sign-out-everywhere")
def sign_out_everywhere() -> ResponseReturnValue:
    """Ends every first-party session of the shop, this one included."""
    admin = admin_auth.current()
    with extensions.db().session() as db:
        admin_auth.end_all_sessions(db, db.get(Shop, admin.shop_id))
    session.clear()
    current_app.logger.info("shop %s: every admin session ended", admin.shop_id)
    return {"status": "signed out everywhere"}


@bp.get("/admin")
def first_party_home() -> ResponseReturnValue:
    return render_home(admin_auth.current())


@bp.get("/admin/data-requests/<int:export_id>")
def download_export(export_id: int) -> ResponseReturnValue:
    """A customer data request's export, as the JSON file the merchant passes on to the customer."""
    shop_id = admin_auth.current_shop_id()
    with extensions.db().session() as db:
        export = db.get(DataExport, export_id)
        if export is None or export.shop_id != shop_id:
            abort(404)
        name = f"aftercare-data-request-{export.request_id or export.id}.json"
        body = json.dumps({"request_id": export.request_id, "created_at": export.created_at.isoformat(),
                           **export.content}, indent=2, ensure_ascii=False)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


def render_home(admin: admin_auth.AdminRequest) -> Response:
    with extensions.db().session() as db:
        shop = db.get(Shop, admin.shop_id)
        status = shop_status(db, shop)
        sending = sending_status(db, shop)
        exports = [(e.id, e.request_id, e.created_at) for e in db.scalars(
            select(DataExport).where(DataExport.shop_id == admin.shop_id)
            .order_by(DataExport.created_at.desc()).limit(50))]
    platform = PLATFORMS[shop.platform]
    demo_shop = demo.is_demo(shop) and current_app.config["APP_ENV"] != "production"
    return admin_auth.page(admin, "admin/home.html", status=status, platform=platform, sending=sending, demo=demo_shop,
                           overlaps=platform["overlaps"], exports=exports)


def shop_status(db: Any, shop: Shop) -> dict[str, Any]:
    week = utcnow() - dt.timedelta(days=7)
    last = db.scalar(select(func.max(Delivery.received_at)).where(Delivery.shop_id == shop.id))
    failed = db.scalar(select(func.count()).select_from(Delivery).where(
        Delivery.shop_id == shop.id, Delivery.status == "failed", Delivery.received_at > week))
    no_email = db.scalar(select(func.count()).select_from(Message).where(
        Message.shop_id == shop.id, Message.channel == "email", Message.created_at > week,
        Message.reason.like("no recipient: the order has no email address%")))
    return {"last_delivery": last, "failed_deliveries": failed, "missing_email": no_email,
            "webhooks_healthy": last is not None and failed == 0, **failed_delivery_status(db, shop.id, week)}


def failed_delivery_status(db: Any, shop_id: int, since: dt.datetime) -> dict[str, Any]:
    """Why the last deliveries failed (their readable reasons), and how many privacy requests failed (an alert)."""
    failed = (Delivery.shop_id == shop_id) & (Delivery.status == "failed")
    privacy = db.scalar(select(func.count()).select_from(Delivery).where(
        failed, Delivery.topic.in_(sorted(PRIVACY_TOPICS)), Delivery.received_at > utcnow() - dt.timedelta(days=30)))
    reasons = [(d.topic, d.received_at, d.error or "no reason recorded") for d in db.scalars(
        select(Delivery).where(failed, Delivery.received_at > since).order_by(Delivery.id.desc()).limit(5))]
    return {"privacy_failed": privacy, "failed_reasons": reasons}


def sending_status(db: Any, shop: Shop) -> dict[str, Any]:
    """The operator's stop switch and today's cap, for the home page's alerts."""
    now = utcnow()
    cap = quotas.daily_cap(shop, now, bool(current_app.config.get("OPEN_SIGNUP")))
    return {"stopped": shop.sending_stopped, "cap": cap, "held": quotas.held_by_cap(db, shop.id),
            "sent_today": quotas.sent_today(db, shop.id, now) if cap is not None else None}
