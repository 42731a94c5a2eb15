"""Validation of the admin's Settings page: one marshmallow schema for everything the page saves, with
errors reported by field path (`page_links.product.0.url`) so the page shows each next to its field.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from babel import Locale, UnknownLocaleError
from marshmallow import Schema, ValidationError, fields, post_load, pre_load, validate, validates_schema

from integration.help.notes import MAX_NOTE_LENGTH, MAX_NOTES
from integration.help.pages import PAGE_TYPES

MAX_LINKS = 5
MAX_LANGUAGES = 10
E164 = re.compile(r"\+[1-9][0-9]{1,14}")
ALPHANUMERIC_SENDER = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


# --- validation -----------------------------------------------------------------------------------

def _trimmed(data: Any, blank: Any = "") -> Any:
    """The object's strings without surrounding spaces; blank ones become `blank`."""
    if not isinstance(data, dict):
        return data
    return {key: (value.strip() or blank) if isinstance(value, str) else value for key, value in data.items()}


def check_sms_sender(sender: str) -> None:
    if not (E164.fullmatch(sender) or ALPHANUMERIC_SENDER.fullmatch(sender)):
        raise ValidationError("Use a phone number in international format (+15551234567) or a sender name of "
                              "up to 11 letters, digits and spaces, with at least one letter.")


def check_locale(tag: str) -> None:
    try:
        Locale.parse(tag.replace("-", "_"))
    except (ValueError, TypeError, UnknownLocaleError):
        raise ValidationError("Not a known language tag (e.g. en, de, fr-CA).") from None


def check_no_control_characters(text: str) -> None:
    if CONTROL_CHARACTERS.search(text):
        raise ValidationError("Must be a single line of text.")


class LinkSchema(Schema):
    label = fields.String(required=True, validate=validate.Length(1, 40, error="Use 1 to 40 characters."))
    url = fields.Url(required=True, schemes={"http", "https"}, validate=validate.Length(max=2000),
                     error_messages={"invalid": "Use a web address starting with https:// or http://."})

    @pre_load
    def trim(self, data: Any, **_: Any) -> Any:
        return _trimmed(data)


def _link_list() -> fields.List:
    return fields.List(fields.Nested(LinkSchema), required=True,
                       validate=validate.Length(max=MAX_LINKS, error=f"At most {MAX_LINKS} links per page."))


class PageLinksSchema(Schema):
    product = _link_list()
    cart = _link_list()
    thank_you = _link_list()


def _hour() -> fields.Integer:
    return fields.Integer(required=True, allow_none=True,
                          validate=validate.Range(0, 23, error="Use an hour from 0 to 23."))


def check_lines(limit: int, length: int, what: str) -> Any:
    """A validator for a list of single-line texts: at most `limit`, each at most `length` characters."""
    def check(items: list[Any]) -> None:
        if len(items) > limit:
            raise ValidationError(f"At most {limit} {what}.")
        for number, item in enumerate(items, 1):
            if not isinstance(item, str) or not 0 < len(item.strip()) <= length or CONTROL_CHARACTERS.search(item):
                raise ValidationError(f"Line {number}: use 1 to {length} characters on one line.")
    return check


def _lines(limit: int, length: int, what: str) -> fields.List:
    return fields.List(fields.Raw(), load_default=list, validate=check_lines(limit, length, what))


def _count(low: int, high: int, unit: str) -> fields.Integer:
    return fields.Integer(load_default=None, allow_none=True,
                          validate=validate.Range(low, high, error=f"Use {low} to {high} {unit}."))


def _short_text() -> fields.String:
    return fields.String(load_default=None, allow_none=True,
                         validate=[validate.Length(max=40), check_no_control_characters])


class FactsSchema(Schema):
    """What the generated storefront notes say (every fact optional)."""

    delivery_days_min = _count(0, 60, "days")
    delivery_days_max = _count(0, 60, "days")
    shipping_cost = _short_text()
    free_shipping_over = _short_text()
    return_days = _count(1, 365, "days")
    reply_hours = _count(1, 168, "hours")

    @pre_load
    def blanks_are_empty(self, data: Any, **_: Any) -> Any:
        return _trimmed(data, blank=None)

    @validates_schema
    def fastest_before_slowest(self, data: dict[str, Any], **_: Any) -> None:
        low, high = data.get("delivery_days_min"), data.get("delivery_days_max")
        if low is not None and high is not None and low > high:
            raise ValidationError("Must not be less than the fastest delivery.", "delivery_days_max")


def _notes() -> fields.List:
    return fields.List(fields.Raw(), allow_none=True, load_default=None,
                       validate=check_lines(MAX_NOTES, MAX_NOTE_LENGTH, "notes per page"))


class PageNotesSchema(Schema):
    """Notes per page type; None (or none given): generated from the facts."""

    product = _notes()
    cart = _notes()
    thank_you = _notes()


def check_labels(labels: list[Any]) -> None:
    """Labels by link position; an empty one keeps the default language's label."""
    if len(labels) > MAX_LINKS:
        raise ValidationError(f"At most {MAX_LINKS} labels, one per link.")
    for number, label in enumerate(labels, 1):
        if not isinstance(label, str) or len(label.strip()) > 40 or CONTROL_CHARACTERS.search(label):
            raise ValidationError(f"Line {number}: use at most 40 characters on one line.")


