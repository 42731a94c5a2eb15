"""Shop facts from the GraphQL Admin API (through a local server) and from the shop/update webhook."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from connectors import shopify_api
from integration.db.models import Shop
from integration.shopify import facts as shop_facts
from tests.conftest import SECRET, SHOP_DOMAIN, fixture_payload
from tests.fake_shopify import FakeShopify
from tests.helpers import deliver, drain

#: the shape of Shopify's answer to SHOP_FACTS_QUERY (field names from the Admin GraphQL reference).
FACTS = {"data": {
    "shop": {"name": "Acme Outfitters", "contactEmail": "care@acme.example", "currencyCode": "EUR",
             "ianaTimezone": "Europe/Berlin", "primaryDomain": {"url": "https://acme.example"},
             "shopPolicies": [{"type": "REFUND_POLICY", "url": "https://acme.example/policies/refund-policy"},
                              {"type": "SHIPPING_POLICY", "url": "https://acme.example/policies/shipping-policy"},
                              {"type": "PRIVACY_POLICY", "url": "https://acme.example/policies/privacy-policy"}]},
    "shopLocales": [{"locale": "en", "primary": False}, {"locale": "de", "primary": True}]},
    "extensions": {"cost": {"requestedQueryCost": 3, "actualQueryCost": 3,
                            "throttleStatus": {"maximumAvailable": 2000.0, "currentlyAvailable": 1997, "restoreRate": 100.0}}}}

#: a throttled answer as Shopify's community thread shows it.
THROTTLED = {"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED",
                                                              "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
             "extensions": {"cost": {"requestedQueryCost": 752, "actualQueryCost": None,
                                     "throttleStatus": {"maximumAvailable": 1000.0, "currentlyAvailable": 666,
                                                        "restoreRate": 50.0}}}}


@pytest.fixture
def shopify() -> Iterator[FakeShopify]:
    fake = FakeShopify(SECRET)
    yield fake
    fake.close()


def test_facts_are_read_from_the_answer() -> None:
    facts = shopify_api.shop_facts(FACTS["data"])
    assert (facts.name, facts.contact_email, facts.currency, facts.timezone, facts.locale, facts.storefront_url) == (
        "Acme Outfitters", "care@acme.example", "EUR", "Europe/Berlin", "de", "https://acme.example")
    assert facts.default_help_links() == {"shipping": "https://acme.example/policies/shipping-policy",
                                          "returns": "https://acme.example/policies/refund-policy"}


def test_throttle_wait_is_the_missing_cost_over_the_restore_rate() -> None:
    assert shopify_api.throttle_wait(THROTTLED) == pytest.approx((752 - 666) / 50.0)
    assert shopify_api.throttle_wait(FACTS) is None


def test_graphql_backs_off_when_throttled_then_answers(shopify: FakeShopify) -> None:
    shopify.graphql_answers = [(200, THROTTLED), (200, FACTS)]
    waits: list[float] = []
    data = shopify_api.graphql(SHOP_DOMAIN, "shpat_x", shopify_api.SHOP_FACTS_QUERY, "2026-10",
                               http_client=shopify.client(), sleep=waits.append)
    assert data["shop"]["name"] == "Acme Outfitters" and waits == [pytest.approx(1.72)]
    assert [(r["host"], r["path"], r["access_token_header"]) for r in shopify.requests] == [
        (SHOP_DOMAIN, "/admin/api/2026-10/graphql.json", "shpat_x")] * 2


def test_graphql_gives_up_on_other_errors(shopify: FakeShopify) -> None:
    shopify.graphql_answers = [(200, {"errors": [{"message": "Field 'nope' doesn't exist on type 'Shop'"}]})]
    with pytest.raises(shopify_api.ShopifyApiError):
        shopify_api.graphql(SHOP_DOMAIN, "shpat_x", "{ shop { nope } }", "2026-10", http_client=shopify.client(),
                            sleep=lambda s: None)


def test_refresh_stores_facts_and_fills_only_missing_help_links(app: Any, shop_id: int, shopify: FakeShopify) -> None:
    shopify.graphql_answers = [(200, FACTS)]
    with app.extensions["aftercare.db"].session() as session:
        session.get(Shop, shop_id).help_links = {"returns": "https://acme.example/returns"}
    with app.app_context():
        assert shop_facts.refresh(shop_id, http_client=shopify.client()) == "refreshed"
    assert shopify.requests[0]["access_token_header"] == "shpat_test"
    with app.extensions["aftercare.db"].session() as session:
        shop = session.get(Shop, shop_id)
    assert (shop.name, shop.currency, shop.timezone, shop.locale) == ("Acme Outfitters", "EUR", "Europe/Berlin", "de")
    assert shop.help_links["returns"] == "https://acme.example/returns"  # the merchant's own link stays
    assert shop.help_links["shipping"] == "https://acme.example/policies/shipping-policy"  # filled in


def test_shop_update_webhook_updates_the_facts(app: Any, shop_id: int) -> None:
    payload = fixture_payload("shop/update") | {"iana_timezone": "America/Chicago", "currency": "CAD"}
    deliver(app.test_client(), "shop/update", payload)
    drain(app)
    with app.extensions["aftercare.db"].session() as session:
        shop = session.get(Shop, shop_id)
    assert (shop.name, shop.contact_email, shop.currency, shop.timezone) == (
        "Super Toys", "super@supertoys.com", "CAD", "America/Chicago")
