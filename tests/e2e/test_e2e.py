"""End to end: signed webhooks over HTTP to gunicorn, real RQ workers, real SMTP, a Twilio-shaped API;
SQLite and PostgreSQL, the machine's Redis."""
from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from redis import Redis

from tests.conftest import carrier_event, encode, fixture_payload, fulfillment, now_iso, paid_order, shopify_headers
from tests.e2e.stack import SmtpSink, Stack, TwilioStub, wait_for

CUSTOMER = "jon@example.com"
PHONE, PHONE_E164 = "+1 415 555 2671", "+14155552671"


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.controller.start()
    yield sink
    sink.controller.stop()


@pytest.fixture
def twilio() -> Iterator[TwilioStub]:
    stub = TwilioStub()
    yield stub
    stub.close()


@pytest.fixture
def stack(database_url: str, clean_redis: str, tmp_path: Path, smtp: SmtpSink, twilio: TwilioStub) -> Iterator[Stack]:
    running = Stack(database_url, clean_redis, tmp_path / "instance", smtp, twilio)
    running.add_shop()
    running.start_web()
    yield running
    running.close()


def statuses(stack: Stack) -> list[tuple[str, str, str]]:
    return [(r.message_type, r.channel, r.status) for r in stack.message_rows()]


def test_order_journey_reaches_inbox_and_phone(stack: Stack, smtp: SmtpSink, twilio: TwilioStub) -> None:
    stack.start_worker()
    stack.start_worker()
    assert stack.post("orders/create", paid_order(phone=PHONE)).status_code == 200
    stack.post("fulfillments/create", fulfillment())
    wait_for(lambda: len(smtp.to(CUSTOMER)) == 2, what="confirmation and shipping emails")
    stack.post("fulfillment_events/create", carrier_event("out_for_delivery", id=11))
    wait_for(lambda: len(smtp.to(CUSTOMER)) == 3, what="out-for-delivery email")
    stack.post("fulfillment_events/create", carrier_event("delivered", id=12))
    stack.post("refunds/create", fixture_payload("refunds/create") | {"created_at": now_iso()})
    wait_for(lambda: len(smtp.to(CUSTOMER)) == 5 and len(twilio.received) == 5, what="every message")
    subjects = sorted(m["Subject"] for m in smtp.accepted)
    assert all("#9999" in s for s in subjects), subjects
    shipped = next(m for m in smtp.accepted if "1z827wk74630" in m.get_body(("plain",)).get_content())
    html = shipped.get_body(("html",)).get_content()
    assert shipped.get_content_type() == "multipart/alternative"
    assert "Aviator sunglasses" in html and 'style="' in html and "UPS" in html
    assert shipped["From"] == "Acme Outfitters <orders@acme.example>"
    refund = next(m for m in smtp.accepted if "$85.00" in m.get_body(("plain",)).get_content())
    assert "business days" in refund.get_body(("plain",)).get_content()
    assert {sms["To"] for sms in twilio.received} == {PHONE_E164}
    assert all(sms["From"] == "+15017122661" and sms["Body"].startswith("Acme Outfitters") for sms in twilio.received)
    attempts = stack.sql("SELECT outcome, provider_message_id FROM attempts")
    assert len(attempts) == 10 and all(a.outcome == "sent" and a.provider_message_id for a in attempts)


