"""The Messages page and the template editor, through the first-party admin (signed link + CSRF)."""
from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from integration.db.models import OutboxMessage, Shop, TemplateVersion
from tests.conftest import SHOP_DOMAIN, paid_order
from tests.helpers import deliver, drain, outbox

EDITOR = "/admin/messages/order_confirmation/email"
GOOD = {"subject": "Thanks {{ customer.first_name }}, we have {{ order.name }}",
        "html": "<p>Hello {{ customer.first_name }}, order {{ order.name }} is in.</p>",
        "text": "Hello {{ customer.first_name }}, order {{ order.name }} is in."}


class Admin:
    """A merchant in the first-party admin: the signed link's session and the page's CSRF token."""

    def __init__(self, app: Any) -> None:
        self.client = app.test_client()
        link = app.test_cli_runner().invoke(args=["admin-link", SHOP_DOMAIN]).stdout.strip().splitlines()[0]
        assert self.client.get(link.removeprefix(app.config["APP_URL"])).status_code == 302
        page = self.client.get(EDITOR).get_data(as_text=True)
        self.csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self.client.post(path, json=body, headers={"X-CSRF-Token": self.csrf})


def _versions(app: Any) -> list[TemplateVersion]:
    with app.extensions["aftercare.db"].session() as session:
        return list(session.scalars(select(TemplateVersion).order_by(TemplateVersion.id)))


def test_the_messages_page_lists_every_type_with_its_week(app: Any, shop_id: int) -> None:
    deliver(app.test_client(), "orders/create", paid_order())
    drain(app)
    page = Admin(app).client.get("/admin/messages").get_data(as_text=True)
    for label in ("Order confirmation", "Shipping confirmation", "Out for delivery", "Refund issued", "Delayed shipment"):
        assert label in page
    assert "1 sent" in page and "Shopify's own “Order confirmation” notification also goes out" in page


def test_a_message_type_can_be_turned_off(app: Any, shop_id: int) -> None:
    admin = Admin(app)
    assert admin.post("/admin/messages/toggle", {"message_type": "delivered", "enabled": False}).status_code == 200
    with app.extensions["aftercare.db"].session() as session:
        assert session.get(Shop, shop_id).disabled_messages == ["delivered"]
    assert admin.post("/admin/messages/toggle", {"message_type": "nope", "enabled": False}).status_code == 400


def test_preview_renders_with_the_sending_code_and_reports_errors_where_they_are(app: Any, shop_id: int) -> None:
    admin = Admin(app)
    answer = admin.post(f"{EDITOR}/preview", {"parts": GOOD}).get_json()
    assert answer["errors"] == [] and answer["preview"]["subject"] == "Thanks Jamie, we have #1001"
    assert "Hello Jamie, order #1001 is in." in answer["preview"]["html"]
    broken = dict(GOOD, html="<p>Hi</p>\n{% if order.paid %}\n<p>{{ order.name }}</p>")
    answer = admin.post(f"{EDITOR}/preview", {"parts": broken}).get_json()
    assert [(e["part"], e["line"]) for e in answer["errors"]] == [("html", 3)] and "preview" not in answer
    unknown = dict(GOOD, text="{{ order.nam }} {{ order.name | shout }}")
    answer = admin.post(f"{EDITOR}/preview", {"parts": unknown}).get_json()
    assert answer["errors"][0]["message"] == "unknown filter 'shout'" and answer["errors"][0]["column"] == 33
    assert answer["warnings"][0]["message"].startswith("unknown variable 'order.nam' (order has: created_at, currency, item_count, line_items, name,")


def test_a_template_that_does_not_parse_is_refused_and_one_with_warnings_saves(app: Any, shop_id: int) -> None:
    admin = Admin(app)
    refused = admin.post(f"{EDITOR}/save", {"parts": dict(GOOD, subject="{{ order.name ")})
    assert refused.status_code == 422 and refused.get_json()["errors"][0]["part"] == "subject"
    assert _versions(app) == []
    saved = admin.post(f"{EDITOR}/save", {"parts": dict(GOOD, text="{{ order.nickname }} is in")})
    assert saved.status_code == 200 and saved.get_json()["warnings"][0]["line"] == 1
    assert [v.author for v in _versions(app)] == ["signed admin link"]


def test_sending_uses_the_merchants_saved_template(app: Any, shop_id: int) -> None:
    assert Admin(app).post(f"{EDITOR}/save", {"parts": GOOD}).status_code == 200
    deliver(app.test_client(), "orders/create", paid_order())
    drain(app)
    email = next(o for o in outbox(app) if o.channel == "email")
    assert email.subject == "Thanks John, we have #9999"
    assert "Hello John, order #9999 is in." in email.body_text


