"""The admin's Activity page."""
from __future__ import annotations

from flask import Blueprint
from flask.typing import ResponseReturnValue

from integration import admin_auth

bp = Blueprint("admin_activity", __name__, url_prefix="/admin/activity")


@bp.get("")
def index() -> ResponseReturnValue:
    return admin_auth.page(admin_auth.current(), "admin/activity.html")
