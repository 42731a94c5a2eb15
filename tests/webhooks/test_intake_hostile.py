"""Hostile input at the webhook routes and the other signed entry points (issue 11, finding 5).

Nothing reads a webhook body before its signature passed; refusals are 400/401/404, never a 5xx.
"""
from __future__ import annotations

import base64
import copy
import json
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import encode, paid_order, proxy_params, shopify_headers
from tests.helpers import deliveries, drain
from tests.hostile import FINAL, add_woo_store, run_until_final, woo_headers, woo_sign
from tests.woo_helpers import fresh_order

BRACKETS = b"[" * 100_000
HUGE_INTEGER = b"9" * 5_000
WRONG_MAC = base64.b64encode(b"\x00" * 32).decode()
NON_ASCII_MAC = "é" * 44  # latin-1, as a header value may arrive
DEEP = b'{"id": 727, "a": ' + b'{"a": ' * 100 + b"1" + b"}" * 100 + b"}"
NOT_OBJECTS = {
    "array": b"[1, 2, 3]", "string": b'"an order"', "number": b"727", "brackets": BRACKETS,
    "huge integer": b'{"id": 727, "total": ' + HUGE_INTEGER + b"}", "deep nesting": DEEP,
    "lone surrogate": b'{"id": 727, "status": "processing", "customer_note": "\\ud800"}',
    "NaN": b'{"id": 727, "total": NaN}', "not UTF-8": b'{"id": 727, "note": "\xff"}',
}
PAST_64_BITS = [str(2**63), str(2**64), "9" * 40]


def _shopify_post(app: Any, body: bytes, headers: dict[str, str]) -> Any:
    return app.test_client().post("/webhooks/shopify", data=body, headers=headers)


def _unsigned_shopify(body: bytes, mac: str | None) -> dict[str, str]:
    headers = shopify_headers("orders/create", body)
    if mac is None:
        del headers["X-Shopify-Hmac-Sha256"]
    else:
        headers["X-Shopify-Hmac-Sha256"] = mac
    return headers


@pytest.fixture
def woo_id(app: Any) -> int:
    return add_woo_store(app)


@pytest.mark.parametrize("mac", [None, WRONG_MAC, "not base64 at all", NON_ASCII_MAC])
@pytest.mark.parametrize("body", [BRACKETS, HUGE_INTEGER], ids=["brackets", "huge-integer"])
def test_unsigned_body_of_brackets_is_401_not_500(app: Any, shop_id: int, woo_id: int, body: bytes,
                                                  mac: str | None) -> None:
    """shopifyapp parsed the body for its log before it checked the HMAC: these gave 500."""
    assert _shopify_post(app, body, _unsigned_shopify(body, mac)).status_code == 401
    woo = woo_headers(body, signature=mac or "")
    assert app.test_client().post(f"/webhooks/woocommerce/{woo_id}", data=body, headers=woo).status_code == 401
    assert deliveries(app) == []


def test_non_ascii_hmac_header_is_401(app: Any, shop_id: int, woo_id: int) -> None:
    body = encode(paid_order())
    for mac in (NON_ASCII_MAC, "ÿ" + "A" * 43, "A" * 43 + "\u00e9"):
        assert _shopify_post(app, body, _unsigned_shopify(body, mac)).status_code == 401
        response = app.test_client().post(f"/webhooks/woocommerce/{woo_id}", data=body,
                                          headers=woo_headers(body, signature=mac))
        assert response.status_code == 401
    assert deliveries(app) == []


@pytest.mark.parametrize("name", sorted(NOT_OBJECTS))
def test_signed_body_that_is_not_a_json_object_is_400(app: Any, shop_id: int, woo_id: int, name: str) -> None:
    body = NOT_OBJECTS[name]
    shopify = _shopify_post(app, body, shopify_headers("orders/create", body))
    woo = app.test_client().post(f"/webhooks/woocommerce/{woo_id}", data=body, headers=woo_headers(body))
    expected = 401 if name == "not UTF-8" else 400  # shopify: a body that is not UTF-8 fails verification
    assert (shopify.status_code, woo.status_code) == (expected, 400), (shopify.json, woo.json)
    assert deliveries(app) == []


@pytest.mark.parametrize("order_id", [1.5, "1e400", "727", True, 2**63, -5, None, [727]])
def test_signed_woo_order_whose_id_is_not_a_64_bit_integer_is_400(app: Any, woo_id: int, order_id: Any) -> None:
    order = fresh_order(order_id=727)
    order["id"] = order_id
    body = encode(order).replace(b'"1e400"', b"1e400")
    response = app.test_client().post(f"/webhooks/woocommerce/{woo_id}", data=body, headers=woo_headers(body))
    assert response.status_code == 400 and "id" in response.json["error"]
    assert deliveries(app) == []


@pytest.mark.parametrize("resource_id", ["1.5", "1e400", str(2**64), '{"a": 1}', '"' + "7" * 65 + '"'])
def test_signed_shopify_delivery_whose_id_is_not_an_id_is_400(app: Any, shop_id: int, resource_id: str) -> None:
    body = b'{"id": ' + resource_id.encode() + b', "name": "#1001"}'
    assert _shopify_post(app, body, shopify_headers("orders/create", body)).status_code == 400
    assert deliveries(app) == []


