"""Finding 7 of "safe on the public internet": first-party admin sessions end with the shop, links open
once, cookies are Secure/HttpOnly/SameSite=Lax and last hours, and the merchant can sign out everywhere."""
from __future__ import annotations

import datetime as dt
from email.utils import parsedate_to_datetime
from typing import Any

from tests.conftest import SHOP_DOMAIN, fixture_payload
from tests.helpers import deliver


def _link(app: Any) -> str:
    result = app.test_cli_runner().invoke(args=["admin-link", SHOP_DOMAIN])
    assert result.exit_code == 0, result.output
    return str(result.stdout.strip().splitlines()[0]).removeprefix(app.config["APP_URL"])


def _entered(app: Any) -> Any:
    client = app.test_client()
    assert client.get(_link(app)).status_code == 302
    return client


def _csrf(client: Any) -> dict[str, str]:
    page = client.get("/admin").get_data(as_text=True)
    token = page.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
    return {"X-CSRF-Token": token}


def test_session_of_an_uninstalled_shop_no_longer_opens_the_admin(app: Any, shop_id: int) -> None:
    client = _entered(app)
    assert client.get("/admin").status_code == 200
    deliver(app.test_client(), "app/uninstalled", fixture_payload("app/uninstalled"))
    from tests.helpers import drain

    drain(app)
    assert client.get("/admin").status_code == 403
    assert client.post("/admin/messages/order_confirmation/email/test", json={"to": "help@acme.example"},
                       headers={"X-CSRF-Token": "x"}).status_code == 403


def test_old_session_stays_ended_after_a_reinstall(app: Any, shop_id: int) -> None:
    client = _entered(app)
    from integration.db.models import Shop
    from integration.shops import privacy

    with app.extensions["aftercare.db"].session() as session:
        privacy.stop_sending(session, shop_id, "the app was uninstalled")
        session.get(Shop, shop_id).status = "uninstalled"
    with app.extensions["aftercare.db"].session() as session:
        session.get(Shop, shop_id).status = "active"  # installed again
    assert client.get("/admin").status_code == 403


def test_admin_link_opens_one_session_only(app: Any, shop_id: int) -> None:
    link = _link(app)
    assert app.test_client().get(link).status_code == 302
    assert app.test_client().get(link).status_code == 403


def test_admin_link_of_an_inactive_shop_opens_nothing(app: Any, shop_id: int) -> None:
    from integration.db.models import Shop

    link = _link(app)
    with app.extensions["aftercare.db"].session() as session:
        session.get(Shop, shop_id).status = "uninstalled"
    assert app.test_client().get(link).status_code == 403


def test_session_cookie_is_secure_httponly_lax_and_lasts_hours(app: Any, shop_id: int) -> None:
    app.config.update(APP_URL="https://aftercare.test")
    from integration.admin import auth as admin_auth

    admin_auth.init_app(app)
    answer = app.test_client().get(_link(app))
    cookie = answer.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    expires = parsedate_to_datetime(cookie.split("Expires=", 1)[1].split(";", 1)[0])
    assert dt.timedelta(hours=1) < expires - dt.datetime.now(dt.timezone.utc) <= dt.timedelta(hours=12)


def test_sign_out_everywhere_ends_every_session(app: Any, shop_id: int) -> None:
    first, second = _entered(app), _entered(app)
    assert second.get("/admin").status_code == 200
    assert first.post("/admin/sign-out-everywhere", headers=_csrf(first)).status_code == 200
    assert first.get("/admin").status_code == 403
    assert second.get("/admin").status_code == 403
    assert _entered(app).get("/admin").status_code == 200  # a new link opens a new session


def test_sign_out_everywhere_needs_the_csrf_token(app: Any, shop_id: int) -> None:
    client = _entered(app)
    assert client.post("/admin/sign-out-everywhere").status_code == 403
    assert client.get("/admin").status_code == 200
