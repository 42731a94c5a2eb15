"""Merchant templates are data, not code: python-liquid with limits, escaping and Shopify's filters."""
from __future__ import annotations

import datetime as dt
import functools
import re
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import css_inline
from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency
from liquid import Environment, RenderContext, Template
from liquid.exceptions import (
    ContextDepthError,
    LiquidError,
    LocalNamespaceLimitError,
    LoopIterationLimitError,
    OutputStreamLimitError,
    ResourceLimitError,
)
from liquid.filter import with_context

from notifications import template_limits
from notifications.template_limits import RENDER_SECONDS

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
PARTS = ("subject", "html", "text", "sms")


class TemplateError(Exception):
    """A template that does not parse or render; says where (line and column) when it can."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None,
                 template: str = "") -> None:
        where = f" (line {line}, column {column})" if line else ""
        super().__init__(f"{message}{where}")
        self.reason, self.line, self.column, self.template = message, line, column, template


class TemplateLimitError(TemplateError):
    """The render went past a limit (a value's size, loop iterations, output, time): the template is refused."""


class MessageEnvironment(Environment):
    """Limits for untrusted authors (python-liquid's documented values for that case), and checked
    filters, loops and ranges (template_limits) so that no intermediate value or render can grow unbounded."""

    template_class = template_limits.CheckedTemplate
    loop_iteration_limit = template_limits.RANGE_LIMIT
    local_namespace_limit = 2000
    output_stream_limit = 200_000
    context_depth_limit = 30


#: Amounts at or past this are not money (and Babel would spell out every digit of 1e999999).
MONEY_CEILING = Decimal(10) ** 15


def _decimal(value: Any) -> Decimal | None:
    text = "" if value is None else str(value)
    try:
        amount = Decimal(text) if 0 < len(text) <= 64 else None
    except (InvalidOperation, ValueError):
        return None
    return amount if amount is not None and amount.is_finite() and abs(amount) < MONEY_CEILING else None


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
    months, days = locale.months["format"], locale.days["format"]
    names = {"%B": months["wide"][when.month], "%b": months["abbreviated"][when.month],
             "%A": days["wide"][when.weekday()], "%a": days["abbreviated"][when.weekday()]}
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
    """Parse a template (its range literals bounded), or raise TemplateError with its line and column."""
    try:
        template = (HTML_ENV if html else TEXT_ENV).from_string(source, name=name)
        template_limits.bound_ranges(template.nodes, RenderContext(template))
    except LiquidError as exc:
        raise _located(exc, source, name) from exc
    return template


#: python-liquid's own limits, in words a merchant can act on.
LIMIT_REASONS: dict[type[LiquidError], str] = {
    LocalNamespaceLimitError: "the template's variables (assign, capture) are past the limit of "
                              f"{MessageEnvironment.local_namespace_limit:,} bytes",
    LoopIterationLimitError: f"the loops run more than the limit of {MessageEnvironment.loop_iteration_limit:,} "
                             "iterations",
    OutputStreamLimitError: f"the output is past the limit of {MessageEnvironment.output_stream_limit:,} bytes",
    ContextDepthError: "the template nests too deeply",
}


def _located(exc: LiquidError, source: str | None = None, template: str = "") -> TemplateError:
    """Line and column (both from 1, as the editor's own checks count) of the error; an error at the end of
    the input points just past its end."""
    kind = TemplateLimitError if isinstance(exc, ResourceLimitError) else TemplateError
    message = LIMIT_REASONS.get(type(exc)) or str(exc.message or exc)
    where = exc.context()
    if where:
        return kind(message, where[0], where[1] + 1, template)
    if source is not None:
        lines = source.split("\n")
        return kind(message, len(lines), len(lines[-1]) + 1, template)
    return kind(message, template=template)


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
def merchant_template(source: str, part: str) -> Template:
    """A merchant's template source for a part (its name in errors), parsed once per distinct source."""
    return parse(source, part == "html", name=part)


#: locale -> part -> source: the merchant's own templates, which win over the shipped ones.
Custom = Mapping[str, Mapping[str, str]]


def find_template(locales: list[str], message_type: str, part: str, custom: Custom | None = None) -> Template:
    """The first locale of the chain that has the part: the merchant's version, else the shipped one."""
    for locale in locales:
        source = (custom or {}).get(locale, {}).get(part)
        template = merchant_template(source, part) if source else default_template(locale, message_type, part)
        if template is not None:
            return template
    raise TemplateError(f"no {part} template for {message_type}")


@contextmanager
def one_deadline(seconds: float = RENDER_SECONDS) -> Iterator[None]:
    """Every render inside shares one deadline (all the parts of a message); an outer one wins."""
    if template_limits.DEADLINE.get() is not None:
        yield
        return
    token = template_limits.DEADLINE.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        template_limits.DEADLINE.reset(token)


def render(template: Template, context: dict[str, Any]) -> str:
    """Render within the limits, or raise TemplateError (TemplateLimitError for a limit) with line and column."""
    try:
        with one_deadline():
            return template.render(**context)
    except LiquidError as exc:
        raise _located(exc, template=template.name) from exc


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    html: str
    text: str


@one_deadline()
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


@one_deadline()
def render_sms(locales: list[str], message_type: str, context: dict[str, Any], custom: Custom | None = None) -> str:
    text = render(find_template(locales, message_type, "sms", custom), context).translate(GSM_STAND_INS)
    return " ".join(text.split())
