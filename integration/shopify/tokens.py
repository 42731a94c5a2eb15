"""Shopify access that keeps working: token exchange on first load, refresh before use.

Expiring offline tokens last an hour and come with a rotating refresh token (research/shopify.md §3.3).
A refresh happens under a lock on the shop's row, so two workers never refresh at once and the rotated
pair is stored (encrypted) before anyone uses it. A refused refresh marks the shop as needing the
merchant's attention instead of failing in a loop. The HTTP calls are shopifyapp's.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import httpx
import shopify_app
from shopify_app import IdTokenDetails, TokenExchangeAccessToken
from sqlalchemy import select
from sqlalchemy.orm import Session

from integration.db.database import Database, utcnow
from integration.db.models import Shop
from integration.runtime import crypto

log = logging.getLogger(__name__)

#: refresh when less than this is left (shopifyapp refreshes inside the same margin).
REFRESH_MARGIN = dt.timedelta(seconds=60)
#: shopifyapp result codes that mean the grant is gone: only the merchant opening the app again helps.
REVOKED = frozenset({"invalid_grant", "refresh_token_expired", "invalid_client"})


class TokenUnavailable(Exception):
    """The shop has no usable token; it is marked for the merchant's attention."""


class TokenRefreshFailed(Exception):
    """Shopify could not be reached or answered an error worth retrying."""


class TokenExchangeFailed(Exception):
    """The session token could not be exchanged for an access token."""


def app_config(config: Any) -> dict[str, Any]:
    return {"client_id": config["SHOPIFY_API_KEY"] or "", "client_secret": config["SHOPIFY_API_SECRET"] or "",
            "old_client_secret": config["SHOPIFY_API_SECRET_PREVIOUS"]}


def _iso(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _as_iso(value: dt.datetime | None) -> str:
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if value else ""


def store(shop: Shop, token: TokenExchangeAccessToken, keys: str) -> None:
    """Keep the pair encrypted, with its expiry times."""
    shop.access_token_encrypted = crypto.encrypt(keys, token.token)
    shop.refresh_token_encrypted = crypto.encrypt(keys, token.refresh_token) if token.refresh_token else None
    shop.access_token_expires_at = _iso(token.expires)
    shop.refresh_token_expires_at = _iso(token.refresh_token_expires)
    shop.attention = None


def exchange(session: Session, config: Any, id_token: IdTokenDetails,
             http_client: httpx.Client | None = None) -> Shop:
    """Exchange a verified session token for an expiring offline token; install the shop if new."""
    result = shopify_app.token_exchange("offline", app_config(config), id_token=id_token, expiring=True,
                                        http_client=http_client)
    if not result.ok or result.access_token is None:
        raise TokenExchangeFailed(result.log.code)
    domain = f"{result.shop}.myshopify.com"
    shop = session.scalar(select(Shop).where(Shop.platform == "shopify", Shop.domain == domain).with_for_update())
    if shop is None:
        shop = Shop(platform="shopify", domain=domain, name=result.shop)
        session.add(shop)
    store(shop, result.access_token, config["ENCRYPTION_KEYS"])
    shop.status = "active"
    session.flush()
    log.info("shop %s: offline token stored", shop.id)
    return shop


def _current(shop: Shop, keys: str) -> TokenExchangeAccessToken:
    return TokenExchangeAccessToken(
        access_mode="offline", shop=shop.domain.removesuffix(".myshopify.com"),
        token=crypto.decrypt(keys, shop.access_token_encrypted or ""),
        expires=_as_iso(shop.access_token_expires_at) or None, scope="",
        refresh_token=crypto.decrypt(keys, shop.refresh_token_encrypted) if shop.refresh_token_encrypted else None,
        refresh_token_expires=_as_iso(shop.refresh_token_expires_at) or None, user=None,
    )


def access_token(database: Database, config: Any, shop_id: int, http_client: httpx.Client | None = None) -> str:
    """A token good for the next minutes: the stored one, or a fresh pair refreshed under the row lock."""
    keys = config["ENCRYPTION_KEYS"]
    with database.session() as session:
        shop = session.scalar(select(Shop).where(Shop.id == shop_id).with_for_update())
        if shop is None or not shop.access_token_encrypted:
            raise TokenUnavailable(f"shop {shop_id} has no access token")
        current = _current(shop, keys)
        if shop.access_token_expires_at is None or shop.access_token_expires_at > utcnow() + REFRESH_MARGIN:
            return current.token
        result = shopify_app.refresh_access_token(current, app_config(config), http_client=http_client)
        if result.ok and result.access_token is not None:
            store(shop, result.access_token, keys)
            log.info("shop %s: access token refreshed", shop_id)
            return result.access_token.token
        if result.ok:
            return current.token
        if result.log.code in REVOKED:
            shop.attention = "Shopify no longer accepts Aftercare's access: open the app in Shopify to reconnect"
            shop.access_token_encrypted = shop.refresh_token_encrypted = None
        revoked = result.log.code in REVOKED
    log.warning("shop %s: token refresh failed (%s)", shop_id, result.log.code)
    raise (TokenUnavailable if revoked else TokenRefreshFailed)(result.log.code)
