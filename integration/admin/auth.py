"""Who is asking, for every admin route (DESIGN §6).

Inside Shopify's admin: a page load carries the session token as `id_token` (an invalid or expired one
goes through Shopify's bounce page, which fetches a fresh one), and the page's own requests are `fetch`
calls with it as Bearer (App Bridge adds it). Outside (a signed admin link, the WooCommerce plugin's
link): a first-party session cookie, and a CSRF token on every state-changing request. Either way the
answer is one shop id, and every route reads and writes only that shop's rows.
"""
from __future__ import annotations

import hmac
import secrets
from typing import Any, NoReturn

from flask import Response, abort, current_app, request, session
from shopify_app import verify_app_home_req
from sqlalchemy import select

from integration.db.models import Shop
from integration.runtime import extensions
from integration.shopify import tokens as shopify_tokens

PATCH_PATH = "/auth/patch-id-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class AdminRequest:
    """The shop of this request and the headers its HTML answer must carry."""

    def __init__(self, shop_id: int, headers: dict[str, str], embedded: bool) -> None:
        self.shop_id, self.headers, self.embedded = shop_id, headers, embedded


def request_input() -> dict[str, Any]:
    return {"method": request.method, "headers": dict(request.headers), "url": request.url,
            "body": request.get_data(as_text=True)}


def respond(res: Any) -> Response:
    return Response(res.body, status=res.status, headers=dict(res.headers))


def _refuse(res: Any) -> NoReturn:
    abort(respond(res))


def _shopify_shop_id(shop: str | None) -> int:
    with extensions.db().session() as db:
        shop_id = db.scalar(select(Shop.id).where(Shop.platform == "shopify", Shop.domain == f"{shop}.myshopify.com",
                                                  Shop.status == "active"))
    if shop_id is None:
        abort(404)
    return shop_id


def _from_shopify() -> AdminRequest:
    result = verify_app_home_req(request_input(), shopify_tokens.app_config(current_app.config), PATCH_PATH)
    if not result.ok:
        _refuse(result.response)
    return AdminRequest(_shopify_shop_id(result.shop), dict(result.response.headers), embedded=True)


def _inside_shopify() -> bool:
    return bool(request.headers.get("Authorization") or request.args.get("id_token") or request.args.get("embedded"))


def current() -> AdminRequest:
    """The verified shop of this request, or the refusal (401 and bounce inside Shopify, 403 outside)."""
    if _inside_shopify():
        return _from_shopify()
    shop_id = _session_shop_id()
    if request.method not in SAFE_METHODS:
        check_csrf()
    return AdminRequest(shop_id, {"Content-Security-Policy": "frame-ancestors 'none';"}, embedded=False)


def _session_shop_id() -> int:
    """The first-party session's shop, while that shop is active and the session is not revoked."""
    shop_id, epoch = session.get("shop_id"), session.get("epoch")
    if not isinstance(shop_id, int) or not isinstance(epoch, int):
        abort(403)
    with extensions.db().session() as db:
        current_epoch = db.scalar(select(Shop.session_epoch).where(Shop.id == shop_id, Shop.status == "active"))
    if current_epoch is None or current_epoch != epoch:
        session.clear()
        abort(403, "this session has ended; open Aftercare again")
    return shop_id


def current_shop_id() -> int:
    return current().shop_id


def csrf_token() -> str:
    """The first-party session's CSRF token (sent back in the X-CSRF-Token header)."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return str(session["csrf"])


def check_csrf() -> None:
    sent = request.headers.get("X-CSRF-Token", "")
    if not sent or not hmac.compare_digest(sent, str(session.get("csrf", ""))):
        abort(403, "missing or wrong CSRF token")


def start_session(shop_id: int) -> None:
    """A signed link was followed: a fresh first-party session for an active shop (hours, not weeks)."""
    with extensions.db().session() as db:
        epoch = db.scalar(select(Shop.session_epoch).where(Shop.id == shop_id, Shop.status == "active"))
    if epoch is None:
        abort(403, "this shop is not active in Aftercare")
    session.clear()
    session.permanent = True
    session["shop_id"], session["epoch"] = shop_id, epoch
    csrf_token()


def end_all_sessions(db: Any, shop: Shop) -> None:
    """Every first-party session of the shop ends at its next request ("sign out everywhere")."""
    shop.session_epoch = (shop.session_epoch or 0) + 1


def init_app(app: Any) -> None:
    """Session cookies: HttpOnly, SameSite=Lax, Secure when the app is served over HTTPS, eight hours."""
    import datetime as dt

    hours = float(app.config.get("SESSION_HOURS", 8))
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_SECURE=str(app.config["APP_URL"]).startswith("https://"),
                      PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=hours))


#: the admin's pages, in the order the navigation shows them (the home page first).
NAV = [("admin.home", "Home"), ("admin_messages.index", "Messages"), ("admin_activity.index", "Activity"),
       ("admin_settings.index", "Settings")]
#: shown while either channel keeps its messages in the outbox (the default until SMTP or Twilio is set).
OUTBOX_NAV = ("admin_outbox.index", "Outbox")


def nav() -> list[tuple[str, str]]:
    config = current_app.config
    uses_outbox = "outbox" in (config["EMAIL_BACKEND"], config["SMS_BACKEND"])
    return NAV + [OUTBOX_NAV] if uses_outbox else NAV


#: query parameters that keep a page load inside Shopify's admin (the bounce page adds a fresh id_token).
EMBED_PARAMS = ("embedded", "shop", "host")


def admin_url(endpoint: str, **values: Any) -> str:
    """A link to an admin page that stays inside Shopify's admin when this page is."""
    from flask import url_for

    if endpoint == "admin.home":
        endpoint = "admin.app_home" if _inside_shopify() else "admin.first_party_home"
    keep = {k: request.args[k] for k in EMBED_PARAMS if k in request.args}
    return url_for(endpoint, **keep, **values)


def page(admin: AdminRequest, template: str, **context: Any) -> Response:
    """An admin page for the request's shop, with the framing policy of where it is shown."""
    from flask import render_template

    with extensions.db().session() as db:
        shop = db.get(Shop, admin.shop_id)
        if shop is None:
            abort(404)
        html = render_template(template, shop=shop, nav=nav(), admin_url=admin_url,
                               csrf_token="" if admin.embedded else csrf_token(),
                               app_bridge=admin.embedded and current_app.config["APP_ENV"] == "production",
                               api_key=current_app.config["SHOPIFY_API_KEY"] or "", **context)
    response = Response(html)
    response.headers.update(admin.headers)
    return response
