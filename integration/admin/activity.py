"""The admin's Activity page: the ledger, newest first, each row with its story.

Searching goes in a POST body, never in the URL: order names, emails and phone numbers are personal
data and must not end up in access logs or browser history. A failed message can be re-sent once,
through the ledger: the re-send is a new row whose unique key makes a second one a no-op.
"""
from __future__ import annotations

import datetime as dt
import logging
import math
import re
from typing import Any, NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Blueprint, abort, jsonify, make_response, request, url_for
from flask.typing import ResponseReturnValue
from marshmallow import Schema, ValidationError, fields, pre_load, validate, validates_schema
from sqlalchemy import ColumnElement, Select, and_, func, literal, or_, select
from sqlalchemy.orm import Session

from integration.admin import auth as admin_auth
from integration.admin import editor_sends
from integration.db.database import insert_ignore, utcnow
from integration.db.models import Attempt, Delivery, Message, MessageStatus, Order, Shop
from integration.runtime import extensions
from notifications.jobs import enqueue_messages
from notifications.types import Channel, MessageType

log = logging.getLogger(__name__)
bp = Blueprint("admin_activity", __name__, url_prefix="/admin/activity")

PAGE_SIZE = 50
RESEND_SUFFIX = "|resend"
STATUSES = [s.value for s in MessageStatus]
MESSAGE_TYPES = [t.value for t in MessageType]
CHANNELS = [c.value for c in Channel]
#: a query made only of these characters, with at least PHONE_MIN_DIGITS digits, is a phone number.
PHONE_CHARS = re.compile(r"^[\d\s+().-]+$")
PHONE_MIN_DIGITS = 7
#: what phone numbers are written with besides digits (stripped in SQL to compare digits with digits).
PHONE_PUNCTUATION = (" ", "-", "+", "(", ")", ".")
OTHER_DELIVERIES_SHOWN = 50


# --- the search ----------------------------------------------------------------------------------

def _optional_choice(choices: list[str]) -> fields.String:
    return fields.String(load_default=None, allow_none=True, validate=validate.OneOf(choices))


class SearchSchema(Schema):
    """The Activity page's filters, as its script posts them (blank means any)."""

    status = _optional_choice(STATUSES)
    message_type = _optional_choice(MESSAGE_TYPES)
    channel = _optional_choice(CHANNELS)
    date_from = fields.Date(load_default=None, allow_none=True)
    date_to = fields.Date(load_default=None, allow_none=True)
    query = fields.String(load_default="", validate=validate.Length(max=200))
    page = fields.Integer(load_default=1, strict=True, validate=validate.Range(min=1, max=100_000))

    @pre_load
    def drop_blanks(self, data: Any, **_: Any) -> Any:
        if not isinstance(data, dict):
            return data
        stripped = {k: v.strip() if isinstance(v, str) else v for k, v in data.items()}
        return {k: v for k, v in stripped.items() if v not in ("", None)}

    @validates_schema
    def dates_in_order(self, data: dict[str, Any], **_: Any) -> None:
        if data["date_from"] and data["date_to"] and data["date_from"] > data["date_to"]:
            raise ValidationError("The end date is before the start date.", "date_to")


def _ledger(shop_id: int) -> Select[Any]:
    """The shop's messages with the name of their order (when the order is stored)."""
    joined = and_(Order.shop_id == Message.shop_id, Order.external_id == Message.order_key)
    return select(Message, Order.name).outerjoin(Order, joined).where(Message.shop_id == shop_id)


def _filtered(statement: Select[Any], filters: dict[str, Any], zone: dt.tzinfo) -> Select[Any]:
    for column in ("status", "message_type", "channel"):
        if filters[column]:
            statement = statement.where(getattr(Message, column) == filters[column])
    if filters["date_from"]:
        statement = statement.where(Message.created_at >= _start_of_day(filters["date_from"], zone))
    if filters["date_to"]:
        statement = statement.where(Message.created_at < _start_of_day(filters["date_to"], zone, days=1))
    if filters["query"]:
        statement = statement.where(_matching(filters["query"]))
    return statement


