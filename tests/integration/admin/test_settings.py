"""The admin's Settings page: the page, saving through the JSON endpoint, validation, authorisation."""
from __future__ import annotations

import copy
import re
from typing import Any
from urllib.parse import urlencode

import pytest

from integration.admin.settings import SETTINGS
from integration.db.models import Shop
from integration.help.pages import default_page_links, effective_page_links
from tests.conftest import SECRET, SHOP_DOMAIN
from tests.fake_shopify import session_token

URL = "/admin/settings"
HELP_LINKS = {"shipping": "https://acme.example/shipping", "returns": "https://acme.example/returns",
              "contact": "https://acme.example/contact"}
VALID: dict[str, Any] = {
    "sender_name": "Acme Care", "reply_to": "care@acme.example", "email_enabled": False, "sms_enabled": True,
    "sms_sender": "AcmeShop", "quiet_hours_start": 22, "quiet_hours_end": 7, "max_event_age_days": 30,
    "locale": "fr-CA",
    "page_links": {"product": [{"label": "Sizing", "url": "https://acme.example/sizing"}],
                   "cart": [],
                   "thank_you": [{"label": "Track my order", "url": "https://acme.example/track"},
                                 {"label": "Contact us", "url": "http://acme.example/contact"}]},
}


# --- helpers --------------------------------------------------------------------------------------

def admin_client(app: Any) -> Any:
    """A browser that followed a `flask admin-link` link: the first-party session."""
    client = app.test_client()
    link = app.test_cli_runner().invoke(args=["admin-link", SHOP_DOMAIN]).stdout.strip().splitlines()[0]
    assert client.get(link.removeprefix(app.config["APP_URL"])).status_code == 302
    return client


def csrf_of(page: str) -> str:
    return re.search(r'<meta name="csrf-token" content="([^"]+)">', page).group(1)


def post_settings(client: Any, body: Any) -> Any:
    token = csrf_of(client.get(URL).get_data(as_text=True))
    return client.post(URL, json=body, headers={"X-CSRF-Token": token})


def stored(app: Any, shop_id: int) -> dict[str, Any]:
    with app.extensions["aftercare.db"].session() as session:
        shop = session.get(Shop, shop_id)
        return {**{name: getattr(shop, name) for name in SETTINGS}, "page_links": shop.page_links}


def edited_part(answer: dict[str, Any]) -> dict[str, Any]:
    """The settings these tests send (the answer also carries the storefront notes and languages)."""
    return {key: answer[key] for key in VALID}


def changed(**changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(VALID), **changes}


def with_links(kind: str, links: list[dict[str, str]]) -> dict[str, Any]:
    body = copy.deepcopy(VALID)
    body["page_links"][kind] = links
    return body


# --- default page links ---------------------------------------------------------------------------

def test_default_page_links_come_from_the_policy_links() -> None:
    assert default_page_links(HELP_LINKS) == {
        "product": [{"label": "When will it arrive?", "url": HELP_LINKS["shipping"]},
                    {"label": "Returns", "url": HELP_LINKS["returns"]}, {"label": "Contact us", "url": HELP_LINKS["contact"]}],
        "cart": [{"label": "Shipping costs", "url": HELP_LINKS["shipping"]},
                 {"label": "Returns", "url": HELP_LINKS["returns"]}, {"label": "Contact us", "url": HELP_LINKS["contact"]}],
        "thank_you": [{"label": "Start a return", "url": HELP_LINKS["returns"]},
                      {"label": "Contact us", "url": HELP_LINKS["contact"]}],
    }


def test_default_page_links_track_the_order_when_set_and_skip_what_is_not_a_web_address() -> None:
    links = {"track_order": "https://acme.example/track", "returns": "mailto:help@acme.example",
             "contact_email": "help@acme.example", "shipping": None}
    assert default_page_links(links) == {
        "product": [], "cart": [], "thank_you": [{"label": "Track my order", "url": "https://acme.example/track"}]}
    assert default_page_links(None) == {"product": [], "cart": [], "thank_you": []}


