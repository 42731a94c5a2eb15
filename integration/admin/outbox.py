"""The Outbox (`/admin/outbox`): the emails and SMS the outbox channel kept, as the shopper would see them,
and, on the development demo shop, the button that replays a demo order's life."""
from __future__ import annotations

from flask import Blueprint, abort
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from integration.admin import auth as admin_auth
from integration.admin import demo
from integration.db.models import OutboxMessage, Shop
from integration.runtime import extensions

bp = Blueprint("admin_outbox", __name__, url_prefix="/admin")
PAGE_SIZE = 50


@bp.get("/outbox")
def index() -> ResponseReturnValue:
    admin = admin_auth.current()
    with extensions.db().session() as session:
        kept = list(session.scalars(select(OutboxMessage).where(OutboxMessage.shop_id == admin.shop_id)
                                    .order_by(OutboxMessage.id.desc()).limit(PAGE_SIZE)))
        session.expunge_all()
    return admin_auth.page(admin, "admin/outbox.html", kept=kept, page_size=PAGE_SIZE)


@bp.post("/demo/replay")
def replay_demo() -> ResponseReturnValue:
    """The demo shop's button: a demo order's life, replayed by a worker (development only)."""
    admin = admin_auth.current()
    with extensions.db().session() as session:
        shop = session.get(Shop, admin.shop_id)
        allowed = shop is not None and demo.is_demo(shop)
    try:
        demo.check_allowed()
    except demo.DemoRefusedError:
        abort(404)
    if not allowed:
        abort(404)
    demo.enqueue_replay(admin.shop_id)
    return {"status": "replaying"}, 202
