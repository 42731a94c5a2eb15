"""Finding 8 (click beacons inflated without limit) and the rate limits of "safe on the public internet":
what anyone can call without signing in is limited per client (and per shop for beacons) on the app's Redis,
answered 429 with Retry-After."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from tests.conftest import proxy_params
from tests.integration.storefront.test_widget import beacon, stored_clicks

CLICK = {"page": "product", "link": "0"}


def test_click_beacons_cannot_be_inflated(app: Any, shop_id: int) -> None:
    client = app.test_client()
    url = f"/storefront/shops/{shop_id}/clicks"
    answers = [beacon(client, url, CLICK).status_code for _ in range(200)]
    assert answers.count(204) == 30 and answers[30:] == [429] * 170
    assert stored_clicks(app) == [("product", "0", 30)]
    refused = beacon(client, url, CLICK)
    assert 0 < int(refused.headers["Retry-After"]) <= 60 and "too many requests" in refused.get_json()["error"]


def test_another_shopper_still_counts_while_one_is_limited(app: Any, shop_id: int) -> None:
    client, url = app.test_client(), f"/storefront/shops/{shop_id}/clicks"
    for _ in range(31):
        beacon(client, url, CLICK)
    other = client.post(url, data='{"page": "product", "link": "0"}', content_type="text/plain",
                        environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert other.status_code == 204
    assert stored_clicks(app) == [("product", "0", 31)]


def test_proxied_clicks_are_limited_per_shop_even_from_many_addresses(app: Any, shop_id: int) -> None:
    app.config.update(RATE_LIMIT_SHOP_CLICKS="50/minute")
    fresh = _fresh_app(app)
    client = fresh.test_client()
    statuses = []
    for n in range(60):
        url = "/storefront/proxy/clicks?" + urlencode(proxy_params())
        statuses.append(client.post(url, data='{"page": "product", "link": "0"}', content_type="text/plain",
                                    headers={"X-Forwarded-For": f"198.51.100.{n}"}).status_code)
    assert statuses.count(204) == 50 and statuses[50:] == [429] * 10


def _fresh_app(app: Any) -> Any:
    """An app built with the test's changed limits (limits are read when the app is built)."""
    from integration.app import create_app

    return create_app({k: v for k, v in app.config.items() if k.isupper()})


def test_anonymous_connect_is_rate_limited_per_client(app: Any) -> None:
    client = app.test_client()
    # an address the rule refuses without a DNS lookup or a packet: the limit counts refused attempts too
    body = {"store_url": "https://10.0.0.1/", "return_url": "https://10.0.0.1/wp-admin/"}
    statuses = [client.post("/woocommerce/connect", json=body).status_code for _ in range(12)]
    assert statuses[10:] == [429, 429] and 429 not in statuses[:10]
    assert int(client.post("/woocommerce/connect", json=body).headers["Retry-After"]) > 0


def test_auth_callback_and_claim_are_rate_limited(app: Any) -> None:
    client = app.test_client()
    callbacks = [client.post("/woocommerce/auth-callback", json={"user_id": "x"}).status_code for _ in range(21)]
    assert callbacks[-1] == 429 and 429 not in callbacks[:20]
    claims = [client.post("/woocommerce/claim", json={"connect_id": "x"}).status_code for _ in range(121)]
    assert claims[-1] == 429 and 429 not in claims[:120]
