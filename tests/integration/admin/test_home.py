"""The admin shell: Shopify app home with session tokens, the bounce page, and the signed first-party link."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from redis import Redis

from integration.db.models import Message, Shop
from tests.conftest import SECRET, SHOP_DOMAIN
from tests.fake_shopify import FakeShopify, session_token


def id_token(secret: str = SECRET) -> str:
    return session_token(SHOP_DOMAIN, secret)


def home_url(token: str) -> str:
    return "/?" + urlencode({"embedded": "1", "shop": SHOP_DOMAIN, "host": "YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvYWM",
                             "id_token": token})




def test_first_load_installs_the_shop_and_frames_only_in_its_admin(app: Any, shopify: FakeShopify) -> None:
    response = app.test_client().get(home_url(id_token()), base_url="https://aftercare.test")
    assert response.status_code == 200, response.data
    assert response.headers["Content-Security-Policy"] == (
        f"frame-ancestors https://{SHOP_DOMAIN} https://admin.shopify.com;")
    assert "Set-Cookie" not in response.headers
    assert b"Avoid sending shoppers two messages" in response.data
    assert [r["grant_type"] for r in shopify.requests] == ["urn:ietf:params:oauth:grant-type:token-exchange"]
    with app.extensions["aftercare.db"].session() as session:
        shop = session.query(Shop).filter_by(domain=SHOP_DOMAIN).one()
    assert shop.status == "active" and shop.access_token_expires_at is not None
    queued = Redis.from_url(app.config["REDIS_URL"]).lrange("rq:queue:aftercare-maintenance", 0, -1)
    assert len(queued) == 2  # the shop facts refresh and the help metafield's first write
    assert queued[1] == f"help-metafield-{shop.id}".encode()
    again = app.test_client().get(home_url(id_token()), base_url="https://aftercare.test")
    assert again.status_code == 200 and len(shopify.requests) == 1  # no second exchange


def test_invalid_session_token_goes_through_the_bounce_page(app: Any, shopify: FakeShopify) -> None:
    response = app.test_client().get(home_url(id_token(secret="not-the-app-secret-0123456789abcdef")),
                                     base_url="https://aftercare.test")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("https://aftercare.test/auth/patch-id-token?")
    assert "shopify-reload=" in response.headers["Location"]
    bounce = app.test_client().get(response.headers["Location"].removeprefix("https://aftercare.test"),
                                   base_url="https://aftercare.test")
    assert bounce.status_code == 200 and b"app-bridge.js" in bounce.data
    assert shopify.requests == []


def test_fetch_with_an_invalid_bearer_is_told_to_retry(app: Any, shopify: FakeShopify) -> None:
    response = app.test_client().get("/", headers={"Authorization": f"Bearer {id_token(secret='x' * 40)}"},
                                     base_url="https://aftercare.test")
    assert response.status_code == 401
    assert response.headers["X-Shopify-Retry-Invalid-Session-Request"] == "1"


def test_missing_protected_data_is_explained(app: Any, shop_id: int) -> None:
    with app.extensions["aftercare.db"].session() as session:
        for n in range(3):
            session.add(Message(shop_id=shop_id, order_key=str(n), message_type="order_confirmation",
                                channel="email", status="suppressed",
                                reason="no recipient: the order has no email address (Shopify sends it as null)"))
    link = app.test_cli_runner().invoke(args=["admin-link", SHOP_DOMAIN])
    assert link.exit_code == 0
    client = app.test_client()
    entered = client.get(link.stdout.strip().splitlines()[0].removeprefix(app.config["APP_URL"]))
    assert entered.status_code == 302 and entered.headers["Location"].endswith("/admin")
    page = client.get("/admin")
    assert page.status_code == 200 and page.headers["Content-Security-Policy"] == "frame-ancestors 'none';"
    assert b"3 order emails in the last 7 days arrived without" in page.data
    assert b"protected customer data" in page.data


def test_admin_link_cannot_be_forged_and_the_page_needs_it(app: Any, shop_id: int) -> None:
    client = app.test_client()
    assert client.get("/admin").status_code == 403
    assert client.get("/admin/enter/forged-token").status_code == 403
    assert app.test_cli_runner().invoke(args=["admin-link", "nobody.myshopify.com"]).exit_code != 0
