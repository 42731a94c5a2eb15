"""The admin's Messages page and template editor: every message type, on/off, what went out, and
the merchant's own templates with live preview, checks with line and column, test sends and history."""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, abort, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from integration.admin import auth as admin_auth
from integration.admin import editor_sends
from integration.admin.home import OVERLAPS, WOO_OVERLAPS
from integration.db.database import utcnow
from integration.db.models import Message, Order, Shop, TemplateVersion
from integration.runtime import extensions
from notifications import channels, rendering, samples, sms, templates_store
from notifications.types import SPECS, MessageType

bp = Blueprint("admin_messages", __name__, url_prefix="/admin/messages")

LABELS = {
    "order_confirmation": "Order confirmation", "shipping_confirmation": "Shipping confirmation",
    "shipping_update": "Shipping update", "out_for_delivery": "Out for delivery", "delivered": "Delivered",
    "delivery_problem": "Delivery problem", "delayed": "Delayed shipment", "order_cancelled": "Order cancelled",
    "refund_issued": "Refund issued",
}
#: the platform's own customer notification for the same moment (shoppers would get two).
PLATFORM_OWN = {"shopify": {kind: label for label, kind in OVERLAPS},
                "woocommerce": {kind: label for label, kind in WOO_OVERLAPS}}
COUNTED = ("sent", "failed", "suppressed", "held", "unknown")


class PartsSchema(Schema):
    subject = fields.String(validate=validate.Length(max=2000))
    html = fields.String(validate=validate.Length(max=100_000))
    text = fields.String(validate=validate.Length(max=50_000))
    sms = fields.String(validate=validate.Length(max=2000))


class EditSchema(Schema):
    locale = fields.String(load_default="en", validate=validate.Regexp(r"^[a-z]{2,3}([-_][A-Za-z0-9]{2,8})?$"))
    parts = fields.Nested(PartsSchema, load_default=dict)
    order_id = fields.Integer(load_default=None, allow_none=True)


class TestSendSchema(EditSchema):
    to = fields.String(required=True, validate=validate.Length(min=3, max=255))


class ToggleSchema(Schema):
    message_type = fields.String(required=True, validate=validate.OneOf([t.value for t in MessageType]))
    enabled = fields.Boolean(required=True)


def _load(schema: Schema) -> dict[str, Any]:
    try:
        return schema.load(request.get_json(silent=True) or {})
    except ValidationError as exc:
        raise _Invalid(exc.messages) from exc


class _Invalid(Exception):
    """A request that does not pass its schema: 400 with the errors per field."""

    def __init__(self, errors: Any) -> None:
        super().__init__("invalid request")
        self.errors = errors


@bp.errorhandler(_Invalid)
def _invalid(exc: _Invalid) -> ResponseReturnValue:
    return jsonify(errors=exc.errors), 400


def _kind(message_type: str, channel: str) -> None:
    if message_type not in LABELS or channel not in templates_store.CHANNEL_PARTS:
        abort(404)


def _author(admin: admin_auth.AdminRequest) -> str:
    return "Shopify admin" if admin.embedded else "signed admin link"


# --- the Messages page ---------------------------------------------------------------------------

def _counts(db: Session, shop_id: int) -> dict[tuple[str, str, str], int]:
    since = utcnow() - dt.timedelta(days=7)
    rows = db.execute(select(Message.message_type, Message.channel, Message.status, func.count())
                      .where(Message.shop_id == shop_id, Message.created_at > since)
                      .group_by(Message.message_type, Message.channel, Message.status))
    return {(t, c, s): n for t, c, s, n in rows}


def _last_edits(db: Session, shop_id: int) -> dict[tuple[str, str], TemplateVersion]:
    rows = db.scalars(select(TemplateVersion).where(TemplateVersion.shop_id == shop_id).order_by(TemplateVersion.id))
    return {(v.message_type, v.channel): v for v in rows}


def _rows(db: Session, shop: Shop) -> list[dict[str, Any]]:
    counts, edits = _counts(db, shop.id), _last_edits(db, shop.id)
    own = PLATFORM_OWN.get(shop.platform, {})
    return [{"type": t.value, "label": LABELS[t.value], "enabled": t.value not in (shop.disabled_messages or []),
             "platform_own": own.get(t.value), "channels": [
                 {"channel": c.value, "on": shop.email_enabled if c.value == "email" else shop.sms_enabled,
                  "edit": edits.get((t.value, c.value)),
                  "counts": {s: counts.get((t.value, c.value, s), 0) for s in COUNTED}}
                 for c in SPECS[t].channels]} for t in MessageType]


