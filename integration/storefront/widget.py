"""What the storefront loads: the help-block script, the help links as JSON, and the click counter.

- `GET /storefront/manifest.json` -> `{"script": "<APP_URL>/storefront/aftercare.<hash>.js"}` (short cache);
  the hashed script is cached for a year (immutable); `GET /storefront/aftercare.js` is the same bytes with a
  short cache, for whoever cannot read the manifest.
- `GET /storefront/shops/<id>/help-links?page=<type>&locale=<tag>` -> the help block (integration.help.content)
  with an ETag, a short public cache and CORS only for the shop's own origins.
- `POST /storefront/shops/<id>/clicks` with `{"page": .., "link": ..}` as text/plain (navigator.sendBeacon) -> 204.
- `/storefront/proxy/help-links` and `/storefront/proxy/clicks`: the same through Shopify's app proxy
  (`/apps/aftercare/...` on the shop's domain), verified with shopifyapp; the shop is the signed `shop`.

The script (integration/assets/aftercare.js) fills `.aftercare-help[data-aftercare-page]` containers, or, loaded
by Shopify's app embed with an endpoint of its own, places one at the theme's product form or cart footer.
"""
from __future__ import annotations

import functools
import hashlib
import json
import logging
from pathlib import Path

from flask import Blueprint, Flask, Request, Response, current_app, request
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from flask.typing import ResponseReturnValue
from shopify_app import verify_app_proxy_req

from integration.help import clicks as help_clicks
from integration.help.pages import PAGE_TYPES
from integration.runtime import extensions
from integration.shopify import tokens as shopify_tokens
from integration.storefront.cache import Answer, cache

log = logging.getLogger(__name__)
bp = Blueprint("storefront", __name__, url_prefix="/storefront")

SCRIPT = Path(__file__).resolve().parent.parent / "assets" / "aftercare.js"
MAX_QUERY_BYTES = 1024
MAX_CLICK_BYTES = 512
SHORT_CACHE = "public, max-age=300"
JSON_CACHE = "public, max-age=60"
IMMUTABLE = "public, max-age=31536000, immutable"


class StorefrontError(Exception):
    """A request the storefront endpoints refuse; `status` and the message are the answer."""

    status = 400


class MalformedRequest(StorefrontError):
    status = 400


class UnknownShop(StorefrontError):
    status = 404


class BadSignature(StorefrontError):
    status = 401


class QueryTooLong(StorefrontError):
    status = 414


class BodyTooLarge(StorefrontError):
    status = 413


@bp.errorhandler(StorefrontError)
def refuse(error: StorefrontError) -> ResponseReturnValue:
    body = json.dumps({"error": str(error)})
    return Response(body, error.status, {"Content-Type": "application/json", "Cache-Control": "no-store"})


# --- the script -----------------------------------------------------------------------------------

@functools.cache
def script() -> tuple[bytes, str]:
    """The script's bytes and the content hash in its long-cached URL."""
    data = SCRIPT.read_bytes()
    return data, hashlib.sha256(data).hexdigest()[:16]


def script_url() -> str:
    return f"{extensions.config('APP_URL')}/storefront/aftercare.{script()[1]}.js"


def _script_response(cache_control: str) -> Response:
    data, digest = script()
    response = Response(data, headers={"Content-Type": "text/javascript; charset=utf-8", "Cache-Control": cache_control,
                                       "Access-Control-Allow-Origin": "*", "X-Content-Type-Options": "nosniff"})
    response.set_etag(digest)
    return response.make_conditional(request)


@bp.get("/manifest.json")
def manifest() -> ResponseReturnValue:
    return Response(json.dumps({"script": script_url()}), headers={"Content-Type": "application/json",
                                                                   "Cache-Control": SHORT_CACHE})


@bp.get("/aftercare.js")
def script_latest() -> ResponseReturnValue:
    return _script_response(SHORT_CACHE)


@bp.get("/aftercare.<digest>.js")
def script_hashed(digest: str) -> ResponseReturnValue:
    if digest != script()[1]:
        return Response("Not found: this version of the script is gone; ask manifest.json for the current one.",
                        404, {"Cache-Control": "no-store", "Content-Type": "text/plain"})
    return _script_response(IMMUTABLE)


# --- help links -----------------------------------------------------------------------------------

def checked_query() -> tuple[str, str | None]:
    """The page type and locale asked for."""
    if len(request.query_string) > MAX_QUERY_BYTES:
        raise QueryTooLong(f"The query string is longer than {MAX_QUERY_BYTES} bytes.")
    page = request.args.get("page", "")
    if page not in PAGE_TYPES:
        raise MalformedRequest(f"Unknown page type {page[:20]!r}; use one of {', '.join(PAGE_TYPES)}.")
    return page, request.args.get("locale") or None


