"""The first five minutes: with no shop, development creates a demo shop and prints its admin link; `flask demo`
(and the demo home's button) replays a realistic order's life through the real intake and jobs, so Activity and
the Outbox fill; all of it refused in production."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from integration.admin import demo
from integration.db.models import Message, OutboxMessage, Shop
from tests.conftest import add_shop
from tests.helpers import drain

EXPECTED = sorted([("order_confirmation", "email"), ("order_confirmation", "sms"),
                   ("shipping_confirmation", "email"), ("shipping_confirmation", "sms"),
                   ("shipping_confirmation", "email"), ("shipping_confirmation", "sms"),
                   ("out_for_delivery", "email"), ("out_for_delivery", "sms"),
                   ("delivered", "email"), ("delivered", "sms"),
                   ("refund_issued", "email"), ("refund_issued", "sms")])


def _cli(app: Any, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["demo", *args])


def _sent(app: Any) -> list[tuple[str, str]]:
    with app.extensions["aftercare.db"].session() as session:
        rows = session.scalars(select(Message).where(Message.status == "sent"))
        return sorted((m.message_type, m.channel) for m in rows)


def _enter(app: Any, output: str) -> Any:
    link = next(line for line in output.splitlines() if line.startswith("demo shop admin")).split(": ", 1)[1]
    client = app.test_client()
    assert client.get(link.removeprefix(app.config["APP_URL"])).status_code == 302
    return client


def test_setup_creates_the_demo_shop_and_prints_its_admin_link(app: Any) -> None:
    result = _cli(app, "--setup")
    assert result.exit_code == 0, result.output
    client = _enter(app, result.stdout)
    home = client.get("/admin").get_data(as_text=True)
    assert demo.DEMO_NAME in home and "Replay a demo order" in home
    assert _cli(app, "--setup").exit_code == 0  # a second run finds the same shop
    with app.extensions["aftercare.db"].session() as session:
        assert [s.domain for s in session.scalars(select(Shop))] == [demo.DEMO_DOMAIN]


def test_setup_creates_nothing_when_a_real_shop_exists(app: Any) -> None:
    add_shop(app)
    result = _cli(app, "--setup")
    assert result.exit_code == 0 and "demo shop admin" not in result.stdout
    with app.extensions["aftercare.db"].session() as session:
        assert session.scalar(select(Shop).where(Shop.domain == demo.DEMO_DOMAIN)) is None


def test_flask_demo_replays_an_orders_life_into_activity_and_the_outbox(app: Any) -> None:
    result = _cli(app)
    assert result.exit_code == 0, result.output
    assert "replayed 6 deliveries, 12 messages" in result.stdout
    assert _sent(app) == EXPECTED
    client = _enter(app, result.stdout)
    outbox = client.get("/admin/outbox").get_data(as_text=True)
    assert outbox.count('class="story outbox-message"') == 12
    assert "jamie.rivera@example.com" in outbox and "Out for delivery" in outbox
    assert "Outbox" in client.get("/admin").get_data(as_text=True)  # in the navigation while the outbox is used
    _cli(app)  # a second replay is a second order, not a duplicate
    assert len(_sent(app)) == 24


def test_the_demo_home_button_replays_through_a_worker(app: Any) -> None:
    client = _enter(app, _cli(app, "--setup").stdout)
    page = client.get("/admin").get_data(as_text=True)
    csrf = page.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
    assert client.post("/admin/demo/replay", headers={"X-CSRF-Token": csrf}).status_code == 202
    drain(app)
    assert _sent(app) == EXPECTED
    with app.extensions["aftercare.db"].session() as session:
        assert len(list(session.scalars(select(OutboxMessage)))) == 12


def test_a_real_shop_cannot_replay_the_demo(app: Any) -> None:
    add_shop(app)
    from tests.integration.admin.test_messages import Admin

    admin = Admin(app)
    assert admin.post("/admin/demo/replay", {}).status_code == 404
    assert "Replay a demo order" not in admin.client.get("/admin").get_data(as_text=True)


def test_the_demo_is_refused_in_production(app: Any) -> None:
    client = _enter(app, _cli(app, "--setup").stdout)
    csrf = client.get("/admin").get_data(as_text=True).split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
    app.config["APP_ENV"] = "production"
    result = _cli(app)
    assert result.exit_code != 0 and "development only" in result.output
    assert client.post("/admin/demo/replay", headers={"X-CSRF-Token": csrf}).status_code == 404
    assert "Replay a demo order" not in client.get("/admin").get_data(as_text=True)