def test_saved_page_links_replace_the_defaults_per_page_type() -> None:
    saved = {"product": [{"label": "Sizing", "url": "https://acme.example/sizing"}], "cart": []}
    links = effective_page_links(saved, HELP_LINKS)
    assert links["product"] == saved["product"]
    assert links["cart"] == []  # deliberately without links
    assert links["thank_you"] == default_page_links(HELP_LINKS)["thank_you"]


# --- the page -------------------------------------------------------------------------------------

def test_the_page_shows_the_current_values_and_prefills_page_links_from_the_policies(app: Any, shop_id: int) -> None:
    with app.extensions["aftercare.db"].session() as session:
        shop = session.get(Shop, shop_id)
        shop.sender_name, shop.reply_to, shop.timezone = "Acme Care", "care@acme.example", "Europe/Zurich"
    response = admin_client(app).get(URL)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Content-Security-Policy"] == "frame-ancestors 'none';"
    assert 'value="Acme Care"' in page and 'value="care@acme.example"' in page and "Europe/Zurich" in page
    assert 'id="page_links-product-0-url"' in page and 'value="https://acme.example/shipping"' in page
    assert 'id="page_links-thank_you-1-label"' in page and 'value="Contact us"' in page
    assert "Track my order" not in page.split('id="link-row-template"')[0]  # the shop has no tracking page
    for field in ("sender_name", "reply_to", "sms_sender", "quiet_hours_start", "quiet_hours_end",
                  "max_event_age_days", "locale", "email_enabled", "sms_enabled"):
        assert f'<label for="{field}">' in page


def test_the_page_shows_saved_links_and_keeps_an_emptied_page_type_empty(app: Any, shop_id: int) -> None:
    client = admin_client(app)
    assert post_settings(client, VALID).status_code == 200
    page = client.get(URL).get_data(as_text=True).split('id="link-row-template"')[0]
    assert 'value="https://acme.example/sizing"' in page and 'id="page_links-cart-0-url"' not in page
    assert 'value="https://acme.example/shipping"' not in page


# --- saving ---------------------------------------------------------------------------------------

def test_saving_valid_settings_stores_them(app: Any, shop_id: int) -> None:
    response = post_settings(admin_client(app), changed(sender_name="  Acme Care ", reply_to="", locale="de_CH"))
    expected = changed(sender_name="Acme Care", reply_to=None, locale="de-CH")
    assert response.status_code == 200 and edited_part(response.get_json()) == expected
    assert stored(app, shop_id) == expected


def test_quiet_hours_can_be_turned_off(app: Any, shop_id: int) -> None:
    response = post_settings(admin_client(app), changed(quiet_hours_start=None, quiet_hours_end=None, sms_sender="+41791234567"))
    assert response.status_code == 200
    assert stored(app, shop_id)["quiet_hours_start"] is None and stored(app, shop_id)["sms_sender"] == "+41791234567"


def test_saving_changes_only_the_requests_shop(app: Any, shop_id: int) -> None:
    result = app.test_cli_runner().invoke(args=["shop", "add", "shopify", "other-shop.myshopify.com",
                                                "--access-token", "shpat_other", "--name", "Other"])
    other_id = int(result.stdout.strip())
    before = stored(app, other_id)
    assert post_settings(admin_client(app), VALID).status_code == 200
    assert stored(app, other_id) == before


INVALID = [
    (changed(reply_to="not-an-email"), "reply_to"),
    (changed(sms_sender="Acme Outfitters"), "sms_sender"),  # longer than 11
    (changed(sms_sender="12345"), "sms_sender"),  # digits only, not E.164
    (changed(sms_sender="+0123"), "sms_sender"),
    (changed(sms_sender="Acme-Shop"), "sms_sender"),
    (changed(quiet_hours_start=24), "quiet_hours_start"),
    (changed(quiet_hours_end=-1), "quiet_hours_end"),
    (changed(quiet_hours_end=None), "quiet_hours_end"),  # both or neither
    (changed(quiet_hours_start=None), "quiet_hours_start"),
    (changed(quiet_hours_end=22), "quiet_hours_end"),  # start == end would be no quiet hours at all
    (changed(max_event_age_days=0), "max_event_age_days"),
    (changed(max_event_age_days=91), "max_event_age_days"),
    (changed(locale="xx-Nowhere"), "locale"),
    (changed(locale=""), "locale"),
    (with_links("product", [{"label": "Evil", "url": "javascript:alert(1)"}]), "page_links.product.0.url"),
    (with_links("cart", [{"label": "Files", "url": "ftp://acme.example/files"}]), "page_links.cart.0.url"),
    (with_links("thank_you", [{"label": "", "url": "https://acme.example/a"}]), "page_links.thank_you.0.label"),
    (with_links("product", [{"label": "x" * 41, "url": "https://acme.example/a"}]), "page_links.product.0.label"),
    (with_links("cart", [{"label": f"Link {n}", "url": f"https://acme.example/{n}"} for n in range(6)]), "page_links.cart"),
]