@bp.get("")
def index() -> ResponseReturnValue:
    admin = admin_auth.current()
    with extensions.db().session() as db:
        rows = _rows(db, db.get(Shop, admin.shop_id))
    return admin_auth.page(admin, "admin/messages.html", rows=rows)


@bp.post("/toggle")
def toggle() -> ResponseReturnValue:
    admin = admin_auth.current()
    data = _load(ToggleSchema())
    with extensions.db().session() as db:
        shop = db.get(Shop, admin.shop_id)
        off = set(shop.disabled_messages or [])
        off = off - {data["message_type"]} if data["enabled"] else off | {data["message_type"]}
        shop.disabled_messages = sorted(off)
    return jsonify(message_type=data["message_type"], enabled=data["enabled"])


# --- the editor ----------------------------------------------------------------------------------

def _recent_orders(db: Session, shop_id: int) -> list[tuple[int, str]]:
    return [(o.id, o.name) for o in db.scalars(select(Order).where(Order.shop_id == shop_id)
                                               .order_by(Order.id.desc()).limit(20))]


@bp.get("/<message_type>/<channel>")
def editor(message_type: str, channel: str) -> ResponseReturnValue:
    admin = admin_auth.current()
    _kind(message_type, channel)
    locale = request.args.get("locale") or None
    with extensions.db().session() as db:
        shop = db.get(Shop, admin.shop_id)
        locale = locale or shop.locale or "en"
        key = (shop.id, message_type, channel, locale)
        values = samples.preview_context(shop, message_type, channel, locale)
        page = {"message_type": message_type, "label": LABELS[message_type], "channel": channel, "locale": locale,
                "parts": templates_store.in_use(db, *key), "part_names": templates_store.CHANNEL_PARTS[channel],
                "variables": samples.example_values(values), "orders": _recent_orders(db, shop.id),
                "recipients": [r for r in editor_sends.allowed_recipients(shop) if ("@" in r) == (channel == "email")],
                "versions": [(v.id, v.created_at, v.author, v.note or ("default" if not v.parts else ""))
                             for v in templates_store.versions(db, key)]}
    return admin_auth.page(admin, "admin/editor.html", editor=page)


def _order(db: Session, shop_id: int, order_id: int | None) -> Order | None:
    if order_id is None:
        return None
    order = db.get(Order, order_id)
    if order is None or order.shop_id != shop_id:
        raise _Invalid({"order_id": ["no such order in this shop"]})
    return order


def render_preview(message_type: str, channel: str, locale: str, parts: dict[str, str],
                   values: dict[str, Any]) -> dict[str, Any]:
    """What the shopper would get, rendered by the code that sends; with the SMS count."""
    custom = {locale: parts}
    if channel == "sms":
        body = rendering.render_sms([locale], message_type, values, custom)
        count = sms.count_segments(body)
        return {"sms": body, "segments": count.count, "encoding": count.encoding, "units": count.units,
                "forced_by": count.first_non_gsm}
    email = rendering.render_email([locale], message_type, values, custom)
    return {"subject": email.subject, "html": email.html, "text": email.text}


def _render_problem(exc: rendering.TemplateError, channel: str) -> dict[str, Any]:
    """A render error as the editor shows it: the part (when it is the merchant's), reason, line and column."""
    part = exc.template if exc.template in templates_store.CHANNEL_PARTS[channel] else ""
    return {"part": part, "message": exc.reason, "line": exc.line, "column": exc.column}


def _checked_preview(shop: Shop, message_type: str, channel: str, data: dict[str, Any], order: Order | None
                     ) -> dict[str, Any]:
    """The checks and, when they pass, the preview; `refused` when rendering stopped the template (a limit)."""
    values = samples.preview_context(shop, message_type, channel, data["locale"], order)
    result = templates_store.check(channel, data["parts"], values).as_json()
    if not result["errors"]:
        try:
            result["preview"] = render_preview(message_type, channel, data["locale"], data["parts"], values)
        except rendering.TemplateError as exc:
            result["errors"].append(_render_problem(exc, channel))
            result["refused"] = True
    return result


@bp.post("/<message_type>/<channel>/preview")
def preview(message_type: str, channel: str) -> ResponseReturnValue:
    """200 with the preview or the problems found while typing; 422 when rendering refused the template."""
    admin = admin_auth.current()
    _kind(message_type, channel)
    data = _load(EditSchema())
    with extensions.db().session() as db:
        shop = db.get(Shop, admin.shop_id)
        result = _checked_preview(shop, message_type, channel, data, _order(db, shop.id, data["order_id"]))
    return jsonify(result), 422 if result.get("refused") else 200


