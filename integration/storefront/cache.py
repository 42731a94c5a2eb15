"""The help blocks the storefront asks for, encoded once and kept a few seconds per process.

Storefront traffic is many identical reads: each (shop, page, locale) answer is built from one indexed read
of the shop's row, encoded to JSON with its ETag, and kept for `STOREFRONT_CACHE_SECONDS` (default 10).
Saving settings forgets the shop's entries in the saving process; other processes see the change when their
entry expires, which stays well inside the answer's own `Cache-Control` lifetime. A missing shop is kept
too (as None), so unknown ids cost no more than known ones. The cache is bounded (least recently used out).
"""
from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select

from integration.db.models import Shop
from integration.help.content import help_block, normal_tag
from integration.runtime import extensions

MAX_ENTRIES = 4096


@dataclass(frozen=True, slots=True)
class Answer:
    """One encoded help block and what its response needs."""

    body: bytes
    etag: str
    origins: frozenset[str]
    link_ids: frozenset[str]


def origin_of(url: str | None) -> str | None:
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme in ("http", "https") and parts.netloc else None


def shop_origins(shop: Shop) -> frozenset[str]:
    """The storefront's origin; a Shopify shop's myshopify.com origin too."""
    extra = f"https://{shop.domain}" if shop.platform == "shopify" else None
    return frozenset(filter(None, (origin_of(shop.storefront_url), origin_of(extra))))


def encode(shop: Shop, page: str, locale: str | None) -> Answer:
    block = help_block(shop, page, locale)
    body = json.dumps(block, ensure_ascii=False, separators=(",", ":")).encode()
    etag = hashlib.blake2b(body, digest_size=12).hexdigest()
    return Answer(body, etag, shop_origins(shop), frozenset(link["id"] for link in block["links"]))


class HelpCache:
    """Answers per (shop id, page, locale tag), each kept `ttl` seconds."""

    def __init__(self, ttl: float, size: int = MAX_ENTRIES) -> None:
        self.ttl, self.size = ttl, size
        self.entries: OrderedDict[tuple[int, str, str | None], tuple[float, Answer | None]] = OrderedDict()
        self.domains: dict[str, tuple[float, int | None]] = {}
        self.lock = threading.Lock()

    def answer(self, shop_id: int, page: str, locale: str | None) -> Answer | None:
        """The answer, or None for an unknown or inactive shop. Raises UnknownPage."""
        key = (shop_id, page, locale)
        entry = self.entries.get(key)
        if entry is not None and entry[0] > time.monotonic():
            return entry[1]
        answer = self._load(shop_id, page, normal_tag(locale))
        with self.lock:
            self.entries[key] = (time.monotonic() + self.ttl, answer)
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)
        return answer

    def _load(self, shop_id: int, page: str, locale: str | None) -> Answer | None:
        with extensions.db().session() as db:
            shop = db.scalar(select(Shop).where(Shop.id == shop_id, Shop.status == "active"))
            return None if shop is None else encode(shop, page, locale)

    def shopify_shop_id(self, domain: str) -> int | None:
        """The id of the active Shopify shop at `domain` (kept like the answers)."""
        entry = self.domains.get(domain)
        if entry is not None and entry[0] > time.monotonic():
            return entry[1]
        with extensions.db().session() as db:
            shop_id = db.scalar(select(Shop.id).where(Shop.platform == "shopify", Shop.domain == domain,
                                                      Shop.status == "active"))
        with self.lock:
            if len(self.domains) >= self.size:
                self.domains.clear()
            self.domains[domain] = (time.monotonic() + self.ttl, shop_id)
        return shop_id

    def forget(self, shop_id: int) -> None:
        with self.lock:
            for key in [key for key in self.entries if key[0] == shop_id]:
                del self.entries[key]
            self.domains.clear()


def cache() -> HelpCache:
    """The app's cache (one per app, made on first use)."""
    app_extensions = current_app.extensions
    if "aftercare.help_cache" not in app_extensions:
        app_extensions["aftercare.help_cache"] = HelpCache(float(extensions.config("STOREFRONT_CACHE_SECONDS")))
    return app_extensions["aftercare.help_cache"]  # type: ignore[no-any-return]
