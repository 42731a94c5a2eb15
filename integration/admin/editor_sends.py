"""Test sends from the template editor cannot relay: they go only to the shop's own contact address and to
addresses and numbers the merchant verified with a code, at most TEST_SENDS_PER_HOUR per shop, and every
one (verification codes included) is recorded for the Activity page.

`POST /admin/test-recipients` sends a six-digit code to a new address or number (fixed text, nothing the
merchant writes); `POST /admin/test-recipients/confirm` adds it once the code comes back.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets
from typing import Any

import phonenumbers
from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from marshmallow import Schema, ValidationError, fields, validate
from marshmallow.validate import Email
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from integration.admin import auth as admin_auth
from integration.db.database import utcnow
from integration.db.models import EditorSend, Shop
from integration.runtime import extensions
from notifications import channels

log = logging.getLogger(__name__)
bp = Blueprint("editor_sends", __name__, url_prefix="/admin/test-recipients")

CODE_TTL = 900
CODE_TRIES = 5
MAX_VERIFIED = 10
VERIFICATION = "verification"


class TestSendRefusedError(Exception):
    """A test send or verification refused, with the HTTP status and a reason the merchant reads."""

    __test__ = False

    def __init__(self, status: int, reason: str, retry_after: int | None = None) -> None:
        super().__init__(reason)
        self.status, self.reason, self.retry_after = status, reason, retry_after


@bp.errorhandler(TestSendRefusedError)
def _refused(exc: TestSendRefusedError) -> ResponseReturnValue:
    return refusal(exc)


def refusal(exc: TestSendRefusedError) -> ResponseReturnValue:
    headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else {}
    return jsonify(sent=False, error=exc.reason, detail=exc.reason), exc.status, headers


# --- who may receive a test -----------------------------------------------------------------------

def normalized(channel: str, value: Any) -> str:
    """An email address (lower case) or an E.164 number; refused when it is neither."""
    text = value.strip() if isinstance(value, str) else ""
    if channel == "email":
        try:
            return str(Email()(text)).lower()
        except ValidationError as exc:
            raise TestSendRefusedError(400, "not an email address") from exc
    try:
        number = phonenumbers.parse(text, "US")
    except phonenumbers.NumberParseException as exc:
        raise TestSendRefusedError(400, "not a phone number") from exc
    if not phonenumbers.is_valid_number(number):
        raise TestSendRefusedError(400, "not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def allowed_recipients(shop: Shop) -> list[str]:
    """The shop's own contact address (from the platform) and what the merchant verified."""
    own = [shop.contact_email.strip().lower()] if shop.contact_email else []
    return own + [r for r in (shop.verified_recipients or []) if r not in own]


def check_recipient(shop: Shop, recipient: str) -> None:
    if recipient not in allowed_recipients(shop):
        raise TestSendRefusedError(403, "tests go only to the shop's contact address or to an address or number "
                                        "verified with a code (Send a test → Add a recipient)")


def check_sending(shop: Shop) -> None:
    if shop.sending_stopped:
        raise TestSendRefusedError(403, f"sending is stopped for this shop: {shop.sending_stopped}")


def check_rate(db: Session, shop_id: int) -> None:
    """At most TEST_SENDS_PER_HOUR tests and codes per shop in any hour; 429 with when to try again."""
    since = utcnow() - dt.timedelta(hours=1)
    sent = db.scalars(select(EditorSend.created_at).where(EditorSend.shop_id == shop_id, EditorSend.created_at > since)
                      .order_by(EditorSend.created_at)).all()
    limit = int(current_app.config.get("TEST_SENDS_PER_HOUR", 10))
    if len(sent) >= limit:
        wait = int((sent[len(sent) - limit] - since).total_seconds()) + 1
        raise TestSendRefusedError(429, f"at most {limit} test sends per hour; try again in {wait // 60 + 1} "
                                        "minutes", retry_after=max(wait, 1))


def admit(db: Session, shop: Shop, channel: str, to: Any) -> str:
    """The checked recipient of a test send, or the refusal."""
    recipient = normalized(channel, to)
    check_sending(shop)
    check_recipient(shop, recipient)
    check_rate(db, shop.id)
    return recipient


