"""Expiring offline tokens against a local server answering Shopify's token endpoint."""
from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from shopify_app import IdTokenDetails

from integration.db.database import utcnow
from integration.db.models import Shop
from integration.runtime import crypto
from integration.shopify import tokens as shopify_tokens
from tests.conftest import SECRET, SHOP_DOMAIN, everything_stored_for_tests
from tests.fake_shopify import FakeShopify, session_token


@pytest.fixture
def shopify() -> Iterator[FakeShopify]:
    fake = FakeShopify(SECRET)
    yield fake
    fake.close()


def exchangeable_token() -> IdTokenDetails:
    token = session_token(SHOP_DOMAIN, SECRET)
    return IdTokenDetails(exchangeable=True, token=token, claims=jwt.decode(token, options={"verify_signature": False}))


def install(app: Any, shopify: FakeShopify) -> int:
    with app.extensions["aftercare.db"].session() as session:
        return shopify_tokens.exchange(session, app.config, exchangeable_token(), shopify.client()).id


def _expire_soon(app: Any, shop_id: int, refresh_token: str | None = None) -> None:
    with app.extensions["aftercare.db"].session() as session:
        shop = session.get(Shop, shop_id)
        shop.access_token_expires_at = utcnow() + dt.timedelta(seconds=20)
        if refresh_token:
            shop.refresh_token_encrypted = crypto.encrypt(app.config["ENCRYPTION_KEYS"], refresh_token)


def token(app: Any, shop_id: int, shopify: FakeShopify) -> str:
    return shopify_tokens.access_token(app.extensions["aftercare.db"], app.config, shop_id, shopify.client())


def test_exchange_installs_the_shop_with_an_encrypted_expiring_pair(app: Any, shopify: FakeShopify) -> None:
    shop_id = install(app, shopify)
    [request] = shopify.requests
    assert request["host"] == SHOP_DOMAIN and request["expiring"] == 1
    assert request["subject_token_type"] == "urn:ietf:params:oauth:token-type:id_token"
    with app.extensions["aftercare.db"].session() as session:
        shop = session.get(Shop, shop_id)
    assert (shop.domain, shop.status) == (SHOP_DOMAIN, "active")
    assert 3500 < (shop.access_token_expires_at - utcnow()).total_seconds() <= 3600
    assert (shop.refresh_token_expires_at - utcnow()).days >= 89
    assert "shpat_1" not in everything_stored_for_tests(app) and "shprt_1" not in everything_stored_for_tests(app)
    assert token(app, shop_id, shopify) == "shpat_1" and len(shopify.requests) == 1


def test_expiring_token_is_refreshed_once_by_racing_workers(app: Any, shopify: FakeShopify) -> None:
    shop_id = install(app, shopify)
    _expire_soon(app, shop_id)
    shopify.delay = 0.3
    results: list[str] = []

    def use() -> None:
        results.append(token(app, shop_id, shopify))

    threads = [threading.Thread(target=use) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["shpat_2"] * 6
    assert [r["grant_type"] for r in shopify.requests].count("refresh_token") == 1
    with app.extensions["aftercare.db"].session() as session:
        stored = session.get(Shop, shop_id).refresh_token_encrypted
    assert crypto.decrypt(app.config["ENCRYPTION_KEYS"], stored) == "shprt_2"


def test_refused_refresh_asks_for_the_merchant_instead_of_looping(app: Any, shopify: FakeShopify) -> None:
    shop_id = install(app, shopify)
    _expire_soon(app, shop_id, refresh_token="shprt_revoked")
    with pytest.raises(shopify_tokens.TokenUnavailable):
        token(app, shop_id, shopify)
    with app.extensions["aftercare.db"].session() as session:
        shop = session.get(Shop, shop_id)
    assert "reconnect" in shop.attention and shop.access_token_encrypted is None
    calls = len(shopify.requests)
    with pytest.raises(shopify_tokens.TokenUnavailable):
        token(app, shop_id, shopify)
    assert len(shopify.requests) == calls


def test_unreachable_shopify_keeps_the_pair_for_a_retry(app: Any, shopify: FakeShopify) -> None:
    shop_id = install(app, shopify)
    _expire_soon(app, shop_id)
    client = shopify.client()
    shopify.close()
    with pytest.raises(shopify_tokens.TokenRefreshFailed):
        shopify_tokens.access_token(app.extensions["aftercare.db"], app.config, shop_id, client)
    with app.extensions["aftercare.db"].session() as session:
        shop = session.get(Shop, shop_id)
    assert shop.access_token_encrypted and shop.attention is None
