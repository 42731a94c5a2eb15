"""The merchant's own templates: versions, checks before saving, and what sending uses.

Every save is a new `TemplateVersion` row (author, time); the newest row of a (shop, type, channel,
locale) is in use, and empty parts mean the shipped default, so "reset" and "restore" are versions too.
A template that does not parse (or uses a filter that does not exist) is refused with line and column;
unknown variables are warnings that list the variables that exist.
"""
from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from liquid import Template
from sqlalchemy import select
from sqlalchemy.orm import Session

from integration.db.models import TemplateVersion
from notifications import rendering

CHANNEL_PARTS: dict[str, tuple[str, ...]] = {"email": ("subject", "html", "text"), "sms": ("sms",)}


@dataclass(frozen=True)
class Problem:
    part: str
    message: str
    line: int | None = None
    column: int | None = None


@dataclass
class Check:
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"errors": [asdict(p) for p in self.errors], "warnings": [asdict(p) for p in self.warnings]}


class TemplateRefused(Exception):
    """The template has errors; it is not saved."""

    def __init__(self, check: Check) -> None:
        super().__init__("; ".join(p.message for p in check.errors))
        self.check = check


def _newest_first(shop_id: int, message_type: str, channel: str, locales: list[str]) -> Any:
    return select(TemplateVersion).where(
        TemplateVersion.shop_id == shop_id, TemplateVersion.message_type == message_type,
        TemplateVersion.channel == channel, TemplateVersion.locale.in_(locales)).order_by(TemplateVersion.id.desc())


def current(session: Session, shop_id: int, message_type: str, channel: str, locale: str) -> TemplateVersion | None:
    return session.scalar(_newest_first(shop_id, message_type, channel, [locale]).limit(1))


def custom_sources(session: Session, shop_id: int, message_type: str, channel: str,
                   locales: list[str]) -> dict[str, dict[str, str]]:
    """locale -> parts of the merchant's templates in use (rendering.Custom), in one query."""
    newest: dict[str, TemplateVersion] = {}
    for version in session.scalars(_newest_first(shop_id, message_type, channel, locales)):
        newest.setdefault(version.locale, version)
    return {locale: dict(v.parts) for locale, v in newest.items() if v.parts}


def default_sources(message_type: str, channel: str, locale: str) -> dict[str, str]:
    """The shipped templates' text (the editor's starting point and what "reset" goes back to)."""
    sources = {}
    for part in CHANNEL_PARTS[channel]:
        for option in rendering.locale_chain(locale):
            path = rendering.TEMPLATES / "messages" / option / message_type / f"{part}.liquid"
            if path.exists():
                sources[part] = path.read_text(encoding="utf-8")
                break
    return sources


def in_use(session: Session, shop_id: int, message_type: str, channel: str, locale: str) -> dict[str, str]:
    version = current(session, shop_id, message_type, channel, locale)
    if version is not None and version.parts:
        return dict(version.parts)
    return default_sources(message_type, channel, locale)


def _position(source: str, index: int) -> tuple[int, int]:
    before = source[:index]
    return before.count("\n") + 1, index - (before.rfind("\n") + 1) + 1


def _unknown(context: Mapping[str, Any], segments: list[Any]) -> str | None:
    """Why a variable path does not resolve in the context (None when it does)."""
    value: Any = context
    for depth, segment in enumerate(segments):
        where = ".".join(map(str, segments[:depth])) or "the template"
        if value is None:
            return f"{where} is not available for this message type"
        if not isinstance(value, Mapping):
            return None  # inside a list or a value: Liquid's own properties (size, first) are fine
        if segment not in value:
            names = ", ".join(sorted(str(k) for k in value if not str(k).startswith("_")))
            return f"{where} has: {names}"
        value = value[segment]
    return None


def _check_part(part: str, source: str, context: Mapping[str, Any], check: Check) -> None:
    try:
        template: Template = rendering.parse(source, part == "html", name=part)
    except rendering.TemplateError as exc:
        check.errors.append(Problem(part, str(exc).split(" (line")[0], exc.line, exc.column))
        return
    analysis = template.analyze()
    for name, spans in analysis.filters.items():
        if name not in rendering.HTML_ENV.filters:
            line, column = _position(source, spans[0].index)
            check.errors.append(Problem(part, f"unknown filter '{name}'", line, column))
    for variables in analysis.globals.values():
        for variable in variables:
            why = _unknown(context, list(variable.segments))
            if why:
                line, column = _position(source, variable.span.index)
                check.warnings.append(Problem(part, f"unknown variable '{variable}' ({why})", line, column))


def check(channel: str, parts: Mapping[str, str], context: Mapping[str, Any]) -> Check:
    """Errors (refused) and warnings (saved) of each part, with line and column."""
    result = Check()
    for part in CHANNEL_PARTS[channel]:
        source = parts.get(part, "")
        if not source.strip():
            result.errors.append(Problem(part, "this part is empty"))
            continue
        _check_part(part, source, context, result)
    return result


def save(session: Session, key: tuple[int, str, str, str], parts: Mapping[str, str], context: Mapping[str, Any],
         author: str, note: str = "") -> tuple[TemplateVersion, Check]:
    """A new version in use; refused (TemplateRefused) when a part has errors."""
    result = check(key[2], parts, context)
    if result.errors:
        raise TemplateRefused(result)
    return add_version(session, key, {p: parts[p] for p in CHANNEL_PARTS[key[2]]}, author, note), result


def add_version(session: Session, key: tuple[int, str, str, str], parts: Mapping[str, str], author: str,
                note: str = "") -> TemplateVersion:
    """A new version in use, as given (no parts: the shipped default)."""
    shop_id, message_type, channel, locale = key
    version = TemplateVersion(shop_id=shop_id, message_type=message_type, channel=channel, locale=locale,
                              parts=dict(parts), author=author, note=note)
    session.add(version)
    session.flush()
    return version


def reset(session: Session, key: tuple[int, str, str, str], author: str) -> TemplateVersion:
    return add_version(session, key, {}, author, "reset to default")


def versions(session: Session, key: tuple[int, str, str, str]) -> list[TemplateVersion]:
    shop_id, message_type, channel, locale = key
    return list(session.scalars(_newest_first(shop_id, message_type, channel, [locale])))


def diff(old: Mapping[str, str], new: Mapping[str, str], channel: str) -> dict[str, str]:
    """A unified diff per part that differs (old version -> the one in use)."""
    out = {}
    for part in CHANNEL_PARTS[channel]:
        lines = list(difflib.unified_diff(old.get(part, "").splitlines(), new.get(part, "").splitlines(),
                                          "that version", "in use", lineterm=""))
        if lines:
            out[part] = "\n".join(lines)
    return out
