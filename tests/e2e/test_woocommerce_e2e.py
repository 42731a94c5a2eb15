"""End to end with a WooCommerce store: gunicorn, RQ worker and scheduler processes, a real SMTP server, and
a local server answering like WooCommerce's REST API that creates its webhooks when the app asks, pings
them, and sends real signed deliveries over HTTP. The scheduler's poller catches an order whose webhook
was never sent, exactly once."""
from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.e2e.stack import BIN, ROOT, SmtpSink, Stack, TwilioStub, wait_for
from tests.fake_woocommerce import FakeWooCommerce
from tests.woo_helpers import fresh_order


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.controller.start()
    yield sink
    sink.controller.stop()


@pytest.fixture
def store() -> Iterator[FakeWooCommerce]:
    fake = FakeWooCommerce()
    fake.deliver = lambda url, headers, body: requests.post(url, data=body, headers=headers, timeout=10).status_code
    yield fake
    fake.close()


@pytest.fixture
def stack(database_url: str, clean_redis: str, tmp_path: Path, smtp: SmtpSink,
          store: FakeWooCommerce) -> Iterator[Stack]:
    twilio = TwilioStub()
    running = Stack(database_url, clean_redis, tmp_path / "instance", smtp, twilio)
    running.env.update(APP_URL=running.url, RECONCILE_INTERVAL="2", WOO_BACKOFF="0.05", WOO_TIMEOUT="5",
                       ALLOW_PRIVATE_STORES=f"127.0.0.1:{store.port}")  # exactly the local store, nothing else
    result = subprocess.run([str(BIN / "flask"), "shop", "add", "woocommerce", store.url, "--consumer-key",
                             store.consumer_key, "--consumer-secret", store.consumer_secret],
                            cwd=ROOT, env=running.env, check=True, capture_output=True, text=True)
    shop_id = int(result.stdout.split()[0])
    running.sql("UPDATE shops SET quiet_hours_start = NULL, quiet_hours_end = NULL, "
                "created_at = :since WHERE id = :id", since="2020-01-01 00:00:00", id=shop_id)
    running.start_web()
    running.start_worker()
    running.start_scheduler()
    yield running
    running.close()
    twilio.close()


def _subjects(smtp: SmtpSink, address: str) -> list[str]:
    return sorted(m["Subject"] for m in smtp.to(address))


def test_a_store_is_set_up_delivers_signed_webhooks_and_missed_orders_are_polled_once(
        stack: Stack, smtp: SmtpSink, store: FakeWooCommerce) -> None:
    wait_for(lambda: len(store.webhooks) == 4, 30, "the poller to create the store's webhooks")
    assert {url for url, status in store.pings} == {f"{stack.url}/webhooks/woocommerce/1"}
    assert all(status == 200 for _, status in store.pings)

    delivered = store.put_order(fresh_order(order_id=1001, billing={**fresh_order()["billing"],
                                                                   "email": "delivered@example.com"}))
    assert store.send("order.created", delivered) == 200
    wait_for(lambda: smtp.to("delivered@example.com"), 30, "the confirmation of the delivered order")

    missed = store.put_order(fresh_order(order_id=1002, billing={**fresh_order()["billing"],
                                                                "email": "missed@example.com"}))
    wait_for(lambda: smtp.to("missed@example.com"), 30, "the poller to catch the missed order")
    time.sleep(5)  # two more polls: nothing is sent again
    assert len(smtp.to("missed@example.com")) == 1 and len(smtp.to("delivered@example.com")) == 1
    assert "1002" in _subjects(smtp, "missed@example.com")[0]
    rows = stack.sql("SELECT order_key, channel, status FROM messages WHERE channel = 'email' ORDER BY order_key")
    assert [tuple(r) for r in rows] == [("1001", "email", "sent"), ("1002", "email", "sent")]
    assert missed["id"] == 1002


def test_bad_woocommerce_deliveries_over_http(stack: Stack, store: FakeWooCommerce) -> None:
    url = f"{stack.url}/webhooks/woocommerce/1"
    assert requests.post(url, data=b"webhook_id=7", timeout=10).status_code == 200
    unsigned = requests.post(url, data=b"{}", headers={"X-WC-Webhook-Topic": "order.updated"}, timeout=10)
    assert unsigned.status_code == 401 and "X-WC-Webhook-Signature" in unsigned.json()["error"]
    assert requests.post(f"{stack.url}/webhooks/woocommerce/99", data=b"{}", timeout=10).status_code == 404
