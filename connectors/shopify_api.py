"""Shopify's GraphQL Admin API: calls through shopifyapp, plus what it lacks (backing off on THROTTLED
by the reported cost), and pure readers that turn answers into what the app stores."""
from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from shopify_app import admin_graphql_request

from connectors.base import ConnectorError


class ShopifyApiError(ConnectorError):
    """A GraphQL call failed; `code` is shopifyapp's result code (or `throttled`)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code


SHOP_FACTS_QUERY = """
query AftercareShopFacts {
  shop { name contactEmail currencyCode ianaTimezone primaryDomain { url } shopPolicies { type url } }
  shopLocales(published: true) { locale primary }
}
"""

#: help link -> the shop policy that fills it by default (ShopPolicyType values).
POLICY_HELP_LINKS = {"shipping": "SHIPPING_POLICY", "returns": "REFUND_POLICY", "contact": "CONTACT_INFORMATION"}


@dataclass(frozen=True)
class ShopFacts:
    name: str | None
    contact_email: str | None
    currency: str | None
    timezone: str | None
    locale: str | None
    storefront_url: str | None
    policy_urls: dict[str, str] = field(default_factory=dict)

    def default_help_links(self) -> dict[str, str]:
        return {key: self.policy_urls[kind] for key, kind in POLICY_HELP_LINKS.items() if kind in self.policy_urls}


def shop_facts(data: Mapping[str, Any]) -> ShopFacts:
    """The answer to SHOP_FACTS_QUERY as facts."""
    shop = data.get("shop") or {}
    locales = data.get("shopLocales") or []
    primary = next((loc.get("locale") for loc in locales if loc.get("primary")), None)
    return ShopFacts(
        name=shop.get("name"), contact_email=shop.get("contactEmail"), currency=shop.get("currencyCode"),
        timezone=shop.get("ianaTimezone"), locale=primary, storefront_url=(shop.get("primaryDomain") or {}).get("url"),
        policy_urls={p["type"]: p["url"] for p in shop.get("shopPolicies") or [] if p.get("type") and p.get("url")},
    )


def throttle_wait(body: Mapping[str, Any]) -> float | None:
    """Seconds until the bucket holds the query's cost, when the answer is THROTTLED; else None."""
    codes = {(e.get("extensions") or {}).get("code") for e in body.get("errors") or []}
    messages = {e.get("message") for e in body.get("errors") or []}
    if "THROTTLED" not in codes and "Throttled" not in messages:
        return None
    cost = (body.get("extensions") or {}).get("cost") or {}
    status = cost.get("throttleStatus") or {}
    missing = float(cost.get("requestedQueryCost") or 0) - float(status.get("currentlyAvailable") or 0)
    return max(missing, 1.0) / max(float(status.get("restoreRate") or 50.0), 1.0)


def graphql(shop_domain: str, access_token: str, query: str, api_version: str,
            variables: dict[str, Any] | None = None, http_client: httpx.Client | None = None,
            sleep: Callable[[float], None] = time.sleep, attempts: int = 5) -> dict[str, Any]:
    """`data` of a GraphQL answer; waits out THROTTLED answers by their reported cost."""
    shop = shop_domain.removesuffix(".myshopify.com")
    for _ in range(attempts):
        result = admin_graphql_request(query, shop, access_token, api_version, variables=variables,
                                       http_client=http_client)
        if result.ok:
            return result.data or {}
        wait = throttle_wait(_body(result.response.body if result.response else ""))
        if wait is None:
            raise ShopifyApiError(result.log.code, result.log.detail)
        sleep(wait)
    raise ShopifyApiError("throttled", f"still throttled after {attempts} attempts")


def _body(text: str) -> dict[str, Any]:
    try:
        body = json.loads(text)
    except (TypeError, ValueError):
        return {}
    return body if isinstance(body, dict) else {}
