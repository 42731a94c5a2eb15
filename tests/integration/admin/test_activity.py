"""The admin's Activity page: the ledger searched through a POST body, each message's story, the re-send."""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from integration.admin import activity as admin_activity
from integration.db.database import utcnow
from integration.db.models import Message, Shop
from tests.conftest import SECRET, SHOP_DOMAIN, fulfillment, paid_order
from tests.fake_shopify import session_token
from tests.helpers import deliver, drain, messages, outbox

PHONE = "+1 415 555 2671"
OTHER_ORDER = {"id": 820982911946154999, "name": "#10000", "email": "Someone.Else@example.com", "phone": None}
SEARCH = "/admin/activity/search"
HTTPS = "https://aftercare.test"


# --- setup ---------------------------------------------------------------------------------------

def two_orders(app: Any) -> None:
    """#9999 (email and phone) confirmed and shipped; #10000 (email only) confirmed."""
    client = app.test_client()
    deliver(client, "orders/create", paid_order(phone=PHONE))
    deliver(client, "fulfillments/create", fulfillment())
    deliver(client, "orders/create", paid_order(**OTHER_ORDER))
    drain(app)


def admin_client(app: Any) -> Any:
    """A first-party admin session, entered through a signed link (`flask admin-link`)."""
    client = app.test_client()
    link = app.test_cli_runner().invoke(args=["admin-link", SHOP_DOMAIN]).stdout.strip().splitlines()[0]
    assert client.get(link.removeprefix(app.config["APP_URL"])).status_code == 302
    return client


def csrf_of(client: Any) -> dict[str, str]:
    page = client.get("/admin/activity").get_data(as_text=True)
    return {"X-CSRF-Token": re.search(r'<meta name="csrf-token" content="([^"]+)">', page).group(1)}


def search(client: Any, **body: Any) -> Any:
    return client.post(SEARCH, json=body, headers=csrf_of(client))


def found(client: Any, **body: Any) -> list[tuple[str, str, str]]:
    response = search(client, **body)
    assert response.status_code == 200, response.json
    return [(row["order"], row["message_type"], row["channel"]) for row in response.json["rows"]]


def the_message(app: Any, order_name: str, message_type: str, channel: str) -> Message:
    order_key = "820982911946154999" if order_name == "#10000" else "820982911946154508"
    return next(m for m in messages(app) if (m.order_key, m.message_type, m.channel) == (order_key, message_type, channel))


def set_status(app: Any, message_id: int, status: str, reason: str | None) -> None:
    with app.extensions["aftercare.db"].session() as session:
        message = session.get(Message, message_id)
        message.status, message.reason = status, reason


def ledger_size(app: Any) -> int:
    with app.extensions["aftercare.db"].session() as session:
        return session.scalar(select(func.count()).select_from(Message))


def other_shops_message(app: Any) -> int:
    with app.extensions["aftercare.db"].session() as session:
        shop = Shop(platform="shopify", domain="other-shop.myshopify.com", name="Other")
        session.add(shop)
        session.flush()
        message = Message(shop_id=shop.id, order_key="820982911946154508", message_type="order_confirmation",
                          channel="email", status="failed", recipient="jon@example.com", reason="bounced")
        session.add(message)
        session.flush()
        return message.id


# --- the list ------------------------------------------------------------------------------------

def test_the_page_lists_nothing_personal_in_its_url_or_html(app: Any, shop_id: int) -> None:
    two_orders(app)
    client = admin_client(app)
    page = client.get("/admin/activity")
    assert page.status_code == 200 and page.headers["Content-Security-Policy"] == "frame-ancestors 'none';"
    html = page.get_data(as_text=True)
    assert 'data-search-url="/admin/activity/search"' in html and 'method="post"' in html
    assert '<option value="out_for_delivery">' in html and '<option value="suppressed">' in html
    assert "jon@example.com" not in html and "#9999" not in html  # rows come from the POST, not the page
    assert client.get(SEARCH + "?query=jon@example.com").status_code == 405


def test_every_message_newest_first(app: Any, shop_id: int) -> None:
    two_orders(app)
    body = search(admin_client(app)).json
    assert body["total"] == 6 and (body["page"], body["pages"]) == (1, 1)
    planned = [(row["created_at"], row["id"]) for row in body["rows"]]
    assert planned == sorted(planned, reverse=True)
    first = body["rows"][-1]
    assert first["order"] == "#9999" and first["url"] == f"/admin/activity/{first['id']}"
    assert {row["status"] for row in body["rows"]} == {"sent", "suppressed"}


