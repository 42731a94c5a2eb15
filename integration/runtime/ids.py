"""Row ids from outside (URL segments, headers, query values): ASCII digits within 64 bits, or nothing.

Every id column is a signed 64-bit integer on PostgreSQL (and SQLite's INTEGER); a larger number would
reach the database and fail there, so it is refused where it enters: a 404 for a URL, None for a value.
"""
from __future__ import annotations

import builtins
from typing import Any

from werkzeug.routing import IntegerConverter, Map

MAX_ID = 2**63 - 1
_DIGITS = frozenset("0123456789")


class Int64Converter(IntegerConverter):
    """Flask's `int` converter capped at 2**63 - 1: a longer id does not match the route (404)."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:  # noqa: A002 - werkzeug's name
        kwargs["max"] = MAX_ID if kwargs.get("max") is None else builtins.min(kwargs["max"], MAX_ID)
        super().__init__(map, *args, **kwargs)


def id64(value: Any) -> int | None:
    """A positive id written in ASCII digits that fits 64 bits (a header's or a query's), else None."""
    text = value if isinstance(value, str) else ""
    if not text or len(text) > 19 or not set(text) <= _DIGITS:
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None
