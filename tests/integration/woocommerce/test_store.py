"""Connecting a WooCommerce store, its webhooks' intake, the plugin's signed requests and links, disconnect.

The store is a local HTTP server answering like WooCommerce's REST API (tests/fake_woocommerce.py); the
app is the real one (SQLite and PostgreSQL, real Redis, a real RQ worker).
"""
from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest

from integration.db.models import Shop
from tests.conftest import everything_stored_for_tests
from tests.fake_woocommerce import FakeWooCommerce, wc_signature, wp_json_encode
from tests.helpers import drain
from tests.woo_helpers import (
    APP_URL,
    admin_link,
    begin,
    callback_body,
    connect,
    fresh_order,
    grant,
    query_of,
    signed_headers,
    signed_post,
    start_store,
)


@pytest.fixture
def store(app: Any) -> Iterator[FakeWooCommerce]:
    fake = start_store(app)
    yield fake
    fake.close()


def _shop(app: Any, shop_id: int) -> Shop:
    with app.extensions["aftercare.db"].session() as session:
        return session.get(Shop, shop_id)


def test_connecting_checks_the_keys_creates_the_webhooks_and_reads_the_store(app: Any, store: FakeWooCommerce) -> None:
    started = begin(app.test_client(), store)
    url = started["authorize_url"]
    assert url.startswith(store.url + "/wc-auth/v1/authorize?")
    assert query_of(url) == {"app_name": "Aftercare", "scope": "read_write", "user_id": started["connect_id"],
                             "return_url": store.url + "/wp-admin/admin.php?page=aftercare",
                             "callback_url": f"{APP_URL}/woocommerce/auth-callback"}
    assert started["claim_secret"] not in url

    connection = connect(app, store)

    shop = _shop(app, connection["shop_id"])
    address = f"{APP_URL}/webhooks/woocommerce/{shop.id}"
    assert sorted(h["topic"] for h in store.webhooks.values()) == [
        "order.created", "order.deleted", "order.restored", "order.updated"]
    assert {h["delivery_url"] for h in store.webhooks.values()} == {address}
    assert all(re.fullmatch(r"[0-9a-f]{48}", s) for s in store.secrets.values())  # alphanumeric (research §1.5)
    assert store.pings == [(address, 200)] * 4  # the unsigned creation pings got exactly 200
    assert (shop.platform, shop.domain, shop.status) == ("woocommerce", store.url.split("//")[1], "active")
    assert (shop.currency, shop.locale, shop.timezone, shop.name) == ("EUR", "fr-FR", "Europe/Paris", "Boutique Lumière")
    assert shop.help_links["returns"] == store.url + "/refund_returns/"
    assert shop.help_links["privacy"] == store.url + "/privacy-policy/"
    assert shop.webhook_ids == {h["topic"]: h["id"] for h in store.webhooks.values()}
    assert (connection["key_id"], connection["app_url"]) == (1, APP_URL)
    stored = everything_stored_for_tests(app)
    assert store.consumer_secret not in stored and connection["link_secret"] not in stored  # encrypted at rest


def test_a_store_without_a_feed_is_set_up_in_its_default_language(app: Any, store: FakeWooCommerce) -> None:
    store.facts["language"] = None
    shop = _shop(app, connect(app, store)["shop_id"])
    assert (shop.locale, shop.currency, len(store.webhooks), shop.reconcile_error) == ("en", "EUR", 4, None)