def test_history_compare_restore_and_reset(app: Any, shop_id: int) -> None:
    admin = Admin(app)
    first = admin.post(f"{EDITOR}/save", {"parts": GOOD}).get_json()["version"]
    admin.post(f"{EDITOR}/save", {"parts": dict(GOOD, subject="Order {{ order.name }} confirmed")})
    shown = admin.client.get(f"{EDITOR}/versions/{first}").get_json()
    assert "-Thanks {{ customer.first_name }}, we have {{ order.name }}" in shown["diff"]["subject"]
    assert "+Order {{ order.name }} confirmed" in shown["diff"]["subject"]
    restored = admin.post(f"{EDITOR}/versions/{first}/restore", {}).get_json()
    assert restored["parts"] == GOOD
    reset = admin.post(f"{EDITOR}/reset", {"locale": "en"}).get_json()
    assert "{{" in reset["parts"]["subject"] and reset["parts"]["subject"] != GOOD["subject"]
    assert [(bool(v.parts), v.note) for v in _versions(app)] == [
        (True, ""), (True, ""), (True, f"restored version {first}"), (False, "reset to default")]


def test_send_test_goes_through_the_real_channel(app: Any, shop_id: int) -> None:
    admin = Admin(app)
    answer = admin.post(f"{EDITOR}/test", {"parts": GOOD, "to": "help@acme.example"}).get_json()
    assert answer["sent"] is True
    with app.extensions["aftercare.db"].session() as session:
        row = session.scalars(select(OutboxMessage)).one()
    assert (row.recipient, row.subject, row.message_id) == ("help@acme.example", "[Test] Thanks Jamie, we have #1001", None)
    assert admin.post(f"{EDITOR}/test", {"parts": GOOD, "to": "not an address"}).status_code == 400


def test_sms_preview_counts_segments_and_names_what_forced_ucs2(app: Any, shop_id: int) -> None:
    admin = Admin(app)
    answer = admin.post("/admin/messages/delivered/sms/preview",
                        {"parts": {"sms": "{{ order.name }} was delivered ✓"}}).get_json()
    assert answer["preview"]["encoding"] == "UCS-2" and answer["preview"]["forced_by"] == "✓"
    answer = admin.post("/admin/messages/delivered/sms/preview", {"parts": {"sms": "x" * 161}}).get_json()
    assert (answer["preview"]["encoding"], answer["preview"]["segments"]) == ("GSM-7", 2)


def test_the_editor_refuses_without_csrf_and_other_shops_versions(app: Any, shop_id: int) -> None:
    admin = Admin(app)
    assert admin.client.post(f"{EDITOR}/save", json={"parts": GOOD}).status_code == 403
    assert _versions(app) == []
    with app.extensions["aftercare.db"].session() as session:
        other = Shop(platform="shopify", domain="other.myshopify.com", name="Other")
        session.add(other)
        session.flush()
        session.add(TemplateVersion(shop_id=other.id, message_type="order_confirmation", channel="email",
                                    locale="en", parts=GOOD, author="x"))
        session.flush()
        other_version = session.scalars(select(TemplateVersion.id)).one()
    assert admin.client.get(f"{EDITOR}/versions/{other_version}").status_code == 404
    assert admin.post(f"{EDITOR}/versions/{other_version}/restore", {}).status_code == 404
    assert app.test_client().get(EDITOR).status_code == 403


def test_session_tokens_that_are_not_this_shops_change_nothing(app: Any, shop_id: int) -> None:
    import time

    import jwt

    from tests.conftest import SECRET
    from tests.fake_shopify import session_token

    with app.extensions["aftercare.db"].session() as session:
        session.add(Shop(platform="shopify", domain="other.myshopify.com", name="Other"))
    now = int(time.time())
    expired = jwt.encode({"iss": f"https://{SHOP_DOMAIN}/admin", "dest": f"https://{SHOP_DOMAIN}",
                          "aud": "test-client-id", "sub": "42", "exp": now - 120, "nbf": now - 300,
                          "iat": now - 300, "jti": "j", "sid": "s"}, SECRET, algorithm="HS256")
    client = app.test_client()
    save = f"{EDITOR}/save?embedded=1"
    answers = {
        "expired": client.post(save, json={"parts": GOOD}, headers={"Authorization": f"Bearer {expired}"},
                               base_url="https://aftercare.test"),
        "other shop": client.post(save, json={"parts": GOOD}, base_url="https://aftercare.test", headers={
            "Authorization": f"Bearer {session_token('other.myshopify.com', SECRET)}"}),
        "none": client.post(f"{EDITOR}/save", json={"parts": GOOD}),
    }
    assert {k: r.status_code for k, r in answers.items()} == {"expired": 401, "other shop": 200, "none": 403}
    with app.extensions["aftercare.db"].session() as session:
        saved = [(v.shop_id, v.author) for v in session.scalars(select(TemplateVersion))]
    assert saved == [(shop_id + 1, "Shopify admin")]  # the other shop's token wrote only the other shop's row
