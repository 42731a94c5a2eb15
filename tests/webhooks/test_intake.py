"""POST /webhooks/shopify: signature, shop, JSON, size, dedupe; stored before it is acknowledged."""
from __future__ import annotations

import threading
from typing import Any

from redis import Redis

from tests.conftest import OLD_SECRET, encode, paid_order, shopify_headers
from tests.helpers import deliver, deliveries


def test_valid_delivery_is_stored_and_enqueued(app: Any, shop_id: int) -> None:
    body = encode(paid_order())
    response = app.test_client().post("/webhooks/shopify", data=body,
                                      headers=shopify_headers("orders/create", body, "evt-1"))
    assert response.status_code == 200 and response.json["status"] == "accepted"
    [row] = deliveries(app)
    assert (row.shop_id, row.topic, row.event_id, row.resource_id) == (
        shop_id, "orders/create", "evt-1", "820982911946154508")
    assert row.body == body
    queued = Redis.from_url(app.config["REDIS_URL"]).lrange("rq:queue:aftercare-intake", 0, -1)
    assert queued == [f"delivery-{row.id}".encode()]


def test_duplicate_delivery_is_acknowledged_and_stored_once(app: Any, shop_id: int) -> None:
    client, order = app.test_client(), paid_order()
    first = deliver(client, "orders/create", order, event_id="evt-dup")
    again = deliver(client, "orders/create", order, event_id="evt-dup")
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json == {"status": "duplicate"}
    assert len(deliveries(app)) == 1


def test_concurrent_duplicates_store_one_row(app: Any, shop_id: int) -> None:
    body = encode(paid_order())
    headers = shopify_headers("orders/create", body, "evt-race")
    statuses: list[int] = []

    def post() -> None:
        statuses.append(app.test_client().post("/webhooks/shopify", data=body, headers=headers).status_code)

    threads = [threading.Thread(target=post) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 8
    assert len(deliveries(app)) == 1


def test_same_event_other_resource_is_a_separate_delivery(app: Any, shop_id: int) -> None:
    client = app.test_client()
    deliver(client, "orders/create", paid_order(), event_id="evt-shared")
    deliver(client, "orders/create", paid_order(id=820982911946154509), event_id="evt-shared")
    assert len(deliveries(app)) == 2


def test_bad_signature_is_401_and_stores_nothing(app: Any, shop_id: int) -> None:
    body = encode(paid_order())
    headers = shopify_headers("orders/create", body, secret="not-the-secret")
    assert app.test_client().post("/webhooks/shopify", data=body, headers=headers).status_code == 401
    del headers["X-Shopify-Hmac-Sha256"]
    assert app.test_client().post("/webhooks/shopify", data=body, headers=headers).status_code == 401
    assert deliveries(app) == []


def test_previous_secret_still_verifies_during_rotation(app: Any, shop_id: int) -> None:
    response = deliver(app.test_client(), "orders/create", paid_order(), secret=OLD_SECRET)
    assert response.status_code == 200


def test_unknown_shop_is_404(app: Any, shop_id: int) -> None:
    response = deliver(app.test_client(), "orders/create", paid_order(), domain="stranger.myshopify.com")
    assert response.status_code == 404 and response.json == {"error": "unknown shop"}


def test_privacy_topic_for_unknown_shop_is_acknowledged(app: Any) -> None:
    payload = {"shop_id": 954889, "shop_domain": "gone.myshopify.com"}
    response = deliver(app.test_client(), "shop/redact", payload, domain="gone.myshopify.com")
    assert response.status_code == 200


def test_malformed_json_is_400(app: Any, shop_id: int) -> None:
    body = b'{"id": 1, "name": '
    response = app.test_client().post("/webhooks/shopify", data=body,
                                      headers=shopify_headers("orders/create", body))
    assert response.status_code == 400 and "not valid JSON" in response.json["error"]
    assert deliveries(app) == []


def test_oversized_body_is_413(app: Any, shop_id: int) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 1024
    body = encode(paid_order())
    response = app.test_client().post("/webhooks/shopify", data=body,
                                      headers=shopify_headers("orders/create", body))
    assert response.status_code == 413
    assert deliveries(app) == []


def test_unhandled_topic_is_acknowledged_and_ignored(app: Any, shop_id: int) -> None:
    response = deliver(app.test_client(), "products/update", {"id": 1})
    assert response.json == {"status": "ignored"} and deliveries(app) == []


def test_redis_down_at_intake_still_stores_and_acknowledges(app: Any, shop_id: int) -> None:
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    app.extensions["aftercare.redis"] = None
    response = deliver(app.test_client(), "orders/create", paid_order())
    assert response.status_code == 200
    assert [d.status for d in deliveries(app)] == ["pending"]
