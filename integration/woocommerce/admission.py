"""Who may become a tenant is the operator's choice.

Anyone can stand up a public WooCommerce store, so a store that proved itself still waits for the operator
(`pending_approval`: nothing sent, no webhooks, no admin) unless its host matches `ALLOWED_STORES`
(comma-separated host names, `*.example.com` for any subdomain of example.com) or the instance is open to
all (`OPEN_SIGNUP=1`, where the sending quotas apply). `flask shop approve` lets a waiting store start.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from integration.db.database import utcnow
from integration.db.models import Shop
from integration.runtime import extensions

log = logging.getLogger(__name__)

PENDING = "pending_approval"


def _patterns(value: Any) -> list[str]:
    return [p.strip().lower().rstrip(".") for p in re.split(r"[,\s]+", str(value or "")) if p.strip()]


def host_allowed(host: str, patterns: list[str]) -> bool:
    """`host` is one of the patterns, or a subdomain of a `*.` pattern's domain."""
    host = host.lower().rstrip(".")
    return any(host.endswith(p[1:]) if p.startswith("*.") else host == p for p in patterns)


def admitted(store_url: str, settings: Mapping[str, Any] | None = None) -> bool:
    """Whether a store that proved itself starts at once (allowed host, or an instance open to all)."""
    settings = settings if settings is not None else extensions.current_config()
    host = urlsplit(store_url).hostname or ""
    return bool(settings.get("OPEN_SIGNUP")) or host_allowed(host, _patterns(settings.get("ALLOWED_STORES")))


def starting_status(shop: Shop, store_url: str) -> str:
    """A connecting store's status: active when admitted or approved before, else waiting for approval."""
    return "active" if shop.approved_at is not None or admitted(store_url) else PENDING


def find_shop(session: Session, which: str) -> Shop | None:
    """A WooCommerce shop by id or by domain (as `domain_of` writes it)."""
    query = select(Shop).where(Shop.platform == "woocommerce")
    if which.isascii() and which.isdigit():
        return session.scalar(query.where(Shop.id == int(which))) if len(which) < 19 else None
    return session.scalar(query.where(Shop.domain == which.strip().lower().rstrip("/")))


def approve(shop: Shop) -> None:
    shop.status, shop.approved_at = "active", utcnow()
    log.info("shop %s: approved by the operator", shop.id)


def pending(session: Session) -> list[Shop]:
    return list(session.scalars(select(Shop).where(Shop.platform == "woocommerce", Shop.status == PENDING)
                                .order_by(Shop.created_at)))
