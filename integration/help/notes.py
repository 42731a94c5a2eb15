"""The storefront's plain-words notes per page type, generated from the shop's facts until the merchant
writes their own: delivery time and cost, the free-shipping threshold, the return window, the reply time,
what happens after ordering and how to change the address or cancel.

Notes are short on purpose: the block fits three links and two notes in its reserved 7.5rem.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

#: the facts a merchant can give (all optional), besides `Shop.ships_within_days`.
FACT_NAMES = ("delivery_days_min", "delivery_days_max", "shipping_cost", "free_shipping_over", "return_days",
              "reply_hours")
MAX_NOTES = 3
MAX_NOTE_LENGTH = 120


def _days(count: int) -> str:
    return f"{count} business day{'s' if count != 1 else ''}"


def delivery_time(facts: Mapping[str, Any], ships_within: int) -> str:
    """The delivery-time sentence from what is known, e.g. "Ships within 2 business days, arrives in 3–5."."""
    low, high = facts.get("delivery_days_min"), facts.get("delivery_days_max")
    transit = f"{low}–{high}" if low and high and low != high else (low or high)
    shipping = f"Ships within {_days(ships_within)}"
    return f"{shipping}, arrives in {transit}." if transit else f"{shipping}."


def shipping_cost(facts: Mapping[str, Any]) -> str:
    cost, threshold = facts.get("shipping_cost"), facts.get("free_shipping_over")
    parts = ([f"Shipping {cost}"] if cost else []) + ([f"free over {threshold}"] if threshold else [])
    sentence = ", ".join(parts)
    return sentence[:1].upper() + sentence[1:] + "." if parts else ""


def returns_and_replies(facts: Mapping[str, Any]) -> str:
    days, hours = facts.get("return_days"), facts.get("reply_hours")
    parts = ([f"Returns accepted within {days} days."] if days else []) + (
        [f"We reply within {hours} business hour{'s' if hours != 1 else ''}."] if hours else [])
    return " ".join(parts)


def after_ordering(facts: Mapping[str, Any], ships_within: int) -> str:
    return f"What's next: we ship within {_days(ships_within)} and email you the tracking link."


def change_or_cancel(facts: Mapping[str, Any], ships_within: int) -> str:
    hours = facts.get("reply_hours")
    reply = f" We reply within {hours} business hour{'s' if hours != 1 else ''}." if hours else ""
    return f"To change the address or cancel, contact us before it ships.{reply}"


NoteMaker = Callable[[Mapping[str, Any], int], str]
#: what each page type says, in order (an empty sentence is left out).
PAGE_NOTES: dict[str, tuple[NoteMaker, ...]] = {
    "product": (lambda f, s: " ".join(filter(None, (delivery_time(f, s), shipping_cost(f)))),
                lambda f, s: returns_and_replies(f)),
    "cart": (lambda f, s: shipping_cost(f) or delivery_time(f, s), lambda f, s: returns_and_replies(f)),
    "thank_you": (after_ordering, change_or_cancel),
}


def default_notes(facts: Mapping[str, Any] | None, ships_within: int) -> dict[str, list[str]]:
    """The generated notes per page type."""
    known = {k: v for k, v in (facts or {}).items() if v not in (None, "")}
    return {page: [note for make in makers if (note := make(known, ships_within))]
            for page, makers in PAGE_NOTES.items()}


def effective_notes(saved: Mapping[str, Any] | None, facts: Mapping[str, Any] | None,
                    ships_within: int) -> dict[str, list[str]]:
    """Saved notes per page type; the generated ones where none were saved (an empty saved list stays empty)."""
    saved, generated = saved or {}, default_notes(facts, ships_within)
    return {page: list(saved[page]) if saved.get(page) is not None else generated[page] for page in PAGE_NOTES}