def record(shop_id: int, message_type: str, channel: str, recipient: str, answer: channels.SendResult) -> None:
    with extensions.db().session() as db:
        db.add(EditorSend(shop_id=shop_id, message_type=message_type, channel=channel, recipient=recipient,
                          outcome=answer.outcome, detail=(answer.detail or "")[:500], created_at=utcnow()))
    log.info("shop %s: test %s %s: %s", shop_id, message_type, channel, answer.outcome)


def recent(db: Session, shop_id: int, limit: int = 50) -> list[EditorSend]:
    return list(db.scalars(select(EditorSend).where(EditorSend.shop_id == shop_id)
                           .order_by(EditorSend.created_at.desc(), EditorSend.id.desc()).limit(limit)))


def count_last_hour(db: Session, shop_id: int) -> int:
    since = utcnow() - dt.timedelta(hours=1)
    return int(db.scalar(select(func.count()).select_from(EditorSend).where(
        EditorSend.shop_id == shop_id, EditorSend.created_at > since)) or 0)


# --- verifying a new recipient --------------------------------------------------------------------

class RecipientSchema(Schema):
    channel = fields.String(required=True, validate=validate.OneOf(["email", "sms"]))
    to = fields.String(required=True, validate=validate.Length(min=3, max=255))


class ConfirmSchema(RecipientSchema):
    code = fields.String(required=True, validate=validate.Regexp(r"^\d{6}$"))


def _body(schema: Schema) -> dict[str, Any]:
    try:
        return dict(schema.load(request.get_json(silent=True) or {}))
    except ValidationError as exc:
        raise TestSendRefusedError(400, "check " + ", ".join(sorted(exc.messages))) from exc


def _code_key(shop_id: int, recipient: str) -> str:
    return f"aftercare:verify:{shop_id}:{hashlib.sha256(recipient.encode()).hexdigest()}"


def _code_message(shop: Shop, channel: str, recipient: str, code: str) -> channels.Outgoing:
    text = (f"{code} is the code to receive Aftercare test messages for {shop.name}. "
            "If you did not ask for it, ignore this message.")
    return channels.Outgoing(ledger_id=None, shop_id=shop.id, channel=channel, recipient=recipient,
                             subject="Your Aftercare verification code" if channel == "email" else None,
                             text=text, html=None, sender_name="Aftercare", sms_sender=shop.sms_sender)


@bp.post("")
def send_code() -> ResponseReturnValue:
    admin = admin_auth.current()
    data = _body(RecipientSchema())
    with extensions.db().session() as db:
        shop = db.get(Shop, admin.shop_id)
        recipient = normalized(data["channel"], data["to"])
        check_sending(shop)
        check_rate(db, shop.id)
        code = f"{secrets.randbelow(10**6):06d}"
        outgoing = _code_message(shop, data["channel"], recipient, code)
    extensions.redis().set(_code_key(admin.shop_id, recipient), f"{_digest(code)}:0", ex=CODE_TTL)
    answer = channels.sender_for(data["channel"], current_app.config, extensions.db()).send(outgoing)
    record(admin.shop_id, VERIFICATION, data["channel"], recipient, answer)
    return jsonify(sent=answer.outcome == channels.SENT, outcome=answer.outcome)


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _check_code(shop_id: int, recipient: str, code: str) -> None:
    key, connection = _code_key(shop_id, recipient), extensions.redis()
    stored = connection.get(key)
    digest, tries = stored.decode().split(":") if stored else ("", str(CODE_TRIES))
    if int(tries) >= CODE_TRIES:
        raise TestSendRefusedError(404, "no code is waiting for this recipient; send a new one")
    if not hmac.compare_digest(digest, _digest(code)):
        connection.set(key, f"{digest}:{int(tries) + 1}", keepttl=True)
        raise TestSendRefusedError(400, "the code does not match")
    connection.delete(key)


@bp.post("/confirm")
def confirm() -> ResponseReturnValue:
    admin = admin_auth.current()
    data = _body(ConfirmSchema())
    recipient = normalized(data["channel"], data["to"])
    _check_code(admin.shop_id, recipient, data["code"])
    with extensions.db().session() as db:
        shop = db.get(Shop, admin.shop_id)
        verified = [r for r in (shop.verified_recipients or []) if r != recipient]
        shop.verified_recipients = ([recipient] + verified)[:MAX_VERIFIED]
        allowed = allowed_recipients(shop)
    log.info("shop %s: a %s test recipient was verified", admin.shop_id, data["channel"])
    return jsonify(verified=True, recipient=recipient, recipients=allowed)
