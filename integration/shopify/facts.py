"""A Shopify shop's facts: name, contact email, currency, time zone, locale and policy links, kept current.

From the GraphQL Admin API on install and daily; from the `shop/update` webhook whenever the merchant
changes them. Policy URLs fill the help links the merchant has not set.
"""
from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.orm import Session

from connectors import shopify_api
from connectors.events import ShopUpdated
from integration.db.models import Shop
from integration.runtime import extensions, links
from integration.shopify import help_metafield
from integration.shopify import tokens as shopify_tokens

log = logging.getLogger(__name__)


def apply(shop: Shop, facts: shopify_api.ShopFacts) -> None:
    """Store what Shopify says; help links the merchant set are kept."""
    shop.name = facts.name or shop.name
    shop.contact_email = facts.contact_email or shop.contact_email
    shop.currency = facts.currency or shop.currency
    shop.timezone = facts.timezone or shop.timezone
    shop.locale = facts.locale or shop.locale
    shop.storefront_url = links.web_link(facts.storefront_url) or shop.storefront_url
    shop.help_links = {**links.web_links(facts.default_help_links()), **(shop.help_links or {})}


def refresh(shop_id: int, http_client: Any = None) -> str:
    """RQ job: read the shop's facts through GraphQL and store them."""
    config = extensions.config
    database = extensions.db()
    with database.session() as session:
        domain = session.get(Shop, shop_id).domain
    token = shopify_tokens.access_token(database, extensions.current_config(), shop_id, http_client)
    data = shopify_api.graphql(domain, token, shopify_api.SHOP_FACTS_QUERY, config("SHOPIFY_API_VERSION"),
                               http_client=http_client)
    with database.session() as session:
        apply(session.get(Shop, shop_id), shopify_api.shop_facts(data))
    log.info("shop %s: facts refreshed", shop_id)
    help_metafield.enqueue_sync(shop_id)
    return "refreshed"


def on_shop_updated(session: Session, shop: Shop, event: ShopUpdated) -> list[Any]:
    """`shop/update`: the webhook carries the facts (not the policies)."""
    apply(shop, event.facts)
    help_metafield.enqueue_after_commit(session, shop.id)
    return []


HANDLERS = {ShopUpdated: on_shop_updated}