def _start_of_day(day: dt.date, zone: dt.tzinfo, days: int = 0) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=days), dt.time(), zone).astimezone(dt.timezone.utc)


def _shop_zone(session: Session, shop_id: int) -> dt.tzinfo:
    """Dates in the filters are the shop's calendar days."""
    try:
        return ZoneInfo(session.scalar(select(Shop.timezone).where(Shop.id == shop_id)) or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return dt.timezone.utc


def _matching(query: str) -> ColumnElement[bool]:
    """The order name (with or without its '#'), an email (part of it), or a phone number (by digits)."""
    text = query.lower()
    conditions = [func.lower(Order.name).in_(sorted({text, "#" + text.lstrip("#")}))]
    if re.search(r"[a-z@]", text):
        conditions += [func.lower(column).contains(text, autoescape=True)
                       for column in (Order.email, Message.recipient)]
    digits = re.sub(r"\D", "", query)
    if PHONE_CHARS.match(query) and len(digits) >= PHONE_MIN_DIGITS:
        conditions += [_same_phone(column, digits) for column in (Order.phone, Message.recipient)]
    return or_(*conditions)


def _same_phone(column: Any, digits: str) -> ColumnElement[bool]:
    """The stored number contains the digits asked for, or they end with it (a country code typed)."""
    stored = _digits_of(column)
    return or_(stored.contains(digits), and_(func.length(stored) >= PHONE_MIN_DIGITS, literal(digits).endswith(stored)))


def _digits_of(column: Any) -> Any:
    for character in PHONE_PUNCTUATION:
        column = func.replace(column, character, "")
    return column


def _row(message: Message, order_name: str | None) -> dict[str, Any]:
    """One line of the Activity table (the story link is an id: no personal data in the URL)."""
    return {"id": message.id, "order": order_name or message.order_key, "message_type": message.message_type,
            "channel": message.channel, "status": message.status, "reason": message.reason,
            "recipient": message.recipient, "created_at": _iso(message.created_at),
            "event_at": _iso(message.event_at), "url": url_for("admin_activity.story", message_id=message.id)}


def _iso(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def search_ledger(session: Session, shop_id: int, filters: dict[str, Any]) -> dict[str, Any]:
    """One page of the shop's messages that match, newest first, and how many match in all."""
    statement = _filtered(_ledger(shop_id), filters, _shop_zone(session, shop_id))
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    page = statement.order_by(Message.created_at.desc(), Message.id.desc())
    rows = session.execute(page.limit(PAGE_SIZE).offset((filters["page"] - 1) * PAGE_SIZE)).all()
    return {"rows": [_row(message, name) for message, name in rows], "total": total,
            "page": filters["page"], "pages": max(1, math.ceil(total / PAGE_SIZE))}


# --- the story -----------------------------------------------------------------------------------

def owned_message(session: Session, shop_id: int, message_id: int) -> Message:
    """The message, when it belongs to the shop asking; 404 otherwise (another shop's looks absent)."""
    message = session.get(Message, message_id)
    if message is None or message.shop_id != shop_id:
        abort(404)
    return message


def _order(session: Session, message: Message) -> Order | None:
    return session.scalar(select(Order).where(Order.shop_id == message.shop_id,
                                              Order.external_id == message.order_key))


def _attempts(session: Session, message: Message) -> list[Attempt]:
    return list(session.scalars(select(Attempt).where(Attempt.message_id == message.id).order_by(Attempt.number)))


def _cause(session: Session, message: Message) -> Delivery | None:
    delivery = session.get(Delivery, message.delivery_id) if message.delivery_id else None
    return delivery if delivery is not None and delivery.shop_id == message.shop_id else None


def _related_deliveries(session: Session, message: Message) -> list[Delivery]:
    """Other deliveries about the same order, shipment or refund (by the resource id they carry)."""
    keys = {message.order_key, message.shipment_key, message.occurrence.split("|")[0]} - {""}
    return list(session.scalars(select(Delivery).where(
        Delivery.shop_id == message.shop_id, Delivery.resource_id.in_(keys),
        Delivery.id != (message.delivery_id or 0)).order_by(Delivery.received_at).limit(OTHER_DELIVERIES_SHOWN)))


def _resend_of(session: Session, message: Message) -> int | None:
    """The id of this message's re-send, when it was re-sent."""
    return session.scalar(select(Message.id).where(*_same_ledger_key(message, message.occurrence + RESEND_SUFFIX)))


def _same_ledger_key(message: Message, occurrence: str) -> list[ColumnElement[bool]]:
    return [Message.shop_id == message.shop_id, Message.order_key == message.order_key,
            Message.shipment_key == message.shipment_key, Message.message_type == message.message_type,
            Message.channel == message.channel, Message.occurrence == occurrence]


def story_of(session: Session, shop_id: int, message_id: int) -> dict[str, Any]:
    """Everything the story page shows: the cause, the message as rendered, every attempt."""
    message = owned_message(session, shop_id, message_id)
    return {"message": message, "order": _order(session, message), "cause": _cause(session, message),
            "related": _related_deliveries(session, message), "attempts": _attempts(session, message),
            "resent_as": _resend_of(session, message), "can_resend": _resend_refusal(message) is None}


# --- the re-send ---------------------------------------------------------------------------------

def _resend_refusal(message: Message) -> str | None:
    if message.status != MessageStatus.FAILED.value:
        return "only a failed message can be re-sent"
    if message.occurrence.endswith(RESEND_SUFFIX):
        return "this message is itself a re-send"
    return None


def _conflict(message_id: int, reason: str) -> NoReturn:
    log.info("message %s not re-sent: %s", message_id, reason)
    abort(make_response(jsonify(error=reason), 409))


def _resend_values(message: Message) -> dict[str, Any]:
    return {"shop_id": message.shop_id, "order_key": message.order_key, "shipment_key": message.shipment_key,
            "message_type": message.message_type, "channel": message.channel,
            "occurrence": message.occurrence + RESEND_SUFFIX, "status": MessageStatus.PENDING.value,
            "next_attempt_at": utcnow(), "payload": message.payload, "event_at": message.event_at,
            "locale": message.locale, "delivery_id": message.delivery_id}


def claim_resend(session: Session, message: Message) -> int:
    """A new pending ledger row for a failed message; 409 when it is not failed or was re-sent already."""
    refusal = _resend_refusal(message)
    if refusal:
        _conflict(message.id, refusal)
    new_id = insert_ignore(session, Message, _resend_values(message))
    if new_id is None:
        _conflict(message.id, "already re-sent")
    return new_id


# --- routes --------------------------------------------------------------------------------------

@bp.get("")
def index() -> ResponseReturnValue:
    admin = admin_auth.current()
    with extensions.db().session() as session:
        test_sends = editor_sends.recent(session, admin.shop_id)
        session.expunge_all()
    return admin_auth.page(admin, "admin/activity.html", statuses=STATUSES, test_sends=test_sends,
                           message_types=MESSAGE_TYPES, channels=CHANNELS, page_size=PAGE_SIZE)


@bp.post("/search")
def search() -> ResponseReturnValue:
    admin = admin_auth.current()
    try:
        filters = SearchSchema().load(request.get_json(silent=True))
    except ValidationError as error:
        return jsonify(errors=error.normalized_messages()), 400
    with extensions.db().session() as session:
        return jsonify(search_ledger(session, admin.shop_id, filters))


@bp.get("/<int:message_id>")
def story(message_id: int) -> ResponseReturnValue:
    admin = admin_auth.current()
    with extensions.db().session() as session:
        context = story_of(session, admin.shop_id, message_id)
    return admin_auth.page(admin, "admin/activity_story.html", **context)


@bp.post("/<int:message_id>/resend")
def resend(message_id: int) -> ResponseReturnValue:
    admin = admin_auth.current()
    with extensions.db().session() as session:
        new_id = claim_resend(session, owned_message(session, admin.shop_id, message_id))
    enqueue_messages([new_id])
    log.info("message %s re-sent as message %s", message_id, new_id)
    return jsonify(id=new_id, url=url_for("admin_activity.story", message_id=new_id)), 201
