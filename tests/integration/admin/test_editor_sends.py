"""Finding 1 (the relay half) of "safe on the public internet": a merchant session cannot turn the editor's
test send into an open relay on the operator's SMTP and Twilio accounts."""
from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from integration.db.models import EditorSend, OutboxMessage, Shop
from tests.integration.admin.test_messages import Admin, EDITOR, GOOD

SMS_EDITOR = "/admin/messages/order_confirmation/sms"
STRANGER = "victim@elsewhere.example"


def _outbox(app: Any) -> list[OutboxMessage]:
    with app.extensions["aftercare.db"].session() as session:
        rows = list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        session.expunge_all()
    return rows


def _verify(admin: Admin, app: Any, channel: str, to: str) -> Any:
    assert admin.post("/admin/test-recipients", {"channel": channel, "to": to}).status_code == 200
    code = re.search(r"\b(\d{6})\b", _outbox(app)[-1].body_text or "").group(1)
    return admin.post("/admin/test-recipients/confirm", {"channel": channel, "to": to, "code": code})


def test_test_send_to_a_stranger_is_refused(app: Any, shop_id: int) -> None:
    admin = Admin(app)
    for n in range(30):
        answer = admin.post(f"{EDITOR}/test", {"parts": GOOD, "to": f"victim{n}@elsewhere.example"})
        assert answer.status_code == 403
    sms = admin.post(f"{SMS_EDITOR}/test", {"parts": {"sms": "Click http://phish.example"}, "to": "+14155552671"})
    assert sms.status_code == 403
    assert _outbox(app) == []


def test_test_send_goes_to_the_shops_own_contact_address(app: Any, shop_id: int) -> None:
    answer = Admin(app).post(f"{EDITOR}/test", {"parts": GOOD, "to": "Help@Acme.example "})
    assert answer.status_code == 200 and answer.get_json()["sent"] is True
    assert [m.recipient for m in _outbox(app)] == ["help@acme.example"]


def test_reply_to_set_by_the_merchant_is_not_a_test_recipient(app: Any, shop_id: int) -> None:
    with app.extensions["aftercare.db"].session() as session:
        session.get(Shop, shop_id).reply_to = STRANGER
    assert Admin(app).post(f"{EDITOR}/test", {"parts": GOOD, "to": STRANGER}).status_code == 403


def test_a_verified_number_receives_tests(app: Any, shop_id: int) -> None:
    admin = Admin(app)
    assert _verify(admin, app, "sms", "+1 415 555 2671").get_json()["recipient"] == "+14155552671"
    answer = admin.post(f"{SMS_EDITOR}/test", {"parts": {"sms": "Order {{ order.name }}"}, "to": "+14155552671"})
    assert answer.status_code == 200 and answer.get_json()["sent"] is True
    assert [m.recipient for m in _outbox(app)] == ["+14155552671", "+14155552671"]
    assert "Aftercare test messages" in (_outbox(app)[0].body_text or "")  # the code's fixed text


def test_a_wrong_code_verifies_nothing_and_tries_are_limited(app: Any, shop_id: int) -> None:
    admin = Admin(app)
    assert admin.post("/admin/test-recipients", {"channel": "email", "to": STRANGER}).status_code == 200
    for _ in range(5):
        wrong = admin.post("/admin/test-recipients/confirm", {"channel": "email", "to": STRANGER, "code": "000000"})
        assert wrong.status_code in (400, 404)
    code = re.search(r"\b(\d{6})\b", _outbox(app)[-1].body_text or "").group(1)
    late = admin.post("/admin/test-recipients/confirm", {"channel": "email", "to": STRANGER, "code": code})
    assert late.status_code == 404  # too many tries: the code is spent
    assert admin.post(f"{EDITOR}/test", {"parts": GOOD, "to": STRANGER}).status_code == 403


def test_test_sends_are_rate_limited_per_shop_and_hour(app: Any, shop_id: int) -> None:
    admin = Admin(app)
    answers = [admin.post(f"{EDITOR}/test", {"parts": GOOD, "to": "help@acme.example"}) for _ in range(12)]
    assert [a.status_code for a in answers] == [200] * 10 + [429] * 2
    assert 0 < int(answers[-1].headers["Retry-After"]) <= 3600
    assert admin.post("/admin/test-recipients", {"channel": "email", "to": STRANGER}).status_code == 429
    assert len(_outbox(app)) == 10


def test_every_test_send_shows_in_the_activity(app: Any, shop_id: int) -> None:
    admin = Admin(app)
    admin.post(f"{EDITOR}/test", {"parts": GOOD, "to": "help@acme.example"})
    _verify(admin, app, "email", "owner@acme.example")
    with app.extensions["aftercare.db"].session() as session:
        rows = [(r.message_type, r.channel, r.recipient, r.outcome)
                for r in session.scalars(select(EditorSend).order_by(EditorSend.id))]
    assert rows == [("order_confirmation", "email", "help@acme.example", "sent"),
                    ("verification", "email", "owner@acme.example", "sent")]
    page = admin.client.get("/admin/activity").get_data(as_text=True)
    assert "Test sends" in page and "verification code" in page and "owner@acme.example" in page


def test_stopped_shop_sends_no_tests(app: Any, shop_id: int) -> None:
    with app.extensions["aftercare.db"].session() as session:
        session.get(Shop, shop_id).sending_stopped = "stopped by the operator"
    answer = Admin(app).post(f"{EDITOR}/test", {"parts": GOOD, "to": "help@acme.example"})
    assert answer.status_code == 403 and "stopped" in answer.get_json()["error"]
