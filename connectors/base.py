"""What every platform connector offers, and the errors it raises. No I/O, no framework."""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass


class ConnectorError(Exception):
    """Base class for connector errors."""


class MalformedPayload(ConnectorError):
    """The payload is not what the platform documents; retrying will not help."""


@dataclass(frozen=True)
class Verification:
    ok: bool
    detail: str


@dataclass(frozen=True)
class DeliveryKey:
    """How a delivery is deduplicated (DESIGN §5), with the ids kept beside it."""

    dedupe_key: str
    event_id: str | None = None
    webhook_id: str | None = None
    resource_id: str | None = None
    triggered_at: dt.datetime | None = None


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header by case-insensitive name (HTTP/2 lowercases them)."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None
