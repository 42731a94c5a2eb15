"""Rate limits on what anyone can call without signing in (Flask-Limiter on the app's Redis): the WooCommerce
connection steps and the storefront's click beacons. Over a limit the answer is 429 with Retry-After.

Limits are per client address (`PROXY_HOPS` trusted proxies in front of the app tell it the client's address)
and, for the beacons, also per shop, since Shopify's app proxy forwards every shopper from its own addresses.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask, request
from flask.typing import ResponseReturnValue
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address
from werkzeug.middleware.proxy_fix import ProxyFix

log = logging.getLogger(__name__)

def _client() -> str:
    return get_remote_address() or "unknown"


def _shop_of_path() -> str:
    return f"shop:{(request.view_args or {}).get('shop_id')}"


def _proxied_shop() -> str:
    return f"shop:{str(request.args.get('shop', ''))[:255].lower()}"


def _proxied_client() -> str:
    """The shopper's address as Shopify's proxy forwards it (the signature is checked in the view)."""
    forwarded = request.headers.get("X-Forwarded-For", "").split(",")[0].strip()
    return f"{_proxied_shop()}:{forwarded[:64] or _client()}"


#: endpoint -> [(config key of the limit, what the limit counts by)].
LIMITS: dict[str, list[tuple[str, Callable[[], str]]]] = {
    "woocommerce.connect": [("RATE_LIMIT_CONNECT", _client)],
    "woocommerce.auth_callback": [("RATE_LIMIT_AUTH_CALLBACK", _client)],
    "woocommerce.claim": [("RATE_LIMIT_CLAIM", _client)],
    "storefront.clicks": [("RATE_LIMIT_CLICKS", lambda: f"{_shop_of_path()}:{_client()}"),
                          ("RATE_LIMIT_SHOP_CLICKS", _shop_of_path)],
    "storefront.proxy_clicks": [("RATE_LIMIT_CLICKS", _proxied_client),
                                ("RATE_LIMIT_SHOP_CLICKS", _proxied_shop)],
}


def storage_uri(redis_url: str | None) -> str:
    """The limits' storage: the app's Redis (limits wants `redis+unix://` for a socket)."""
    if not redis_url:
        log.warning("REDIS_URL is not set: rate limits are counted per process")
        return "memory://"
    return "redis+unix://" + redis_url.removeprefix("unix://") if redis_url.startswith("unix://") else redis_url


def _too_many(exc: RateLimitExceeded) -> ResponseReturnValue:
    return {"error": f"too many requests: at most {exc.description}; try again later"}, 429


def init_app(app: Flask) -> None:
    hops = int(app.config.get("PROXY_HOPS", 0))
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    app.config.setdefault("RATELIMIT_STORAGE_URI", storage_uri(app.config.get("REDIS_URL")))
    limiter = Limiter(key_func=get_remote_address, app=app, headers_enabled=True, strategy="moving-window",
                      key_prefix="aftercare-limits")
    for endpoint, limits in LIMITS.items():
        view = app.view_functions[endpoint]
        for key, counted_by in limits:
            view = limiter.limit(app.config[key], key_func=counted_by, scope=f"{endpoint}:{key}")(view)
        app.view_functions[endpoint] = view
    app.register_error_handler(RateLimitExceeded, _too_many)