def test_the_callback_trusts_keys_only_once_the_job_proved_them(app: Any, store: FakeWooCommerce) -> None:
    client = app.test_client()
    started = begin(client, store)
    assert client.post("/woocommerce/auth-callback", json=callback_body(store, "someone-else")).status_code == 404
    assert client.post("/woocommerce/auth-callback", json=callback_body(
        store, started["connect_id"], key_permissions="read")).status_code == 400
    assert client.post("/woocommerce/auth-callback", data=b"key_id=1").status_code == 400
    right = {"connect_id": started["connect_id"], "claim_secret": started["claim_secret"]}
    early = client.post("/woocommerce/claim", json=right)
    assert early.status_code == 409 and early.get_json()["status"] == "connecting"

    assert grant(store, started) == 200
    again = client.post("/woocommerce/auth-callback", json=callback_body(store, started["connect_id"]))
    assert again.status_code == 409
    wrong = client.post("/woocommerce/claim", json={"connect_id": started["connect_id"], "claim_secret": "guess"})
    assert wrong.status_code == 404
    checking = client.post("/woocommerce/claim", json=right)  # the keys and the site's proof are not checked yet
    assert checking.status_code == 409 and checking.get_json()["status"] == "connecting"
    with app.extensions["aftercare.db"].session() as session:
        assert session.query(Shop).count() == 0
    drain(app)
    assert client.post("/woocommerce/claim", json=right).status_code == 200
    assert client.post("/woocommerce/claim", json=right).status_code == 404  # one time only


def test_connecting_needs_a_public_https_app_url(app: Any, store: FakeWooCommerce) -> None:
    app.config["APP_URL"] = "http://localhost:8000"
    proof = "p" * 43
    answer = app.test_client().post("/woocommerce/connect", json={"store_url": store.url, "return_url": store.url,
                                                                  "site_proof": proof})
    assert answer.status_code == 503 and "https://" in answer.get_json()["error"]
    bad = app.test_client().post("/woocommerce/connect", json={"store_url": "javascript:alert(1)", "return_url": "x",
                                                               "site_proof": proof})
    assert bad.status_code == 400


def test_open_aftercare_starts_a_session_once_per_fresh_link(app: Any, store: FakeWooCommerce) -> None:
    connection = connect(app, store)
    client = app.test_client()
    link = admin_link(connection)
    opened = client.get(link)
    assert opened.status_code == 302 and opened.headers["Location"].endswith("/admin")
    assert client.get("/admin").status_code == 200
    other = app.test_client()
    assert other.get(link).status_code == 401  # used already
    assert other.get(admin_link(connection, nonce="f" * 32, timestamp=int(time.time()) - 3600)).status_code == 401
    tampered = admin_link(connection, nonce="e" * 32).replace(f"shop={connection['shop_id']}", "shop=999")
    assert other.get(tampered).status_code == 404
    forged = admin_link({**connection, "link_secret": "not-the-secret"}, nonce="d" * 32)
    assert other.get(forged).status_code == 401
    assert other.get("/admin").status_code in (302, 401, 403)  # no session came of it


def test_webhook_intake_answers_ping_and_refuses_bad_deliveries(app: Any, store: FakeWooCommerce) -> None:
    connection = connect(app, store)
    client, path = app.test_client(), f"/webhooks/woocommerce/{connection['shop_id']}"
    ping = client.post(path, data=b"webhook_id=142", content_type="application/x-www-form-urlencoded")
    assert ping.status_code == 200
    body = wp_json_encode(fresh_order())
    topic = {"X-WC-Webhook-Topic": "order.updated", "Content-Type": "application/json"}
    assert client.post(path, data=body, headers=topic).status_code == 401
    wrong = {**topic, "X-WC-Webhook-Signature": wc_signature(body, "not-the-secret")}
    assert client.post(path, data=body, headers=wrong).status_code == 401
    secret = next(iter(store.secrets.values()))
    garbage = b"{not json"
    assert client.post(path, data=garbage, headers={
        **topic, "X-WC-Webhook-Signature": wc_signature(garbage, secret)}).status_code == 400
    assert client.post("/webhooks/woocommerce/999", data=body, headers=topic).status_code == 404
    app.config["MAX_CONTENT_LENGTH"] = 1000
    big = b" " * 2000
    assert client.post(path, data=big, headers={**topic, "X-WC-Webhook-Signature": wc_signature(big, secret)}
                       ).status_code == 413


