"""Who may become a tenant is the operator's choice: on an instance open to all, new shops start with a low
daily sending cap (held until the next UTC day, never dropped, and said on the admin home); the operator's
own cap for a shop; and the operator's switch that stops a shop's sending at once."""
from __future__ import annotations

import datetime as dt
from typing import Any

from integration.db.database import utcnow
from integration.db.models import Shop
from notifications import quotas
from tests.conftest import SHOP_DOMAIN, paid_order
from tests.helpers import deliver, drain, messages, outbox
from tests.integration.admin.test_messages import Admin

ORDERS = [{"id": 820982911946154508 + n, "name": f"#{1001 + n}", "email": f"shopper{n}@example.com"}
          for n in range(5)]


def _update(app: Any, shop_id: int, **values: Any) -> None:
    with app.extensions["aftercare.db"].session() as session:
        shop = session.get(Shop, shop_id)
        for name, value in values.items():
            setattr(shop, name, value)


def _emails(app: Any) -> list[Any]:
    return [m for m in messages(app) if m.channel == "email"]  # the orders have no phone: SMS is suppressed


def _five_orders(app: Any) -> None:
    client = app.test_client()
    for order in ORDERS:
        deliver(client, "orders/create", paid_order(**order))
    drain(app)


def _cli(app: Any, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=["shop", *args])
    assert result.exit_code == 0, result.output
    return str(result.stdout)


def test_quota_starts_low_for_a_new_shop_and_grows_with_its_age() -> None:
    assert [quotas.quota_for_age(dt.timedelta(days=d)) for d in (0, 3, 10, 400)] == [50, 200, 1000, 5000]


def test_open_instance_holds_messages_over_a_new_shops_daily_quota(app: Any, shop_id: int) -> None:
    app.config.update(OPEN_SIGNUP=True)
    _update(app, shop_id, created_at=utcnow() - dt.timedelta(hours=1), daily_send_cap=None)
    with app.extensions["aftercare.db"].session() as session:
        assert quotas.daily_cap(session.get(Shop, shop_id), utcnow(), True) == 50
    _update(app, shop_id, daily_send_cap=3)  # the operator's cap for this shop wins over the quota
    _five_orders(app)
    statuses = sorted(m.status for m in _emails(app))
    assert statuses == ["held", "held", "sent", "sent", "sent"]
    held = [m for m in _emails(app) if m.status == "held"]
    midnight = quotas.day_start(utcnow()) + dt.timedelta(days=1)
    assert all(m.held_until == midnight and m.reason.startswith("daily sending cap of 3") for m in held)
    assert len(outbox(app)) == 3
    home = Admin(app).client.get("/admin").get_data(as_text=True)
    assert "Today's sending cap of 3 messages was" in home and "2 messages wait until 00:00 UTC" in home


def test_closed_instance_has_no_quota_unless_the_operator_sets_one(app: Any, shop_id: int) -> None:
    _five_orders(app)
    assert [m.status for m in _emails(app)] == ["sent"] * 5


def test_operator_cap_command_sets_and_clears_the_cap(app: Any, shop_id: int) -> None:
    _cli(app, "cap", SHOP_DOMAIN, "2")
    _five_orders(app)
    assert sorted(m.status for m in _emails(app)) == ["held"] * 3 + ["sent"] * 2
    _cli(app, "cap", str(shop_id), "default")
    with app.extensions["aftercare.db"].session() as session:
        assert session.get(Shop, shop_id).daily_send_cap is None


def test_operator_stop_switch_suppresses_sending_at_once(app: Any, shop_id: int) -> None:
    assert "sending stopped" in _cli(app, "stop", SHOP_DOMAIN, "--reason", "complaints about spam")
    _five_orders(app)
    assert {(m.status, m.reason) for m in _emails(app)} == {
        ("suppressed", "sending stopped by the operator: complaints about spam")}
    assert outbox(app) == []
    home = Admin(app).client.get("/admin").get_data(as_text=True)
    assert "Sending is stopped for this shop" in home and "complaints about spam" in home
    _cli(app, "resume", SHOP_DOMAIN)
    deliver(app.test_client(), "orders/create", paid_order(id=820982911946154600, name="#2000"))
    drain(app)
    assert len(outbox(app)) == 1