def test_filters_by_status_type_channel_and_date(app: Any, shop_id: int) -> None:
    two_orders(app)
    client = admin_client(app)
    assert found(client, status="suppressed") == [("#10000", "order_confirmation", "sms")]
    assert sorted(found(client, message_type="shipping_confirmation")) == [
        ("#9999", "shipping_confirmation", "email"), ("#9999", "shipping_confirmation", "sms")]
    assert len(found(client, channel="sms")) == 3
    assert found(client, channel="email", status="suppressed") == []
    today = utcnow().date()
    assert len(found(client, date_from=today.isoformat(), date_to=today.isoformat())) == 6
    assert found(client, date_from=(today + dt.timedelta(days=1)).isoformat()) == []
    assert found(client, date_to=(today - dt.timedelta(days=1)).isoformat()) == []
    assert len(found(client, status="", message_type=None, channel="", query="  ")) == 6  # blank means any


def test_search_by_order_name_email_or_phone(app: Any, shop_id: int) -> None:
    two_orders(app)
    client = admin_client(app)
    other = [("#10000", "order_confirmation", "email"), ("#10000", "order_confirmation", "sms")]
    assert sorted(found(client, query="#10000")) == other
    assert sorted(found(client, query="10000")) == other
    assert sorted(found(client, query="someone.else@EXAMPLE.com")) == other
    for phone in ("(415) 555-2671", "+14155552671", "1-415-555-2671", "4155552671"):
        assert {name for name, _, _ in found(client, query=phone)} == {"#9999"}, phone
    assert found(client, query="2671") == []  # too short to be a phone number, and no order is named so
    assert found(client, query="nobody@example.com") == []
    assert found(client, query="%@example.com") == []  # LIKE wildcards are plain characters


def test_pages_of_results(app: Any, shop_id: int, monkeypatch: pytest.MonkeyPatch) -> None:
    two_orders(app)
    monkeypatch.setattr(admin_activity, "PAGE_SIZE", 4)
    client = admin_client(app)
    first, second = search(client).json, search(client, page=2).json
    assert (first["pages"], len(first["rows"]), len(second["rows"])) == (2, 4, 2)
    assert not {r["id"] for r in first["rows"]} & {r["id"] for r in second["rows"]}
    assert search(client, page=3).json["rows"] == []


def test_invalid_filters_are_answered_with_field_errors(app: Any, shop_id: int) -> None:
    client = admin_client(app)
    response = search(client, status="lost", message_type="postcard", channel="fax", date_from="yesterday",
                      page=0, colour="red")
    assert response.status_code == 400
    assert set(response.json["errors"]) == {"status", "message_type", "channel", "date_from", "page", "colour"}
    assert all(isinstance(m, list) and m for m in response.json["errors"].values())
    backwards = search(client, date_from="2026-03-02", date_to="2026-03-01")
    assert backwards.status_code == 400 and list(backwards.json["errors"]) == ["date_to"]
    assert search(client, query="x" * 201).json["errors"]["query"]
    assert search(client, page="2").status_code == 400
    not_json = client.post(SEARCH, data="query=#9999", headers=csrf_of(client))
    assert not_json.status_code == 400 and "_schema" in not_json.json["errors"]


# --- the story -----------------------------------------------------------------------------------

def test_the_story_shows_deliveries_rendering_and_attempts(app: Any, shop_id: int) -> None:
    two_orders(app)
    shipped = the_message(app, "#9999", "shipping_confirmation", "email")
    html = admin_client(app).get(f"/admin/activity/{shipped.id}").get_data(as_text=True)
    assert "fulfillments/create <strong>(caused this message)</strong>" in html
    assert "orders/create" in html  # the order's own delivery, found by its resource id
    assert "Shipping confirmation by email" in html and "order #9999" in html
    assert f'<span id="message-subject">{escape(shipped.subject)}</span>' in html
    iframe = re.search(r"<iframe[^>]*>", html).group(0)
    # sandboxed: same origin (so the page can size it) but no scripts, forms, popups or navigation
    assert 'sandbox="allow-same-origin"' in iframe and "allow-scripts" not in iframe and 'srcdoc="&lt;' in iframe
    attempts = html.split('id="attempts"')[1]
    assert "stored in the outbox" in attempts and "outbox-" in attempts and "Sent" in attempts
    assert "Re-send</button>" not in html  # only a failed message


def test_the_story_explains_a_suppression(app: Any, shop_id: int) -> None:
    two_orders(app)
    suppressed = the_message(app, "#10000", "order_confirmation", "sms")
    html = admin_client(app).get(f"/admin/activity/{suppressed.id}").get_data(as_text=True)
    assert '<dd id="message-status">Suppressed</dd>' in html
    assert "no recipient: the order has no phone number" in html
    assert "No attempt to send it was made." in html and "orders/create <strong>" in html


# --- the re-send ---------------------------------------------------------------------------------

