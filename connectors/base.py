"""What every platform connector offers, and the errors it raises. No I/O, no framework."""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

#: the largest id a platform sends and a database id column holds (signed 64 bits).
MAX_ID = 2**63 - 1
#: how deep a webhook body may nest; real order bodies stay under 10 levels.
MAX_DEPTH = 64
HMAC_SHA256_BYTES = 32
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_PRINTABLE_ASCII = re.compile("[\x20-\x7e]*")


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


def clean_header(headers: Mapping[str, str], name: str, limit: int = 255) -> str | None:
    """A header's value when it is printable ASCII of at most `limit` characters; None otherwise."""
    value = header(headers, name)
    if value is None or len(value) > limit or not _PRINTABLE_ASCII.fullmatch(value):
        return None
    return value


def decode_mac(value: str | None) -> bytes | None:
    """A base64 HMAC-SHA256 from a header, or None when it is absent, not ASCII base64 or not 32 bytes.

    Checked before any hashing, so a malformed signature costs nothing.
    """
    if not value or len(value) > 64 or not value.isascii():
        return None
    try:
        mac = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    return mac if len(mac) == HMAC_SHA256_BYTES else None


def _no_constants(name: str) -> Any:
    raise MalformedPayload(f"{name} is not a JSON number")


def load_object(body: bytes, max_depth: int = MAX_DEPTH) -> dict[str, Any]:
    """A webhook body as a JSON object, exact decimals; MalformedPayload when it is not JSON, not an object,
    nested deeper than `max_depth`, or holds a lone surrogate (text no database or mail can store)."""
    try:
        payload = json.loads(body, parse_float=Decimal, parse_constant=_no_constants)
    except RecursionError:
        raise MalformedPayload(f"JSON nested deeper than {max_depth} levels") from None
    except json.JSONDecodeError as exc:
        raise MalformedPayload(f"body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except UnicodeDecodeError:
        raise MalformedPayload("body is not valid JSON: it is not UTF-8") from None
    except ValueError as exc:  # an integer of more digits than Python converts
        raise MalformedPayload(f"body is not valid JSON: {str(exc)[:80]}") from None
    if not isinstance(payload, dict):
        raise MalformedPayload("payload is not a JSON object")
    check_tree(payload, max_depth)
    return payload


def check_tree(payload: Any, max_depth: int = MAX_DEPTH) -> None:
    """Walk the parsed body without recursion: depth and lone surrogates in keys and strings."""
    stack: list[tuple[Any, int]] = [(payload, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if _LONE_SURROGATE.search(value):
                raise MalformedPayload("payload holds a lone surrogate (text that is not Unicode)")
            continue
        if not isinstance(value, (dict, list)):
            continue
        if depth > max_depth:
            raise MalformedPayload(f"JSON nested deeper than {max_depth} levels")
        children = [*value.keys(), *value.values()] if isinstance(value, dict) else value
        stack.extend((child, depth + 1) for child in children)


def platform_id(value: Any, what: str) -> int:
    """A platform id that must be an integer within 64 bits (not a bool, a decimal or a string)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        raise MalformedPayload(f"{what} is not an integer id within 64 bits")
    return value
