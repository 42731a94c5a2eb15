"""Merchant templates are data, not code: python-liquid with limits, escaping and Shopify's filters."""
from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import css_inline
from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency
from liquid import Environment, Template
from liquid.exceptions import LiquidError
from liquid.filter import with_context

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
PARTS = ("subject", "html", "text", "sms")


class TemplateError(Exception):
    """A template that does not parse or render; says where (line and column) when it can."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        where = f" (line {line}, column {column})" if line else ""
        super().__init__(f"{message}{where}")
        self.line, self.column = line, column


class MessageEnvironment(Environment):
    """Limits for untrusted authors (python-liquid's documented values for that case)."""

    loop_iteration_limit = 1000
    local_namespace_limit = 2000
    output_stream_limit = 200_000
    context_depth_limit = 30


def _decimal(value: Any) -> Decimal | None:
    try:
        return None if value is None or value == "" else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _setting(context: Any, name: str, default: str) -> str:
    value = context.resolve(name, default=default)
    return value if isinstance(value, str) and value else default


def _babel_locale(tag: str) -> Locale:
    try:
        return Locale.parse(tag.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


@with_context
def money(value: Any, *, context: Any) -> str:
    amount = _decimal(value)
    if amount is None:
        return ""
    currency = _setting(context, "_currency", "USD")
    return format_currency(amount, currency, locale=_babel_locale(_setting(context, "_locale", "en")))


@with_context
def money_with_currency(value: Any, *, context: Any) -> str:
    text = money(value, context=context)
    return f"{text} {_setting(context, '_currency', 'USD')}" if text else ""


_NAME_TOKENS = re.compile(r"%[-]?[aAbB]")


def _as_datetime(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


@with_context
def date(value: Any, fmt: str = "%B %-d, %Y", *, context: Any) -> str:
    """strftime in the recipient's time zone, with month and day names in the recipient's locale."""
    when = _as_datetime(value)
    if when is None:
        return "" if value is None else str(value)
    try:
        when = when.astimezone(ZoneInfo(_setting(context, "_timezone", "UTC")))
    except ZoneInfoNotFoundError:
        pass
    locale = _babel_locale(_setting(context, "_locale", "en"))
    names = {"%B": locale.months["format"]["wide"][when.month], "%b": locale.months["format"]["abbreviated"][when.month],
             "%A": locale.days["format"]["wide"][when.weekday()], "%a": locale.days["format"]["abbreviated"][when.weekday()]}
    fmt = _NAME_TOKENS.sub(lambda m: names[m.group(0).replace("-", "")].replace("%", "%%"), fmt)
    return when.strftime(fmt)


def pluralize(count: Any, singular: str, plural: str) -> str:
    """Shopify's pluralize: the word only."""
    return singular if _decimal(count) == 1 else plural


def _environment(autoescape: bool) -> MessageEnvironment:
    env = MessageEnvironment(autoescape=autoescape)
    env.filters.update({"money": money, "money_with_currency": money_with_currency,
                        "date": date, "pluralize": pluralize})
    return env


HTML_ENV, TEXT_ENV = _environment(True), _environment(False)


def parse(source: str, html: bool, name: str = "template") -> Template:
    """Parse a template, or raise TemplateError with its line and column."""
    try:
        return (HTML_ENV if html else TEXT_ENV).from_string(source, name=name)
    except LiquidError as exc:
        raise _located(exc, source) from exc


def _located(exc: LiquidError, source: str | None = None) -> TemplateError:
    """Line and column of the error; an error at the end of the input points at the end."""
    where = exc.context()
    if where:
        return TemplateError(str(exc.message or exc), where[0], where[1])
    if source is not None:
        lines = source.split("\n")
        return TemplateError(str(exc.message or exc), len(lines), len(lines[-1]))
    return TemplateError(str(exc.message or exc))


@functools.lru_cache(maxsize=512)
def default_template(locale: str, message_type: str, part: str) -> Template | None:
    """A shipped default, parsed once; None when the locale has no such file."""
    path = TEMPLATES / "messages" / locale / message_type / f"{part}.liquid"
    if not path.exists():
        return None
    return parse(path.read_text(encoding="utf-8"), part == "html", name=str(path.relative_to(TEMPLATES)))


@functools.lru_cache(maxsize=1)
def email_layout() -> Template:
    path = TEMPLATES / "email" / "layout.html.liquid"
    return parse(path.read_text(encoding="utf-8"), True, name="email/layout.html.liquid")


def locale_chain(*candidates: str | None) -> list[str]:
    """e.g. ('fr-CA', 'de') -> ['fr-CA', 'fr', 'de', 'en']."""
    chain: list[str] = []
    for tag in [c for c in candidates if c] + ["en"]:
        for option in (tag, tag.split("-")[0].split("_")[0]):
            if option not in chain:
                chain.append(option)
    return chain


@functools.lru_cache(maxsize=1024)
def merchant_template(source: str, html: bool) -> Template:
    """A merchant's template source, parsed once per distinct source."""
    return parse(source, html, name="merchant template")


#: locale -> part -> source: the merchant's own templates, which win over the shipped ones.
Custom = Mapping[str, Mapping[str, str]]


def find_template(locales: list[str], message_type: str, part: str, custom: Custom | None = None) -> Template:
    """The first locale of the chain that has the part: the merchant's version, else the shipped one."""
    for locale in locales:
        source = (custom or {}).get(locale, {}).get(part)
        template = merchant_template(source, part == "html") if source else default_template(locale, message_type, part)
        if template is not None:
            return template
    raise TemplateError(f"no {part} template for {message_type}")


def render(template: Template, context: dict[str, Any]) -> str:
    try:
        return template.render(**context)
    except LiquidError as exc:
        raise _located(exc) from exc


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    html: str
    text: str


def render_email(locales: list[str], message_type: str, context: dict[str, Any],
                 custom: Custom | None = None) -> RenderedEmail:
    subject = " ".join(render(find_template(locales, message_type, "subject", custom), context).split())
    body = render(find_template(locales, message_type, "html", custom), context)
    from markupsafe import Markup

    page = render(email_layout(), {**context, "content": Markup(body), "subject": subject})
    text = render(find_template(locales, message_type, "text", custom), context).strip() + "\n"
    return RenderedEmail(subject, css_inline.inline(page), text)


#: Typographic characters that would force a whole SMS into UCS-2, and their GSM-7 stand-ins.
GSM_STAND_INS = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2013": "-", "\u2014": "-",
                               "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2026": "..."})


def render_sms(locales: list[str], message_type: str, context: dict[str, Any], custom: Custom | None = None) -> str:
    text = render(find_template(locales, message_type, "sms", custom), context).translate(GSM_STAND_INS)
    return " ".join(text.split())
