"""The storefront page types that show help links, and the links each shows: the merchant's saved links, or until
they save some, the store's policy links (`Shop.help_links`) under labels that say what the shopper wants to do."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: storefront page types that show help links, with the names the admin uses for them.
PAGE_TYPES = {"product": "Product page", "cart": "Cart", "thank_you": "Thank-you page"}
#: default links per page type: (label, key of `Shop.help_links`).
#: labels say what the shopper wants to do, not the policy's name.
DEFAULT_LINKS = {
    "product": (("When will it arrive?", "shipping"), ("Returns", "returns"), ("Contact us", "contact")),
    "cart": (("Shipping costs", "shipping"), ("Returns", "returns"), ("Contact us", "contact")),
    "thank_you": (("Track my order", "track_order"), ("Start a return", "returns"), ("Contact us", "contact")),
}


def is_web_url(url: Any) -> bool:
    return isinstance(url, str) and url.lower().startswith(("https://", "http://"))


def default_page_links(help_links: Mapping[str, Any] | None) -> dict[str, list[dict[str, str]]]:
    """The links each page type shows until the merchant saves its own: the store's policy links."""
    links = help_links or {}
    return {kind: [{"label": label, "url": links[key]} for label, key in pairs if is_web_url(links.get(key))]
            for kind, pairs in DEFAULT_LINKS.items()}


def effective_page_links(page_links: Mapping[str, Any] | None,
                         help_links: Mapping[str, Any] | None) -> dict[str, list[dict[str, str]]]:
    """Saved links per page type; the defaults where none were saved (an empty saved list stays empty)."""
    saved, defaults = page_links or {}, default_page_links(help_links)
    return {kind: list(saved[kind]) if saved.get(kind) is not None else defaults[kind] for kind in PAGE_TYPES}
