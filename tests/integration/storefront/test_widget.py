"""The storefront endpoints against the real app and database: the script and its manifest, the help-links
JSON (ETag, cache, CORS, errors), click counting, and the same through Shopify's signed app proxy."""
from __future__ import annotations

import gzip
import json
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from integration.db.models import HelpClick, Shop
from integration.help.content import help_block, metafield_value, normal_tag
from integration.help.notes import default_notes
from integration.storefront.widget import SCRIPT
from tests.conftest import OLD_SECRET, SECRET, SHOP_DOMAIN, add_shop, proxy_params, proxy_signature

STOREFRONT = "https://www.acme.example"
FACTS = {"delivery_days_min": 3, "delivery_days_max": 5, "shipping_cost": "$4.90", "free_shipping_over": "$50",
         "return_days": 30, "reply_hours": 4}
FRENCH = {"fr-FR": {"product": {"heading": "Livraison et retours", "notes": ["Expédié sous 1 jour ouvré."],
                                "labels": ["Quand arrivera-t-il ?", "", "Nous contacter"]}}}


def update_shop(app: Any, shop_id: int, **values: Any) -> None:
    with app.extensions["aftercare.db"].session() as session:
        shop = session.get(Shop, shop_id)
        for name, value in values.items():
            setattr(shop, name, value)
    app.extensions.pop("aftercare.help_cache", None)


def links_url(shop_id: int, **query: str) -> str:
    return f"/storefront/shops/{shop_id}/help-links?{urlencode(query)}"


def stored_clicks(app: Any) -> list[tuple[str, str, int]]:
    with app.extensions["aftercare.db"].session() as session:
        return [(c.page, c.link_id, c.clicks) for c in session.scalars(select(HelpClick).order_by(HelpClick.id))]


def beacon(client: Any, url: str, body: Any) -> Any:
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(url, data=data, content_type="text/plain;charset=UTF-8")


# --- the block ------------------------------------------------------------------------------------

def test_notes_are_generated_from_the_shop_facts_in_plain_words() -> None:
    notes = default_notes(FACTS, 1)
    assert notes["product"] == ["Ships within 1 business day, arrives in 3–5. Shipping $4.90, free over $50.",
                                "Returns accepted within 30 days. We reply within 4 business hours."]
    assert notes["cart"][0] == "Shipping $4.90, free over $50."
    assert notes["thank_you"] == [
        "What's next: we ship within 1 business day and email you the tracking link.",
        "To change the address or cancel, contact us before it ships. We reply within 4 business hours."]


def test_a_new_shop_without_facts_still_says_something_useful() -> None:
    notes = default_notes(None, 2)
    assert notes["product"] == notes["cart"] == ["Ships within 2 business days."]
    assert len(notes["thank_you"]) == 2


def test_locale_tags_are_normalised_and_nonsense_is_ignored() -> None:
    assert normal_tag("fr_FR") == normal_tag("fr-fr") == "fr-FR"
    assert normal_tag("<script>") is None and normal_tag("") is None and normal_tag(None) is None


def test_the_block_uses_the_saved_text_of_the_page_language_and_falls_back_to_the_default(app: Any) -> None:
    shop_id = add_shop(app, storefront_facts=FACTS, storefront_text=FRENCH)
    with app.extensions["aftercare.db"].session() as session:
        shop = session.get(Shop, shop_id)
        french, bare_french, unknown = help_block(shop, "product", "fr_FR"), help_block(shop, "product", "fr"), \
            help_block(shop, "product", "de-DE")
        english_cart = help_block(shop, "cart", "fr-FR")
        value = metafield_value(shop)
    assert french["locale"] == bare_french["locale"] == "fr-FR"
    assert french["heading"] == "Livraison et retours" and french["notes"] == ["Expédié sous 1 jour ouvré."]
    assert [link["label"] for link in french["links"]] == ["Quand arrivera-t-il ?", "Returns", "Nous contacter"]
    assert unknown["locale"] == "en" and unknown["heading"] == "Shipping and returns"
    assert [link["label"] for link in unknown["links"]] == ["When will it arrive?", "Returns", "Contact us"]
    assert english_cart["heading"] == "Before you check out" and english_cart["locale"] == "fr-FR"
    assert set(value["locales"]) == {"en", "fr-FR"} and value["default_locale"] == "en"
    assert set(value["locales"]["en"]) == {"thank_you", "order_status"}