def test_duplicate_and_concurrent_deliveries_send_one_message(stack: Stack, smtp: SmtpSink) -> None:
    stack.start_worker()
    stack.start_worker()
    order = paid_order()
    body = encode(order)
    headers = shopify_headers("orders/create", body, event_id="evt-concurrent")
    import requests

    def post() -> None:
        requests.post(f"{stack.url}/webhooks/shopify", data=body, headers=headers, timeout=10)

    threads = [threading.Thread(target=post) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stack.post("orders/paid", order)  # another topic, another event id: the same message
    stack.post("orders/create", order, event_id="evt-concurrent")
    wait_for(lambda: smtp.to(CUSTOMER), what="the confirmation")
    time.sleep(3)
    assert len(smtp.to(CUSTOMER)) == 1
    assert stack.sql("SELECT count(*) FROM deliveries")[0][0] == 2


def test_many_orders_racing_workers_send_exactly_once_each(stack: Stack, smtp: SmtpSink) -> None:
    for _ in range(3):
        stack.start_worker()
    for n in range(15):
        order = paid_order(id=820982911946200000 + n, name=f"#10{n:02d}", email=f"shopper{n}@example.com")
        stack.post("orders/create", order)
        stack.post("orders/create", order)  # a redelivery with a new event id
        stack.post("orders/paid", order)
    wait_for(lambda: len(smtp.accepted) >= 15, what="fifteen confirmations")
    time.sleep(3)
    assert sorted(m["To"] for m in smtp.accepted) == sorted(f"shopper{n}@example.com" for n in range(15))


def test_smtp_refusing_for_a_while_then_accepting(stack: Stack, smtp: SmtpSink) -> None:
    smtp.refuse_next = 2
    stack.start_worker()
    stack.post("orders/create", paid_order())
    wait_for(lambda: smtp.to(CUSTOMER), timeout=60, what="delivery after the SMTP server recovers")
    email_row = next(r for r in stack.message_rows() if r.channel == "email")
    assert (email_row.status, email_row.attempts) == ("sent", 3)
    outcomes = stack.sql("SELECT outcome, provider_response FROM attempts WHERE message_id = :id ORDER BY number",
                         id=email_row.id)
    assert [o.outcome for o in outcomes] == ["transient", "transient", "sent"]
    assert outcomes[0].provider_response.startswith("451")
    time.sleep(2)
    assert len(smtp.to(CUSTOMER)) == 1


def test_worker_killed_mid_send_never_sends_twice(stack: Stack, smtp: SmtpSink) -> None:
    victim = stack.start_worker()
    smtp.on_data = lambda: stack.kill(victim)  # the server has the message; the worker dies before it hears so
    stack.post("orders/create", paid_order())
    wait_for(lambda: victim.poll() is not None, what="the worker to be killed")
    stack.start_worker()
    stack.start_scheduler()
    wait_for(lambda: any(r.status == "unknown" for r in stack.message_rows()), timeout=45,
             what="the abandoned send to become unknown")
    time.sleep(8)
    email_row = next(r for r in stack.message_rows() if r.channel == "email")
    assert email_row.status == "unknown" and "may have accepted" in email_row.reason
    assert len(smtp.to(CUSTOMER)) == 1


def test_redis_flushed_after_intake_loses_nothing(stack: Stack, smtp: SmtpSink) -> None:
    assert stack.post("orders/create", paid_order()).status_code == 200
    assert stack.sql("SELECT status FROM deliveries")[0][0] == "pending"
    Redis.from_url(stack.redis_url).flushdb()
    stack.start_worker()
    stack.start_scheduler()
    wait_for(lambda: smtp.to(CUSTOMER), timeout=45, what="the sweeper to recover the delivery")
    time.sleep(3)
    assert len(smtp.to(CUSTOMER)) == 1


def test_number_twilio_refuses_fails_at_once(stack: Stack, twilio: TwilioStub) -> None:
    stack.start_worker()
    stack.post("orders/create", paid_order(phone="+1 202 555 0123"))
    wait_for(lambda: any(r.channel == "sms" and r.status == "failed" for r in stack.message_rows()),
             what="the SMS to fail")
    sms = next(r for r in stack.message_rows() if r.channel == "sms")
    assert sms.attempts == 1 and "21211" in sms.reason and twilio.received == []


def test_number_that_is_not_a_phone_number_is_suppressed(stack: Stack, twilio: TwilioStub) -> None:
    stack.start_worker()
    stack.post("orders/create", paid_order(phone="+1 555 010 0199"))
    wait_for(lambda: any(r.channel == "sms" and r.status == "suppressed" for r in stack.message_rows()),
             what="the SMS to be suppressed")
    sms = next(r for r in stack.message_rows() if r.channel == "sms")
    assert sms.reason == "no recipient: the order has no valid phone number" and twilio.received == []


def test_bad_input_over_http(stack: Stack) -> None:
    import requests

    order = paid_order()
    body = encode(order)
    bad = shopify_headers("orders/create", body, secret="wrong")
    assert requests.post(f"{stack.url}/webhooks/shopify", data=body, headers=bad, timeout=5).status_code == 401
    junk = b"{not json"
    assert requests.post(f"{stack.url}/webhooks/shopify", data=junk,
                         headers=shopify_headers("orders/create", junk), timeout=5).status_code == 400
    assert stack.post("orders/create", order, domain="unknown.myshopify.com").status_code == 404
    huge = b'{"pad": "' + b"x" * (11 * 1024 * 1024) + b'"}'
    response = requests.post(f"{stack.url}/webhooks/shopify", data=huge,
                             headers=shopify_headers("orders/create", huge), timeout=30)
    assert response.status_code == 413
    assert stack.sql("SELECT count(*) FROM deliveries")[0][0] == 0
    health = requests.get(f"{stack.url}/healthz", timeout=5)
    assert health.status_code == 200 and health.json() == {"database": "ok", "redis": "ok"}