def test_a_failed_message_is_re_sent_once_through_the_ledger(app: Any, shop_id: int) -> None:
    two_orders(app)
    failed = the_message(app, "#10000", "order_confirmation", "email")
    set_status(app, failed.id, "failed", "550 mailbox unavailable")
    client = admin_client(app)
    story = client.get(f"/admin/activity/{failed.id}").get_data(as_text=True)
    assert "550 mailbox unavailable" in story and "Re-send</button>" in story
    response = client.post(f"/admin/activity/{failed.id}/resend", headers=csrf_of(client))
    assert response.status_code == 201, response.json
    new_id = response.json["id"]
    assert response.json["url"] == f"/admin/activity/{new_id}"
    drain(app)
    resent = next(m for m in messages(app) if m.id == new_id)
    assert (resent.status, resent.occurrence, resent.delivery_id) == ("sent", f"{failed.occurrence}|resend",
                                                                      failed.delivery_id)
    assert len([o for o in outbox(app) if o.recipient == "Someone.Else@example.com"]) == 2
    again = client.post(f"/admin/activity/{failed.id}/resend", headers=csrf_of(client))
    assert again.status_code == 409 and again.json["error"] == "already re-sent"
    assert ledger_size(app) == 7
    assert f'href="/admin/activity/{new_id}"' in client.get(f"/admin/activity/{failed.id}").get_data(as_text=True)


def test_only_failed_messages_can_be_re_sent(app: Any, shop_id: int) -> None:
    two_orders(app)
    client = admin_client(app)
    sent = the_message(app, "#9999", "order_confirmation", "email")
    refused = client.post(f"/admin/activity/{sent.id}/resend", headers=csrf_of(client))
    assert refused.status_code == 409 and refused.json["error"] == "only a failed message can be re-sent"
    failed = the_message(app, "#9999", "order_confirmation", "sms")
    set_status(app, failed.id, "failed", "21610 unsubscribed recipient")
    new_id = client.post(f"/admin/activity/{failed.id}/resend", headers=csrf_of(client)).json["id"]
    set_status(app, new_id, "failed", "21610 unsubscribed recipient")
    chained = client.post(f"/admin/activity/{new_id}/resend", headers=csrf_of(client))
    assert chained.status_code == 409 and chained.json["error"] == "this message is itself a re-send"
    assert ledger_size(app) == 7


# --- who may ask ---------------------------------------------------------------------------------

def test_another_shops_message_is_not_found(app: Any, shop_id: int) -> None:
    two_orders(app)
    foreign = other_shops_message(app)
    client = admin_client(app)
    assert client.get(f"/admin/activity/{foreign}").status_code == 404
    assert client.post(f"/admin/activity/{foreign}/resend", headers=csrf_of(client)).status_code == 404
    assert foreign not in {row["id"] for row in search(client).json["rows"]}
    assert client.get("/admin/activity/999999").status_code == 404
    assert ledger_size(app) == 7


def test_without_a_session_everything_is_refused(app: Any, shop_id: int) -> None:
    two_orders(app)
    message_id = messages(app)[0].id
    client = app.test_client()
    assert client.get("/admin/activity").status_code == 403
    assert client.post(SEARCH, json={}).status_code == 403
    assert client.get(f"/admin/activity/{message_id}").status_code == 403
    assert client.post(f"/admin/activity/{message_id}/resend").status_code == 403


def test_first_party_posts_need_the_csrf_token(app: Any, shop_id: int) -> None:
    two_orders(app)
    failed = the_message(app, "#10000", "order_confirmation", "email")
    set_status(app, failed.id, "failed", "550 mailbox unavailable")
    client = admin_client(app)
    assert client.post(f"/admin/activity/{failed.id}/resend").status_code == 403
    forged = client.post(f"/admin/activity/{failed.id}/resend", headers={"X-CSRF-Token": "guessed"})
    assert forged.status_code == 403 and ledger_size(app) == 6
    assert client.post(SEARCH, json={}).status_code == 403


def test_inside_shopify_the_session_token_decides(app: Any, shop_id: int) -> None:
    two_orders(app)
    bearer = {"Authorization": f"Bearer {session_token(SHOP_DOMAIN, SECRET)}"}
    allowed = app.test_client().post(SEARCH, json={"query": "#10000"}, headers=bearer, base_url=HTTPS)
    assert allowed.status_code == 200 and allowed.json["total"] == 2
    forged = {"Authorization": f"Bearer {session_token(SHOP_DOMAIN, 'n' * 40)}"}
    refused = app.test_client().post(SEARCH, json={}, headers=forged, base_url=HTTPS)
    assert refused.status_code == 401 and refused.headers["X-Shopify-Retry-Invalid-Session-Request"] == "1"
    failed = the_message(app, "#10000", "order_confirmation", "email")
    set_status(app, failed.id, "failed", "550 mailbox unavailable")
    assert app.test_client().post(f"/admin/activity/{failed.id}/resend", headers=forged,
                                  base_url=HTTPS).status_code == 401
    assert ledger_size(app) == 6