# --- the script -----------------------------------------------------------------------------------

def test_the_manifest_names_the_hashed_script_which_is_cached_for_a_year(app: Any) -> None:
    client = app.test_client()
    manifest = client.get("/storefront/manifest.json")
    script_url = manifest.get_json()["script"]
    assert manifest.headers["Cache-Control"] == "public, max-age=300"
    assert script_url.startswith("http://aftercare.test/storefront/aftercare.") and script_url.endswith(".js")
    hashed = client.get(script_url.removeprefix("http://aftercare.test"))
    latest = client.get("/storefront/aftercare.js")
    assert hashed.status_code == latest.status_code == 200
    assert hashed.data == latest.data == SCRIPT.read_bytes()
    assert hashed.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert latest.headers["Cache-Control"] == "public, max-age=300"
    assert hashed.headers["Content-Type"].startswith("text/javascript")
    assert client.get("/storefront/aftercare.0123456789abcdef.js").status_code == 404


def test_the_script_stays_within_its_two_kilobyte_budget_gzipped() -> None:
    assert len(gzip.compress(SCRIPT.read_bytes(), 9)) <= 2048


# --- help links -----------------------------------------------------------------------------------

def test_help_links_answer_the_block_with_an_etag_a_short_cache_and_no_cookie(app: Any) -> None:
    shop_id = add_shop(app, storefront_facts=FACTS)
    client = app.test_client()
    response = client.get(links_url(shop_id, page="thank_you", locale="en-US"))
    block = response.get_json()
    assert response.status_code == 200 and block["page"] == "thank_you" and block["locale"] == "en"
    assert [link["label"] for link in block["links"]] == ["Start a return", "Contact us"]
    assert block["notes"][1].endswith("We reply within 4 business hours.")
    assert response.headers["Cache-Control"] == "public, max-age=60" and response.headers["Vary"] == "Origin"
    assert "Set-Cookie" not in response.headers
    again = client.get(links_url(shop_id, page="thank_you"), headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == response.headers["ETag"]
    other = client.get(links_url(shop_id, page="cart"), headers={"If-None-Match": response.headers["ETag"]})
    assert other.status_code == 200 and other.headers["ETag"] != response.headers["ETag"]


def test_cors_is_allowed_only_for_the_shops_own_origins(app: Any) -> None:
    shop_id = add_shop(app, storefront_url=STOREFRONT + "/")
    client = app.test_client()
    for origin in (STOREFRONT, f"https://{SHOP_DOMAIN}"):
        response = client.get(links_url(shop_id, page="cart"), headers={"Origin": origin})
        assert response.headers["Access-Control-Allow-Origin"] == origin
    for origin in ("https://evil.example", "http://www.acme.example", "null"):
        response = client.get(links_url(shop_id, page="cart"), headers={"Origin": origin})
        assert response.status_code == 200 and "Access-Control-Allow-Origin" not in response.headers


@pytest.mark.parametrize(("query", "status"), [({"page": "checkout"}, 400), ({}, 400),
                                               ({"page": "cart", "locale": "x" * 2000}, 414)])
def test_help_links_refuse_an_unknown_page_type_and_an_oversized_query(app: Any, shop_id: int, query: dict[str, str],
                                                                      status: int) -> None:
    response = app.test_client().get(links_url(shop_id, **query))
    assert response.status_code == status and response.get_json()["error"]


def test_help_links_of_an_unknown_or_uninstalled_shop_are_404(app: Any, shop_id: int) -> None:
    client = app.test_client()
    assert client.get(links_url(shop_id + 1000, page="cart")).status_code == 404
    update_shop(app, shop_id, status="uninstalled")
    assert client.get(links_url(shop_id, page="cart")).status_code == 404


def test_saving_settings_reaches_the_storefront_at_once(app: Any, shop_id: int) -> None:
    from integration.admin.settings import load_settings, store_settings

    client = app.test_client()
    assert client.get(links_url(shop_id, page="product")).get_json()["links"][0]["label"] == "When will it arrive?"
    with app.app_context():
        links = load_settings(shop_id)["page_links"]
        links["product"][0]["label"] = "Delivery times"
        store_settings(shop_id, {"page_links": links})
    assert client.get(links_url(shop_id, page="product")).get_json()["links"][0]["label"] == "Delivery times"


# --- clicks ---------------------------------------------------------------------------------------

def test_clicks_are_counted_per_page_and_link_without_cookies(app: Any, shop_id: int) -> None:
    client = app.test_client()
    url = f"/storefront/shops/{shop_id}/clicks"
    for _ in range(2):
        response = beacon(client, url, {"page": "product", "link": "2"})
        assert response.status_code == 204 and "Set-Cookie" not in response.headers
    assert beacon(client, url, {"page": "thank_you", "link": "0"}).status_code == 204
    assert sorted(stored_clicks(app)) == [("product", "2", 2), ("thank_you", "0", 1)]


@pytest.mark.parametrize(("body", "status"), [({"page": "product", "link": "9"}, 400), ({"page": "home", "link": "0"}, 400),
                                              ("not json", 400), ({"page": "product"}, 400),
                                              ('{"page": "product", "link": "0", "x": "' + "y" * 600 + '"}', 413)])
def test_a_bad_click_is_refused_and_counts_nothing(app: Any, shop_id: int, body: Any, status: int) -> None:
    response = beacon(app.test_client(), f"/storefront/shops/{shop_id}/clicks", body)
    assert response.status_code == status and stored_clicks(app) == []


def test_a_click_for_an_unknown_shop_is_404(app: Any, shop_id: int) -> None:
    response = beacon(app.test_client(), f"/storefront/shops/{shop_id + 1000}/clicks", {"page": "cart", "link": "0"})
    assert response.status_code == 404 and stored_clicks(app) == []


# --- the app proxy --------------------------------------------------------------------------------

def test_the_signature_helper_reproduces_shopifys_documented_digest() -> None:
    params = {"extra": ["1", "2"], "logged_in_customer_id": "1", "path_prefix": "/apps/awesome_reviews",
              "shop": "shop-name.myshopify.com", "timestamp": "1317327555"}
    assert proxy_signature(params, "hush") == "4c68c8624d737112c91818c11017d24d334b524cb5c2b8ba08daa056f7395ddb"


def test_the_proxy_answers_a_signed_request_for_the_signed_shop(app: Any) -> None:
    shop_id = add_shop(app, storefront_text=FRENCH)
    client = app.test_client()
    for secret in (None, OLD_SECRET):
        query = proxy_params({"page": "product", "locale": "fr"}, **({"secret": secret} if secret else {}))
        response = client.get(f"/storefront/proxy/help-links?{urlencode(query)}")
        assert response.status_code == 200 and response.get_json()["heading"] == "Livraison et retours"
    click = beacon(client, f"/storefront/proxy/clicks?{urlencode(proxy_params())}", {"page": "product", "link": "1"})
    assert click.status_code == 204 and stored_clicks(app) == [("product", "1", 1)]
    with app.extensions["aftercare.db"].session() as session:
        assert session.scalar(select(HelpClick.shop_id)) == shop_id


@pytest.mark.parametrize("tamper", ["page", "shop", "signature", "no_signature", "stale", "other_secret"])
def test_the_proxy_refuses_a_bad_signature_with_401(app: Any, shop_id: int, tamper: str) -> None:
    query = proxy_params({"page": "product"}, secret="wrong-secret" if tamper == "other_secret" else SECRET,
                         timestamp=1317327555 if tamper == "stale" else None)
    changes = {"page": {"page": "cart"}, "shop": {"shop": "other.myshopify.com"}, "signature": {"signature": "0" * 64}}
    query.update(changes.get(tamper, {}))
    if tamper == "no_signature":
        query.pop("signature")
    response = app.test_client().get(f"/storefront/proxy/help-links?{urlencode(query)}")
    assert response.status_code == 401 and response.get_json()["error"]
    click = beacon(app.test_client(), f"/storefront/proxy/clicks?{urlencode(query)}", {"page": "product", "link": "0"})
    assert click.status_code == 401 and stored_clicks(app) == []


def test_the_proxy_refuses_an_unknown_shop_and_an_oversized_query(app: Any, shop_id: int) -> None:
    client = app.test_client()
    unknown = proxy_params({"page": "cart"}, domain="unknown-shop.myshopify.com")
    assert client.get(f"/storefront/proxy/help-links?{urlencode(unknown)}").status_code == 404
    huge = proxy_params({"page": "cart", "locale": "x" * 2000})
    assert client.get(f"/storefront/proxy/help-links?{urlencode(huge)}").status_code == 414