@bp.post("/<message_type>/<channel>/save")
def save(message_type: str, channel: str) -> ResponseReturnValue:
    """A new version when the template parses and renders within the limits against the sample order; else 422."""
    admin = admin_auth.current()
    _kind(message_type, channel)
    data = _load(EditSchema())
    with extensions.db().session() as db:
        shop = db.get(Shop, admin.shop_id)
        checked = _checked_preview(shop, message_type, channel, data, None)
        if checked["errors"]:
            return jsonify(saved=False, errors=checked["errors"], warnings=checked["warnings"]), 422
        values = samples.preview_context(shop, message_type, channel, data["locale"])
        try:
            version, result = templates_store.save(db, (shop.id, message_type, channel, data["locale"]),
                                                   data["parts"], values, _author(admin))
        except templates_store.TemplateRefused as exc:
            return jsonify(saved=False, **exc.check.as_json()), 422
        return jsonify(saved=True, version=version.id, **result.as_json())


@bp.post("/<message_type>/<channel>/reset")
def reset(message_type: str, channel: str) -> ResponseReturnValue:
    admin = admin_auth.current()
    _kind(message_type, channel)
    data = _load(EditSchema())
    with extensions.db().session() as db:
        version = templates_store.reset(db, (admin.shop_id, message_type, channel, data["locale"]), _author(admin))
        parts = templates_store.default_sources(message_type, channel, data["locale"])
        return jsonify(version=version.id, parts=parts)


def _version(db: Session, shop_id: int, version_id: int, message_type: str, channel: str) -> TemplateVersion:
    version = db.get(TemplateVersion, version_id)
    if version is None or (version.shop_id, version.message_type, version.channel) != (shop_id, message_type, channel):
        abort(404)
    return version


@bp.get("/<message_type>/<channel>/versions/<int:version_id>")
def show_version(message_type: str, channel: str, version_id: int) -> ResponseReturnValue:
    """A version's parts, and its diff against the one in use."""
    admin = admin_auth.current()
    with extensions.db().session() as db:
        version = _version(db, admin.shop_id, version_id, message_type, channel)
        parts = dict(version.parts) or templates_store.default_sources(message_type, channel, version.locale)
        now = templates_store.in_use(db, admin.shop_id, message_type, channel, version.locale)
        return jsonify(id=version.id, author=version.author, created_at=version.created_at.isoformat(),
                       parts=parts, diff=templates_store.diff(parts, now, channel))


@bp.post("/<message_type>/<channel>/versions/<int:version_id>/restore")
def restore(message_type: str, channel: str, version_id: int) -> ResponseReturnValue:
    admin = admin_auth.current()
    with extensions.db().session() as db:
        old = _version(db, admin.shop_id, version_id, message_type, channel)
        copy = templates_store.add_version(db, (admin.shop_id, message_type, channel, old.locale), old.parts,
                                           _author(admin), f"restored version {old.id}")
        parts = dict(old.parts) or templates_store.default_sources(message_type, channel, old.locale)
        return jsonify(version=copy.id, parts=parts)


@bp.post("/<message_type>/<channel>/test")
def send_test(message_type: str, channel: str) -> ResponseReturnValue:
    """Send the template as it stands in the editor to an address or number, through the real channel."""
    admin = admin_auth.current()
    _kind(message_type, channel)
    data = _load(TestSendSchema())
    with extensions.db().session() as db:
        shop = db.get(Shop, admin.shop_id)
        try:
            recipient = editor_sends.admit(db, shop, channel, data["to"])
        except editor_sends.TestSendRefusedError as exc:
            return editor_sends.refusal(exc)
        result = _checked_preview(shop, message_type, channel, data, _order(db, shop.id, data["order_id"]))
        if result["errors"]:
            return jsonify(sent=False, **result), 422
        outgoing = _test_outgoing(shop, channel, recipient, result["preview"])
    answer = channels.sender_for(channel, current_app.config, extensions.db()).send(outgoing)
    editor_sends.record(admin.shop_id, message_type, channel, recipient, answer)
    return jsonify(sent=answer.outcome == channels.SENT, outcome=answer.outcome, detail=answer.detail)


def _test_outgoing(shop: Shop, channel: str, recipient: str, rendered: dict[str, Any]) -> channels.Outgoing:
    if channel == "sms":
        return channels.Outgoing(ledger_id=None, shop_id=shop.id, channel="sms", recipient=recipient,
                                 text=rendered["sms"], sms_sender=shop.sms_sender)
    return channels.Outgoing(ledger_id=None, shop_id=shop.id, channel="email", recipient=recipient,
                             subject=f"[Test] {rendered['subject']}", html=rendered["html"], text=rendered["text"],
                             sender_name=shop.sender_name or shop.name, reply_to=shop.reply_to)