def test_disconnect_removes_webhooks_stops_sending_and_purges(app: Any, store: FakeWooCommerce) -> None:
    connection = connect(app, store)
    client = app.test_client()
    forged = {**connection, "link_secret": "not-the-secret"}
    assert signed_post(client, "/woocommerce/disconnect", forged, {}).status_code == 401
    stale = json.dumps({}).encode()
    old = signed_headers(connection["shop_id"], connection["link_secret"], stale, timestamp=int(time.time()) - 900)
    assert client.post("/woocommerce/disconnect", data=stale, headers=old).status_code == 401

    answer = signed_post(client, "/woocommerce/disconnect", connection, {})
    assert answer.status_code == 200 and answer.get_json() == {"status": "disconnected"}
    assert store.webhooks == {}
    shop = _shop(app, connection["shop_id"])
    assert shop.status == "disconnected"
    assert (shop.consumer_key_encrypted, shop.webhook_secret_encrypted, shop.link_secret_encrypted) == (None, None, None)
    late = client.post(f"/webhooks/woocommerce/{shop.id}", data=b"{}", headers={"X-WC-Webhook-Topic": "order.updated"})
    assert late.status_code == 410
    assert client.get(admin_link(connection, nonce="c" * 32)).status_code == 404


def test_shop_add_woocommerce_prints_the_id_and_the_webhook_address(app: Any) -> None:
    app.config["OUTBOUND_RESOLVER"] = lambda host, port: ["203.0.113.7"]  # no DNS from tests; not public either
    result = app.test_cli_runner().invoke(args=[
        "shop", "add", "woocommerce", "https://Shop.Example.com/store/", "--consumer-key", "ck_1",
        "--consumer-secret", "cs_1", "--webhook-secret", "abc123"])
    assert result.exit_code == 0, result.output
    shop_id, address = result.stdout.split()
    assert address == f"http://aftercare.test/webhooks/woocommerce/{shop_id}"
    shop = _shop(app, int(shop_id))
    assert (shop.platform, shop.domain, shop.storefront_url) == ("woocommerce", "shop.example.com/store",
                                                                  "https://Shop.Example.com/store/")
    assert shop.status == "active" and shop.approved_at is not None  # the operator's own act
    assert "note: the store's address is not public" in result.stderr  # calls to it would be refused



def test_the_plugin_downloads_as_an_installable_zip(app: Any) -> None:
    import io
    import zipfile

    answer = app.test_client().get("/woocommerce/plugin.zip")
    assert answer.status_code == 200 and answer.mimetype == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(answer.data)).namelist()
    assert "aftercare-for-woocommerce/aftercare-for-woocommerce.php" in names
    assert all(name.startswith("aftercare-for-woocommerce/") for name in names)


def _php(code: str, **inputs: Any) -> Any:
    """Run `code` with the plugin's own signing class loaded and $in = the inputs (JSON)."""
    import shutil
    import subprocess

    from tests.conftest import require_service
    from tests.wordpress.test_plugin import PLUGIN

    if shutil.which("php") is None:
        require_service("PHP CLI (apt-get install php-cli)")
    prelude = f"define('ABSPATH', '/'); require '{PLUGIN}/includes/class-aftercare-signer.php'; $in = json_decode($argv[1], true);"
    done = subprocess.run(["php", "-r", prelude + code, "--", json.dumps(inputs)], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_what_the_plugin_signs_the_service_accepts(app: Any, store: FakeWooCommerce) -> None:
    connection = connect(app, store)
    link = _php("echo json_encode(Aftercare_Signer::admin_link($in['app'], $in['shop'], $in['secret'], time(), "
                "Aftercare_Signer::new_nonce()));", app=APP_URL, shop=connection["shop_id"],
                secret=connection["link_secret"])
    assert link.startswith(f"{APP_URL}/woocommerce/admin?")
    client = app.test_client()
    assert client.get(link.removeprefix(APP_URL)).status_code == 302
    body = json.dumps({"email": "john.doe@example.com", "page": 1})
    headers = _php("echo json_encode(Aftercare_Signer::request_headers($in['shop'], $in['secret'], time(), $in['body']));",
                   shop=connection["shop_id"], secret=connection["link_secret"], body=body)
    answer = client.post("/woocommerce/privacy/export", data=body, headers=headers)
    assert answer.status_code == 200 and answer.get_json() == {"data": [], "done": True}
