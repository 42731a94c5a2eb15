"""The admin's Settings page."""
from __future__ import annotations

from flask import Blueprint
from flask.typing import ResponseReturnValue

from integration import admin_auth

bp = Blueprint("admin_settings", __name__, url_prefix="/admin/settings")


@bp.get("")
def index() -> ResponseReturnValue:
    return admin_auth.page(admin_auth.current(), "admin/settings.html")
