"""The Settings page's storefront part: facts, notes per page type, text per language and the clicks of the
last 30 days; saved through the real endpoint, refused field by field, and seen by the storefront at once."""
from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest

from integration.db.database import utcnow
from integration.db.models import HelpClick, Shop
from tests.integration.admin.test_settings import VALID, admin_client, post_settings

FACTS = {"delivery_days_min": 3, "delivery_days_max": 5, "shipping_cost": "$4.90", "free_shipping_over": "$50",
         "return_days": 30, "reply_hours": 4}
FRENCH = {"locale": "fr_fr", "pages": {"product": {"heading": "Livraison et retours", "notes": ["Expédié sous 24 h."],
                                                  "labels": ["Quand arrivera-t-il ?", "", "Nous contacter"]}}}


def body(**changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(VALID), "ships_within_days": 1, "storefront_facts": FACTS,
            "page_notes": {"product": None, "cart": ["Free shipping over $50 in the EU."], "thank_you": None},
            "translations": [FRENCH], **changes}


def shop_row(app: Any, shop_id: int) -> Shop:
    with app.extensions["aftercare.db"].session() as session:
        return session.get(Shop, shop_id)


def block(client: Any, shop_id: int, page: str, locale: str = "") -> dict[str, Any]:
    return client.get(f"/storefront/shops/{shop_id}/help-links?page={page}&locale={locale}").get_json()


def test_saved_facts_notes_and_languages_reach_the_storefront_at_once(app: Any, shop_id: int) -> None:
    client = app.test_client()
    assert block(client, shop_id, "product", "fr-FR")["heading"] == "Shipping and returns"  # cached before the save
    response = post_settings(admin_client(app), body())
    assert response.status_code == 200, response.get_json()
    shop = shop_row(app, shop_id)
    assert shop.ships_within_days == 1 and shop.storefront_facts == FACTS
    assert shop.page_notes == {"product": None, "cart": ["Free shipping over $50 in the EU."], "thank_you": None}
    assert shop.storefront_text == {"fr-FR": {
        "product": {"heading": "Livraison et retours", "notes": ["Expédié sous 24 h."],
                    "labels": ["Quand arrivera-t-il ?", "", "Nous contacter"]},
        "cart": {"heading": None, "notes": [], "labels": []}, "thank_you": {"heading": None, "notes": [], "labels": []}}}
    french = block(client, shop_id, "product", "fr-FR")
    assert french["heading"] == "Livraison et retours" and french["notes"] == ["Expédié sous 24 h."]
    english = block(client, shop_id, "product")
    assert english["notes"][0] == "Ships within 1 business day, arrives in 3–5. Shipping $4.90, free over $50."
    assert block(client, shop_id, "cart")["notes"] == ["Free shipping over $50 in the EU."]
    assert block(client, shop_id, "cart", "fr")["heading"] == "Before you check out"  # nothing French for the cart
    answer = response.get_json()
    assert answer["translations"][0]["locale"] == "fr-FR" and answer["page_notes"]["cart"] == shop.page_notes["cart"]


@pytest.mark.parametrize(("changes", "path"), [
    ({"storefront_facts": {**FACTS, "delivery_days_max": 2}}, "storefront_facts.delivery_days_max"),
    ({"storefront_facts": {**FACTS, "reply_hours": 0}}, "storefront_facts.reply_hours"),
    ({"storefront_facts": {**FACTS, "shipping_cost": "$4.90\nfree"}}, "storefront_facts.shipping_cost"),
    ({"ships_within_days": 45}, "ships_within_days"),
    ({"page_notes": {"product": ["x" * 121], "cart": None, "thank_you": None}}, "page_notes.product"),
    ({"page_notes": {"product": ["a", "b", "c", "d"], "cart": None, "thank_you": None}}, "page_notes.product"),
    ({"translations": [{**FRENCH, "locale": "xx-nope-!"}]}, "translations.0.locale"),
    ({"translations": [FRENCH, {**FRENCH, "locale": "fr-FR"}]}, "translations"),
    ({"translations": [{"locale": "de", "pages": {"cart": {"labels": ["a"] * 6}}}]}, "translations.0.pages.cart.labels"),
    ({"translations": [{"locale": "de", "pages": {"cart": {"notes": [7]}}}]}, "translations.0.pages.cart.notes"),
])
def test_a_bad_storefront_field_is_refused_next_to_it_and_nothing_is_stored(app: Any, shop_id: int,
                                                                          changes: dict[str, Any], path: str) -> None:
    response = post_settings(admin_client(app), body(**changes))
    assert response.status_code == 400 and path in response.get_json()["errors"], response.get_json()
    shop = shop_row(app, shop_id)
    assert shop.storefront_facts in ({}, None) and shop.storefront_text in ({}, None) and shop.ships_within_days == 2


def test_the_page_shows_the_storefront_fields_generated_notes_and_clicks(app: Any, shop_id: int) -> None:
    with app.extensions["aftercare.db"].session() as session:
        today = utcnow().date()
        session.add_all([HelpClick(shop_id=shop_id, page="product", link_id="1", day=today, clicks=3),
                         HelpClick(shop_id=shop_id, page="product", link_id="1", day=today - dt.timedelta(days=3), clicks=2),
                         HelpClick(shop_id=shop_id, page="product", link_id="1", day=today - dt.timedelta(days=45), clicks=9),
                         HelpClick(shop_id=shop_id, page="cart", link_id="2", day=today, clicks=1)])
    page = admin_client(app).get("/admin/settings").get_data(as_text=True)
    for field in ("ships_within_days", "storefront_facts-delivery_days_min", "storefront_facts-reply_hours",
                  "page_notes-product", "page_notes-thank_you"):
        assert f'<label for="{field}">' in page
    assert 'placeholder="Ships within 2 business days."' in page
    clicks = page.split('id="clicks-heading"')[1]
    product = clicks.split('data-kind="product"')[1].split("</table>")[0]
    assert "<th scope=\"row\">Returns</th><td>5</td>" in product  # 3 + 2 in the last 30 days, not the 9 before
    assert "<th scope=\"row\">When will it arrive?</th><td>0</td>" in product
    cart = clicks.split('data-kind="cart"')[1].split("</table>")[0]
    assert "<th scope=\"row\">Contact us</th><td>1</td>" in cart