def test_header_ids_that_do_not_fit_are_400(app: Any, shop_id: int, woo_id: int) -> None:
    body = encode(paid_order())
    headers = {**shopify_headers("orders/create", body), "X-Shopify-Event-Id": "e" * 101}
    assert _shopify_post(app, body, headers).status_code == 400
    headers = {**shopify_headers("orders/create", body), "X-Shopify-Topic": "orders/create\x01"}
    assert _shopify_post(app, body, headers).status_code == 400
    woo_body = encode(fresh_order())
    headers = {**woo_headers(woo_body), "X-WC-Webhook-Delivery-ID": "d" * 101}
    assert app.test_client().post(f"/webhooks/woocommerce/{woo_id}", data=woo_body, headers=headers).status_code == 400
    assert deliveries(app) == []


@pytest.mark.parametrize("shop_path", PAST_64_BITS)
def test_woo_id_past_64_bits_is_404(app: Any, woo_id: int, shop_path: str) -> None:
    body = encode(fresh_order())
    response = app.test_client().post(f"/webhooks/woocommerce/{shop_path}", data=body, headers=woo_headers(body))
    assert response.status_code == 404
    largest = app.test_client().post(f"/webhooks/woocommerce/{2**63 - 1}", data=body, headers=woo_headers(body))
    assert largest.status_code == 404 and largest.json == {"error": "unknown store"}


@pytest.mark.parametrize("shop_path", PAST_64_BITS)
def test_storefront_shop_id_past_64_bits_is_404(app: Any, shop_id: int, shop_path: str) -> None:
    client = app.test_client()
    assert client.get(f"/storefront/shops/{shop_path}/help-links?page=product").status_code == 404
    assert client.post(f"/storefront/shops/{shop_path}/clicks", json={"page": "product", "link": "returns"},
                       headers={"Origin": "https://aftercare-test.myshopify.com"}).status_code == 404


def _give_link_secret(app: Any, shop_id: int, secret: str) -> None:
    from integration.runtime import crypto
    from integration.db.models import Shop

    with app.extensions["aftercare.db"].session() as session:
        session.get(Shop, shop_id).link_secret_encrypted = crypto.encrypt(app.config["ENCRYPTION_KEYS"], secret)


@pytest.mark.parametrize("shop_header", [*PAST_64_BITS, "²", "-1", "0x10", ""])
def test_x_aftercare_shop_that_is_not_a_64_bit_id_is_404(app: Any, woo_id: int, shop_header: str) -> None:
    body = b"{}"
    headers = {"X-Aftercare-Shop": shop_header, "X-Aftercare-Timestamp": str(int(time.time())),
               "X-Aftercare-Signature": woo_sign(body), "Content-Type": "application/json"}
    assert app.test_client().post("/woocommerce/disconnect", data=body, headers=headers).status_code == 404


def test_non_ascii_signatures_on_the_app_proxy_admin_link_and_plugin_requests_are_refused(
        app: Any, shop_id: int, woo_id: int) -> None:
    client = app.test_client()
    params = {**proxy_params({"page": "product"}), "signature": "é" * 64}
    assert client.get("/storefront/proxy/help-links", query_string=params).status_code == 401
    _give_link_secret(app, woo_id, "link-secret-of-the-hostile-store")
    now = str(int(time.time()))
    for query in ({"shop": str(woo_id), "ts": now, "nonce": "n" * 32, "sig": "é" * 43},
                  {"shop": str(woo_id), "ts": "²" * 10, "nonce": "n" * 32, "sig": "x"},
                  {"shop": "²", "ts": now, "nonce": "n" * 32, "sig": "x"}):
        assert client.get("/woocommerce/admin", query_string=query).status_code in (401, 404)
    for timestamp, signature in ((now, "é" * 44), ("²", woo_sign(b"{}")), ("9" * 5000, "x")):
        headers = {"X-Aftercare-Shop": str(woo_id), "X-Aftercare-Timestamp": timestamp,
                   "X-Aftercare-Signature": signature, "Content-Type": "application/json"}
        assert client.post("/woocommerce/disconnect", data=b"{}", headers=headers).status_code == 401


# --- the fuzz ------------------------------------------------------------------------------------------

JSON_LEAVES = (st.none() | st.booleans() | st.integers() | st.integers(min_value=2**63 - 2, max_value=2**70)
               | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30))
JSON_VALUES = st.recursive(JSON_LEAVES, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=12), inner, max_size=4), max_leaves=12)
HOSTILE = {**NOT_OBJECTS, "empty": b"", "open brace": b"{", "null": b"null", "empty object": b"{}",
           "ping": b"webhook_id=12", "id 1.5": b'{"id": 1.5}', "id 1e400": b'{"id": 1e400}',
           "id a string": b'{"id": "727"}', "id only": b'{"id": 727}'}
