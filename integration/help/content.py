"""What the storefront shows per page type: one "help block" per (shop, page, locale).

The storefront script (via the help-links JSON), the WooCommerce plugin's container and Shopify's
checkout / customer-account extensions (via an app-owned shop metafield) all read this one shape:

    {"page": "thank_you", "locale": "en", "heading": "Need help with your order?",
     "notes": ["We reply within 4 business hours."],
     "links": [{"id": "0", "label": "Track my order", "url": "https://…"}]}

The metafield value gathers the blocks of every locale the shop has text for:

    {"version": 1, "default_locale": "en", "locales": {"en": {"thank_you": block, "order_status": block}}}

Text per locale (`Shop.storefront_text`) replaces the heading, the notes and the links' labels (by position)
of the shop's default text; what a locale leaves out stays in the default language.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from integration.db.models import Shop
from integration.help.notes import effective_notes
from integration.help.pages import PAGE_TYPES, effective_page_links

VERSION = 1
#: the heading each page type shows above its links (the shop's default language).
HEADINGS = {
    "product": "Shipping and returns",
    "cart": "Before you check out",
    "thank_you": "Need help with your order?",
}
#: the pages Shopify's own extensions render, and the page type whose links they show.
EXTENSION_PAGES = {"thank_you": "thank_you", "order_status": "thank_you"}
LOCALE_TAG = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8}){0,3}")


class UnknownPage(ValueError):
    """A page type the storefront does not know."""


def normal_tag(tag: str | None) -> str | None:
    """`fr_FR` and `fr-fr` as `fr-FR`; None for what is not a language tag."""
    if not tag or not LOCALE_TAG.fullmatch(tag):
        return None
    language, *rest = tag.replace("_", "-").split("-")
    return "-".join([language.lower(), *(part.upper() if len(part) == 2 else part for part in rest)])


def text_locale(shop: Shop, wanted: str | None) -> str | None:
    """The key of `storefront_text` that serves `wanted`: the same tag, else the bare language, else (unless
    the shop's default text is in that language) another tag of the language; None: the default text."""
    tag, texts = normal_tag(wanted), shop.storefront_text or {}
    if tag is None or not texts:
        return None
    language = tag.split("-")[0]
    exact = {normal_tag(key): key for key in texts}
    if tag in exact or language in exact:
        return exact.get(tag) or exact[language]
    if language == (normal_tag(shop.locale) or "").split("-")[0]:
        return None
    return next((key for key in texts if (normal_tag(key) or "").split("-")[0] == language), None)


def _translated(block: dict[str, Any], text: Mapping[str, Any]) -> dict[str, Any]:
    labels = text.get("labels") or []
    links = [{**link, "label": labels[i] if i < len(labels) and labels[i] else link["label"]}
             for i, link in enumerate(block["links"])]
    return {**block, "heading": text.get("heading") or block["heading"],
            "notes": list(text["notes"]) if text.get("notes") else block["notes"], "links": links}


def help_block(shop: Shop, page: str, locale: str | None = None) -> dict[str, Any]:
    """The block for one page type, in `locale` where the merchant gave text for it (else the default)."""
    if page not in PAGE_TYPES:
        raise UnknownPage(page)
    links = effective_page_links(shop.page_links, shop.help_links)[page]
    block = {
        "page": page,
        "locale": shop.locale,
        "heading": HEADINGS[page],
        "notes": effective_notes(shop.page_notes, shop.storefront_facts, shop.ships_within_days)[page],
        "links": [{"id": str(index), "label": link["label"], "url": link["url"]}
                  for index, link in enumerate(links)],
    }
    chosen = text_locale(shop, locale)
    if chosen is None:
        return block
    return {**_translated(block, (shop.storefront_text or {})[chosen].get(page) or {}), "locale": chosen}


def metafield_value(shop: Shop) -> dict[str, Any]:
    """What the checkout and customer-account extensions read from the app-owned shop metafield."""
    texts = {shop.locale: None, **{key: key for key in shop.storefront_text or {} if key != shop.locale}}
    return {"version": VERSION, "default_locale": shop.locale,
            "locales": {tag: {name: {**help_block(shop, page, wanted), "locale": tag}
                              for name, page in EXTENSION_PAGES.items()} for tag, wanted in texts.items()}}
