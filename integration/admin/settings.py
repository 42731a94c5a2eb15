"""The admin's Settings page: sender, channels, quiet hours, event age, default locale, and the help links
the storefront shows per page type (prefilled from the store's policies).

`GET /admin/settings` shows the page; the page's script saves with `POST /admin/settings` (JSON). Invalid
input answers 400 `{"errors": {"field.path": [messages]}}` and stores nothing.
"""
from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, jsonify, request, url_for
from flask.typing import ResponseReturnValue
from marshmallow import ValidationError

from integration.admin import auth as admin_auth
from integration.admin.settings_schema import MAX_LANGUAGES, MAX_LINKS, SettingsSchema, error_paths, translation_list
from integration.db.models import Shop
from integration.help import clicks as help_clicks
from integration.help.notes import FACT_NAMES, MAX_NOTES, default_notes, effective_notes
from integration.help.pages import PAGE_TYPES, default_page_links, effective_page_links
from integration.runtime import extensions
from integration.shopify import help_metafield
from integration.storefront import widget as storefront

log = logging.getLogger(__name__)
bp = Blueprint("admin_settings", __name__, url_prefix="/admin/settings")

#: the Shop columns this page edits (besides page_links).
SETTINGS = ("sender_name", "reply_to", "email_enabled", "sms_enabled", "sms_sender", "quiet_hours_start",
            "quiet_hours_end", "max_event_age_days", "locale")


# --- storage --------------------------------------------------------------------------------------

def settings_of(shop: Shop) -> dict[str, Any]:
    """What the page edits, as stored (page links and notes with the defaults where none were saved)."""
    values = {name: getattr(shop, name) for name in SETTINGS}
    values["confirm_on_hold"] = bool(shop.confirm_on_hold)
    facts = {name: (shop.storefront_facts or {}).get(name) for name in FACT_NAMES}
    return {**values, "page_links": effective_page_links(shop.page_links, shop.help_links),
            "ships_within_days": shop.ships_within_days, "storefront_facts": facts,
            "page_notes": effective_notes(shop.page_notes, shop.storefront_facts, shop.ships_within_days),
            "saved_notes": {page: (shop.page_notes or {}).get(page) for page in PAGE_TYPES},
            "generated_notes": default_notes(shop.storefront_facts, shop.ships_within_days),
            "translations": translation_list(shop.storefront_text)}


def click_counts(shop: Shop, db: Any) -> dict[str, list[tuple[str, int]]]:
    """Clicks of the last 30 days per page type, as (current label, clicks) for each current link."""
    counts = help_clicks.clicks_by_link(db, shop.id)
    links = effective_page_links(shop.page_links, shop.help_links)
    return {page: [(link["label"], counts.get((page, str(i)), 0)) for i, link in enumerate(links[page])]
            for page in PAGE_TYPES}


def load_settings(shop_id: int) -> dict[str, Any]:
    with extensions.db().session() as db:
        return settings_of(db.get(Shop, shop_id))


def load_page_data(shop_id: int) -> tuple[dict[str, Any], dict[str, list[dict[str, str]]], dict[str, Any]]:
    """The shop's settings, its policy links (what "Use store policy links" restores) and the links' clicks."""
    with extensions.db().session() as db:
        shop = db.get(Shop, shop_id)
        return settings_of(shop), default_page_links(shop.help_links), click_counts(shop, db)


def store_settings(shop_id: int, values: dict[str, Any]) -> dict[str, Any]:
    with extensions.db().session() as db:
        shop = db.get(Shop, shop_id)
        for name, value in values.items():
            setattr(shop, name, value)
    storefront.forget(shop_id)  # the storefront reads these settings through its cache
    log.info("shop %s: settings saved", shop_id)
    help_metafield.enqueue_sync(shop_id)
    return load_settings(shop_id)


# --- routes ---------------------------------------------------------------------------------------

def _json(admin: admin_auth.AdminRequest, body: dict[str, Any], status: int = 200) -> Response:
    response = jsonify(body)
    response.status_code = status
    response.headers.update(admin.headers)
    return response


@bp.get("")
def index() -> ResponseReturnValue:
    admin = admin_auth.current()
    settings, policy_links, clicks = load_page_data(admin.shop_id)
    return admin_auth.page(admin, "admin/settings.html", settings=settings, default_links=policy_links,
                           page_types=PAGE_TYPES, max_links=MAX_LINKS, save_url=url_for("admin_settings.save"),
                           clicks=clicks, max_notes=MAX_NOTES, max_languages=MAX_LANGUAGES)


@bp.post("")
def save() -> ResponseReturnValue:
    admin = admin_auth.current()
    try:
        values = SettingsSchema().load(request.get_json(silent=True))
    except ValidationError as exc:
        return _json(admin, {"errors": error_paths(exc.messages)}, 400)
    return _json(admin, store_settings(admin.shop_id, values))