class PageTextSchema(Schema):
    heading = fields.String(load_default=None, allow_none=True,
                            validate=[validate.Length(max=60), check_no_control_characters])
    notes = _lines(MAX_NOTES, MAX_NOTE_LENGTH, "notes per page")
    labels = fields.List(fields.Raw(), load_default=list, validate=check_labels)


class TranslatedPagesSchema(Schema):
    product = fields.Nested(PageTextSchema, load_default=dict)
    cart = fields.Nested(PageTextSchema, load_default=dict)
    thank_you = fields.Nested(PageTextSchema, load_default=dict)


class TranslationSchema(Schema):
    locale = fields.String(required=True, validate=[validate.Length(max=20), check_locale],
                           error_messages={"null": "Enter a language tag (e.g. fr, de-CH)."})
    pages = fields.Nested(TranslatedPagesSchema, load_default=dict)


def check_translations(translations: list[dict[str, Any]]) -> None:
    tags = [normal_locale(t["locale"]) for t in translations]
    if len(set(tags)) != len(tags):
        raise ValidationError("Each language once.")


class SettingsSchema(Schema):
    sender_name = fields.String(required=True, allow_none=True,
                                validate=[validate.Length(max=255), check_no_control_characters])
    reply_to = fields.Email(required=True, allow_none=True, validate=validate.Length(max=255),
                            error_messages={"invalid": "Not a valid email address."})
    email_enabled = fields.Boolean(required=True)
    sms_enabled = fields.Boolean(required=True)
    sms_sender = fields.String(required=True, allow_none=True, validate=check_sms_sender)
    quiet_hours_start = _hour()
    quiet_hours_end = _hour()
    max_event_age_days = fields.Integer(required=True, validate=validate.Range(1, 90, error="Use 1 to 90 days."),
                                        error_messages={"null": "Enter a number of days from 1 to 90."})
    locale = fields.String(required=True, validate=[validate.Length(max=20), check_locale],
                           error_messages={"null": "Enter a language tag (e.g. en, de, fr-CA)."})
    page_links = fields.Nested(PageLinksSchema, required=True)
    ships_within_days = fields.Integer(validate=validate.Range(0, 30, error="Use 0 to 30 business days."))
    #: WooCommerce: an on-hold order (offline payment: bank transfer, cheque) gets its confirmation too.
    confirm_on_hold = fields.Boolean()
    storefront_facts = fields.Nested(FactsSchema)
    page_notes = fields.Nested(PageNotesSchema)
    translations = fields.List(fields.Nested(TranslationSchema), validate=[
        validate.Length(max=MAX_LANGUAGES, error=f"At most {MAX_LANGUAGES} languages."), check_translations])

    @pre_load
    def blanks_are_empty(self, data: Any, **_: Any) -> Any:
        return _trimmed(data, blank=None)

    @validates_schema
    def quiet_hours_both_or_neither(self, data: dict[str, Any], **_: Any) -> None:
        start, end = data.get("quiet_hours_start"), data.get("quiet_hours_end")
        if (start is None) != (end is None):
            missing = "quiet_hours_start" if start is None else "quiet_hours_end"
            raise ValidationError("Set both the start and the end, or neither (quiet hours off).", missing)
        if start is not None and start == end:
            raise ValidationError("The end must differ from the start (leave both empty to turn quiet hours off).",
                                  "quiet_hours_end")

    @post_load
    def normalise_locale(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        values = {**data, "locale": data["locale"].replace("_", "-")}
        if "page_notes" in values:
            values["page_notes"] = {page: None if not notes else [n.strip() for n in notes]
                                    for page, notes in values["page_notes"].items()}
        if "translations" in values:
            values["storefront_text"] = stored_translations(values.pop("translations"))
        return values


def normal_locale(tag: str) -> str:
    language, *rest = tag.strip().replace("_", "-").split("-")
    return "-".join([language.lower(), *(part.upper() if len(part) == 2 else part for part in rest)])


def _page_text(text: Mapping[str, Any]) -> dict[str, Any]:
    return {"heading": (text.get("heading") or "").strip() or None,
            "notes": [n.strip() for n in text.get("notes", [])],
            "labels": [label.strip() for label in text.get("labels", [])]}


def stored_translations(translations: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The page's list of languages as `Shop.storefront_text`: {tag: {page: {heading, notes, labels}}}."""
    return {normal_locale(t["locale"]): {page: _page_text(t["pages"].get(page) or {}) for page in PAGE_TYPES}
            for t in translations}


def translation_list(storefront_text: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """`Shop.storefront_text` as the page's list of languages, every page type present."""
    empty = {"heading": None, "notes": [], "labels": []}
    return [{"locale": tag, "pages": {page: {**empty, **(pages.get(page) or {})} for page in PAGE_TYPES}}
            for tag, pages in (storefront_text or {}).items()]


def error_paths(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested errors as {"page_links.product.0.url": [...]} (the page's field paths)."""
    if not isinstance(messages, dict):
        return {prefix or "_schema": [str(m) for m in messages] if isinstance(messages, list) else [str(messages)]}
    paths: dict[str, list[str]] = {}
    for key, value in messages.items():
        paths.update(error_paths(value, f"{prefix}.{key}" if prefix else str(key)))
    return paths
