"""Uninstall and Shopify's privacy topics, processed by the real pipeline; the database is scanned after."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from integration.db.models import DataExport, Shop
from tests.conftest import everything_stored_for_tests, fixture_payload, fulfillment, now_iso, paid_order
from tests.helpers import deliver, deliveries, drain, messages, outbox

EMAIL, PHONE = "john@example.com", "555-625-1199"  # the customer in Shopify's privacy samples


def the_customers_order(**changes: Any) -> dict[str, Any]:
    order = paid_order(email=EMAIL, contact_email=EMAIL, phone=PHONE, **changes)
    order["customer"] = order["customer"] | {"email": EMAIL, "phone": PHONE}
    return order


def journey(app: Any, **changes: Any) -> None:
    client = app.test_client()
    deliver(client, "orders/create", the_customers_order(**changes))
    deliver(client, "fulfillments/create", fulfillment())
    deliver(client, "refunds/create", fixture_payload("refunds/create") | {"created_at": now_iso()})
    other = paid_order(id=820982911946154999, name="#10000", email="someone.else@example.com")
    deliver(client, "orders/create", other)
    drain(app)


def test_customer_redact_erases_email_and_phone_from_every_table(app: Any, shop_id: int) -> None:
    journey(app)
    stored = everything_stored_for_tests(app)
    assert EMAIL in stored and PHONE in stored  # the scan sees them before
    ledger_before = len(messages(app))
    assert deliver(app.test_client(), "customers/redact", fixture_payload("customers/redact")).status_code == 200
    drain(app)
    stored = everything_stored_for_tests(app)
    assert EMAIL not in stored and PHONE not in stored and "5556251199" not in stored
    assert "someone.else@example.com" in stored
    assert len(messages(app)) == ledger_before  # ledger keys stay: exactly-once survives
    deliver(app.test_client(), "orders/paid", the_customers_order())
    drain(app)
    assert len([o for o in outbox(app) if o.recipient == EMAIL]) == 0


def test_data_request_produces_an_export(app: Any, shop_id: int) -> None:
    journey(app)
    deliver(app.test_client(), "customers/data_request", fixture_payload("customers/data_request"))
    drain(app)
    with app.extensions["aftercare.db"].session() as session:
        export = session.scalars(select(DataExport)).one()
    assert (export.request_id, export.customer_id) == ("9999", "191167")
    assert [o["name"] for o in export.content["orders"]] == ["#9999"]
    assert {m["type"] for m in export.content["messages"]} == {
        "order_confirmation", "shipping_confirmation", "refund_issued"}
    assert any(m["recipient"] == EMAIL and m["status"] == "sent" for m in export.content["messages"])


def test_uninstall_stops_sending_and_drops_the_token(app: Any, shop_id: int) -> None:
    client = app.test_client()
    deliver(client, "orders/create", paid_order())
    deliver(client, "app/uninstalled", fixture_payload("app/uninstalled"))
    drain(app)
    with app.extensions["aftercare.db"].session() as session:
        shop = session.get(Shop, shop_id)
    assert (shop.status, shop.access_token_encrypted) == ("uninstalled", None)
    deliver(client, "fulfillments/create", fulfillment())
    drain(app)
    assert outbox(app) == []
    assert {m.reason for m in messages(app)} <= {"the app was uninstalled", "shop is uninstalled"}


def test_shop_redact_erases_the_shop(app: Any, shop_id: int) -> None:
    journey(app)
    deliver(app.test_client(), "shop/redact", fixture_payload("shop/redact"))
    drain(app)
    assert messages(app) == [] and outbox(app) == []
    assert [d.topic for d in deliveries(app)] == ["shop/redact"]
    stored = everything_stored_for_tests(app)
    assert EMAIL not in stored and "someone.else@example.com" not in stored and "help@acme.example" not in stored
    with app.extensions["aftercare.db"].session() as session:
        assert session.get(Shop, shop_id).status == "redacted"


def _admin_client(app: Any) -> Any:
    from tests.conftest import SHOP_DOMAIN

    client = app.test_client()
    link = app.test_cli_runner().invoke(args=["admin-link", SHOP_DOMAIN]).stdout.strip().splitlines()[0]
    assert client.get(link.removeprefix(app.config["APP_URL"])).status_code == 302
    return client


def _requested_export(app: Any) -> int:
    journey(app)
    deliver(app.test_client(), "customers/data_request", fixture_payload("customers/data_request"))
    drain(app)
    with app.extensions["aftercare.db"].session() as session:
        return session.scalars(select(DataExport.id)).one()


def test_the_merchant_downloads_the_export_from_the_admin(app: Any, shop_id: int) -> None:
    import json

    export_id = _requested_export(app)
    client = _admin_client(app)
    page = client.get("/admin").get_data(as_text=True)
    assert f'href="/admin/data-requests/{export_id}"' in page and "request 9999" in page
    download = client.get(f"/admin/data-requests/{export_id}")
    assert download.status_code == 200 and download.mimetype == "application/json"
    assert download.headers["Content-Disposition"] == 'attachment; filename="aftercare-data-request-9999.json"'
    content = json.loads(download.data)
    assert content["request_id"] == "9999" and content["customer"]["email"] == EMAIL
    assert [o["name"] for o in content["orders"]] == ["#9999"]
    assert app.test_client().get(f"/admin/data-requests/{export_id}").status_code == 403
    assert client.get(f"/admin/data-requests/{export_id + 1}").status_code == 404


def test_the_export_download_inside_shopify_uses_the_session_token(app: Any, shop_id: int) -> None:
    from tests.conftest import OLD_SECRET, SECRET, SHOP_DOMAIN
    from tests.fake_shopify import session_token

    export_id = _requested_export(app)
    url = f"/admin/data-requests/{export_id}"
    for secret in (SECRET, OLD_SECRET):
        bearer = {"Authorization": f"Bearer {session_token(SHOP_DOMAIN, secret)}"}
        assert app.test_client().get(url, headers=bearer, base_url="https://aftercare.test").status_code == 200
    forged = {"Authorization": f"Bearer {session_token(SHOP_DOMAIN, 'n' * 40)}"}
    refused = app.test_client().get(url, headers=forged, base_url="https://aftercare.test")
    assert refused.status_code == 401 and refused.headers["X-Shopify-Retry-Invalid-Session-Request"] == "1"
    elsewhere = {"Authorization": f"Bearer {session_token('other-shop.myshopify.com', SECRET)}"}
    assert app.test_client().get(url, headers=elsewhere, base_url="https://aftercare.test").status_code == 404
