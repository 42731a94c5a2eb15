"""Links that reach a shopper (help links, policy pages, shop facts) are plain web addresses, checked where
they are stored: `javascript:`, `data:` and other schemes never enter an `href`."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

MAX_LINK_LENGTH = 2000


def web_link(value: Any) -> str | None:
    """`value` as an absolute http(s) URL with a host, or None when it is anything else."""
    if not isinstance(value, str):
        return None
    link = value.strip()
    if not link or len(link) > MAX_LINK_LENGTH or any(ch in link for ch in "\x00\r\n\t <>\"'`\\"):
        return None
    try:
        parts = urlsplit(link)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return link


def web_links(links: Mapping[str, Any] | None) -> dict[str, str]:
    """Only the entries whose value is an http(s) link."""
    checked = {str(key): web_link(value) for key, value in (links or {}).items()}
    return {key: link for key, link in checked.items() if link}
