"""What the storefront shows per page type: one "help block" per (shop, page, locale).

The storefront script (via the help-links JSON), the WooCommerce plugin's container and Shopify's
checkout / customer-account extensions (via an app-owned shop metafield) all read this one shape:

    {"page": "thank_you", "locale": "en", "heading": "Need help with your order?",
     "notes": ["We reply within 4 business hours."],
     "links": [{"id": "0", "label": "Track my order", "url": "https://…"}]}

The metafield value gathers the blocks of every locale the shop has text for:

    {"version": 1, "default_locale": "en", "locales": {"en": {"thank_you": block, "order_status": block}}}
"""
from __future__ import annotations

from typing import Any

from integration.admin_settings import PAGE_TYPES, effective_page_links
from integration.models import Shop

VERSION = 1
#: the heading each page type shows above its links (the shop's default language).
HEADINGS = {
    "product": "Shipping and returns",
    "cart": "Before you check out",
    "thank_you": "Need help with your order?",
}
#: the pages Shopify's own extensions render, and the page type whose links they show.
EXTENSION_PAGES = {"thank_you": "thank_you", "order_status": "thank_you"}


class UnknownPage(ValueError):
    """A page type the storefront does not know."""


def help_block(shop: Shop, page: str, locale: str | None = None) -> dict[str, Any]:
    """The block for one page type, in `locale` where the merchant gave text for it (else the default)."""
    if page not in PAGE_TYPES:
        raise UnknownPage(page)
    links = effective_page_links(shop.page_links, shop.help_links)[page]
    return {
        "page": page,
        "locale": shop.locale,
        "heading": HEADINGS[page],
        "notes": [],
        "links": [{"id": str(index), "label": link["label"], "url": link["url"]}
                  for index, link in enumerate(links)],
    }


def metafield_value(shop: Shop) -> dict[str, Any]:
    """What the checkout and customer-account extensions read from the app-owned shop metafield."""
    blocks = {name: help_block(shop, page, shop.locale) for name, page in EXTENSION_PAGES.items()}
    return {"version": VERSION, "default_locale": shop.locale, "locales": {shop.locale: blocks}}