HOSTILE_BODIES = st.sampled_from(sorted(HOSTILE)).map(HOSTILE.__getitem__)
WOO_FIELDS = ["id", "status", "currency", "number", "billing", "shipping", "line_items", "date_modified_gmt",
              "date_created_gmt", "total", "shipping_total", "refunds", "meta_data", "shipping_lines",
              "customer_id", "date_paid_gmt"]
BILLING_FIELDS = ["email", "phone", "first_name", "last_name", "country", "postcode"]
SHOPIFY_FIELDS = ["id", "name", "email", "phone", "line_items", "customer", "created_at", "total_price_set",
                  "order_number", "financial_status", "shipping_address", "customer_locale"]


@st.composite
def woo_orders(draw: Any) -> bytes:
    """A real order body with fields replaced by arbitrary JSON (a list for billing.email, a decimal id...)."""
    order = fresh_order(order_id=draw(st.integers(min_value=1, max_value=40)))
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        if draw(st.booleans()) and isinstance(order.get("billing"), dict):
            order["billing"][draw(st.sampled_from(BILLING_FIELDS))] = draw(JSON_VALUES)
        else:
            order[draw(st.sampled_from(WOO_FIELDS))] = draw(JSON_VALUES)
    return json.dumps(order, default=str).encode()


@st.composite
def shopify_orders(draw: Any) -> bytes:
    order = copy.deepcopy(paid_order(id=draw(st.integers(min_value=1, max_value=40))))
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        order[draw(st.sampled_from(SHOPIFY_FIELDS))] = draw(JSON_VALUES)
    return json.dumps(order, default=str).encode()


BODIES = {"woocommerce": st.one_of(woo_orders(), HOSTILE_BODIES, JSON_VALUES.map(lambda v: encode(v)),
                                   st.binary(max_size=64)),
          "shopify": st.one_of(shopify_orders(), HOSTILE_BODIES, JSON_VALUES.map(lambda v: encode(v)),
                               st.binary(max_size=64))}
SIGNATURES = st.sampled_from(["valid", "valid", "valid", "missing", "wrong", "garbage", "non-ascii"])
WOO_TOPICS = st.sampled_from(["order.updated", "order.created", "order.deleted", "order.restored", "product.updated",
                              "", "ordér.updated"])
SHOPIFY_TOPICS = st.sampled_from(["orders/create", "orders/paid", "orders/cancelled", "fulfillments/create",
                                  "refunds/create", "customers/redact", "customers/data_request", "shop/redact",
                                  "app/uninstalled", "shop/update", "products/update", ""])


def _signature(kind: str, good: str) -> str | None:
    return {"valid": good, "missing": None, "wrong": WRONG_MAC, "garbage": "%%%", "non-ascii": NON_ASCII_MAC}[kind]


def _fuzz_request(app: Any, shop_id: int, woo_id: int, route: str, body: bytes, kind: str, topic: str,
                  path_id: str) -> int:
    client = app.test_client()
    if route == "shopify":
        headers = shopify_headers(topic or "orders/create", body)
        headers["X-Shopify-Topic"] = topic
        mac = _signature(kind, headers.pop("X-Shopify-Hmac-Sha256"))
        headers.update({} if mac is None else {"X-Shopify-Hmac-Sha256": mac})
        return client.post("/webhooks/shopify", data=body, headers=headers).status_code
    headers = woo_headers(body, topic)
    mac = _signature(kind, headers.pop("X-WC-Webhook-Signature"))
    headers.update({} if mac is None else {"X-WC-Webhook-Signature": mac})
    path = {"store": str(woo_id), "other": str(shop_id), "past": str(2**64), "zero": "0"}[path_id]
    return client.post(f"/webhooks/woocommerce/{path}", data=body, headers=headers).status_code


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_fuzz_webhook_routes_never_5xx(app: Any, shop_id: int, woo_id: int) -> None:
    """Both routes, signed and unsigned, through the real app; then every stored delivery ends."""
    answers: dict[int, int] = {}

    @settings(max_examples=5000, derandomize=True, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                     HealthCheck.data_too_large])
    @given(route=st.sampled_from(["shopify", "woocommerce"]), data=st.data(), kind=SIGNATURES,
           path_id=st.sampled_from(["store", "store", "store", "other", "past", "zero"]))
    def one_request(route: str, data: Any, kind: str, path_id: str) -> None:
        body = data.draw(BODIES[route], label="body")
        topic = data.draw(SHOPIFY_TOPICS if route == "shopify" else WOO_TOPICS, label="topic")
        status = _fuzz_request(app, shop_id, woo_id, route, body, kind, topic, path_id)
        answers[status] = answers.get(status, 0) + 1
        assert status < 500, (route, kind, topic, body[:300])

    one_request()
    drain(app)
    stored = run_until_final(app)
    print(f"\nfuzz answers: {dict(sorted(answers.items()))}; stored deliveries: {len(stored)} -> "
          f"{sorted({(d.status, d.error_class) for d in stored}, key=str)}")
    assert stored, "the fuzz stored no delivery: the signed order bodies never reached the pipeline"
    assert {d.status for d in stored} <= FINAL, [(d.id, d.topic, d.status, d.error) for d in stored
                                                 if d.status not in FINAL]
    assert all(d.error and d.error_class for d in stored if d.status == "failed")