def help_response(answer: Answer | None) -> Response:
    """The block, or 304 when the browser holds it; CORS for the shop's own origins. Kept lean: it is the
    storefront's hot path (bench/storefront.py)."""
    if answer is None:
        raise UnknownShop("No active shop here.")
    headers = [("ETag", f'"{answer.etag}"'), ("Cache-Control", JSON_CACHE), ("Vary", "Origin")]
    origin = (request.headers.get("Origin") or "").lower()
    if origin in answer.origins:
        headers.append(("Access-Control-Allow-Origin", origin))
    if "If-None-Match" in request.headers and request.if_none_match.contains_weak(answer.etag):
        return Response(None, 304, headers)
    return Response(answer.body, 200, headers, content_type="application/json; charset=utf-8")


@bp.get("/shops/<int:shop_id>/help-links")
def help_links(shop_id: int) -> ResponseReturnValue:
    page, locale = checked_query()
    return help_response(cache().answer(shop_id, page, locale))


# --- clicks ---------------------------------------------------------------------------------------

def click_of() -> tuple[str, str]:
    """The page type and link id of a beacon's body (text/plain JSON)."""
    if (request.content_length or 0) > MAX_CLICK_BYTES:
        raise BodyTooLarge(f"A click is at most {MAX_CLICK_BYTES} bytes.")
    raw = request.stream.read(MAX_CLICK_BYTES + 1)
    if len(raw) > MAX_CLICK_BYTES:
        raise BodyTooLarge(f"A click is at most {MAX_CLICK_BYTES} bytes.")
    try:
        click = json.loads(raw)
        return str(click["page"]), str(click["link"])
    except (ValueError, TypeError, KeyError):
        raise MalformedRequest('Send {"page": "<page type>", "link": "<link id>"}.') from None


def count(shop_id: int | None) -> Response:
    page, link_id = click_of()
    if page not in PAGE_TYPES:
        raise MalformedRequest(f"Unknown page type {page[:20]!r}.")
    answer = cache().answer(shop_id, page, None) if shop_id is not None else None
    if answer is None:
        raise UnknownShop("No active shop here.")
    if link_id not in answer.link_ids:
        raise MalformedRequest(f"The {page} page has no link {link_id[:20]!r}.")
    with extensions.db().session() as session:
        help_clicks.count_click(session, shop_id, page, link_id)
    return Response(status=204, headers={"Cache-Control": "no-store"})


@bp.post("/shops/<int:shop_id>/clicks")
def clicks(shop_id: int) -> ResponseReturnValue:
    return count(shop_id)


# --- Shopify's app proxy --------------------------------------------------------------------------

def proxied_shop_id() -> int | None:
    """The shop of a request Shopify's app proxy signed; BadSignature otherwise."""
    if len(request.query_string) > MAX_QUERY_BYTES:
        raise QueryTooLong(f"The query string is longer than {MAX_QUERY_BYTES} bytes.")
    if not all(value.isascii() for value in request.args.getlist("signature")):  # shopifyapp raises on these
        raise BadSignature("The app proxy signature is missing, stale or wrong.")
    signed = {"method": request.method, "headers": {}, "url": request.url, "body": ""}
    result = verify_app_proxy_req(signed, shopify_tokens.app_config(current_app.config))  # type: ignore[arg-type]
    if not result.ok:
        log.info("app proxy request refused: %s", result.log.code)
        raise BadSignature("The app proxy signature is missing, stale or wrong.")
    domain = request.args.get("shop")
    return cache().shopify_shop_id(domain.lower()) if domain else None


@bp.get("/proxy/help-links")
def proxy_help_links() -> ResponseReturnValue:
    shop_id = proxied_shop_id()
    page, locale = checked_query()
    return help_response(cache().answer(shop_id, page, locale) if shop_id is not None else None)


@bp.post("/proxy/clicks")
def proxy_clicks() -> ResponseReturnValue:
    return count(proxied_shop_id())


class CookielessStorefront(SecureCookieSessionInterface):
    """No session for storefront requests: they never read or set a cookie (and skip the session's cost)."""

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:  # type: ignore[override]
        if request.path.startswith(bp.url_prefix or "/storefront"):
            return self.null_session_class()
        return super().open_session(app, request)


def init_app(app: Flask) -> None:
    app.session_interface = CookielessStorefront()


def forget(shop_id: int) -> None:
    """Drop the shop's cached answers (after its settings changed)."""
    cache().forget(shop_id)