@pytest.mark.parametrize(("body", "field"), INVALID, ids=[f"{field}-{n}" for n, (_, field) in enumerate(INVALID)])
def test_invalid_settings_are_refused_with_the_fields_error_and_nothing_is_saved(
        app: Any, shop_id: int, body: dict[str, Any], field: str) -> None:
    before = stored(app, shop_id)
    response = post_settings(admin_client(app), body)
    assert response.status_code == 400
    errors = response.get_json()["errors"]
    assert list(errors) == [field] and errors[field] and all(isinstance(m, str) for m in errors[field])
    assert stored(app, shop_id) == before


def test_missing_fields_and_non_json_bodies_are_refused(app: Any, shop_id: int) -> None:
    client = admin_client(app)
    token = csrf_of(client.get(URL).get_data(as_text=True))
    missing = client.post(URL, json={"sender_name": "Acme"}, headers={"X-CSRF-Token": token})
    assert missing.status_code == 400 and "locale" in missing.get_json()["errors"]
    garbage = client.post(URL, data="nonsense", headers={"X-CSRF-Token": token, "Content-Type": "application/json"})
    assert garbage.status_code == 400 and "_schema" in garbage.get_json()["errors"]


# --- authorisation --------------------------------------------------------------------------------

def test_a_first_party_post_without_the_csrf_token_is_refused(app: Any, shop_id: int) -> None:
    client = admin_client(app)
    before = stored(app, shop_id)
    assert client.post(URL, json=VALID).status_code == 403
    assert client.post(URL, json=VALID, headers={"X-CSRF-Token": "guessed"}).status_code == 403
    assert stored(app, shop_id) == before


def test_without_a_session_the_page_and_saving_are_refused(app: Any, shop_id: int) -> None:
    before = stored(app, shop_id)
    assert app.test_client().get(URL).status_code == 403
    assert app.test_client().post(URL, json=VALID, headers={"X-CSRF-Token": "x"}).status_code == 403
    assert stored(app, shop_id) == before


def test_an_invalid_session_token_is_told_to_retry(app: Any, shop_id: int) -> None:
    forged = {"Authorization": f"Bearer {session_token(SHOP_DOMAIN, 'n' * 40)}"}
    before = stored(app, shop_id)
    response = app.test_client().post(URL, json=VALID, headers=forged, base_url="https://aftercare.test")
    assert response.status_code == 401 and response.headers["X-Shopify-Retry-Invalid-Session-Request"] == "1"
    assert stored(app, shop_id) == before


def test_a_valid_session_token_saves_without_csrf(app: Any, shop_id: int) -> None:
    bearer = {"Authorization": f"Bearer {session_token(SHOP_DOMAIN, SECRET)}"}
    response = app.test_client().post(URL, json=VALID, headers=bearer, base_url="https://aftercare.test")
    assert response.status_code == 200 and edited_part(response.get_json()) == VALID
    assert stored(app, shop_id) == VALID


def test_inside_shopify_the_page_loads_with_the_session_token_and_no_cookie(app: Any, shop_id: int) -> None:
    query = urlencode({"embedded": "1", "shop": SHOP_DOMAIN, "host": "YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvYWM",
                       "id_token": session_token(SHOP_DOMAIN, SECRET)})
    response = app.test_client().get(f"{URL}?{query}", base_url="https://aftercare.test")
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    assert response.headers["Content-Security-Policy"] == (
        f"frame-ancestors https://{SHOP_DOMAIN} https://admin.shopify.com;")
    assert 'value="https://acme.example/returns"' in response.get_data(as_text=True)
