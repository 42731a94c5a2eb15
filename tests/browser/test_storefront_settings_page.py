"""The Settings page's storefront part in Chromium: facts, a language added and saved, an error shown next to
its field, and the storefront answering in the new language right after."""
from __future__ import annotations

from typing import Any

import requests

from integration.db.models import Shop
from tests.browser.conftest import enter_admin, screenshot


def stored(app: Any, shop_id: int) -> Shop:
    with app.extensions["aftercare.db"].session() as session:
        return session.get(Shop, shop_id)


def test_a_merchant_sets_facts_and_french_text_and_the_storefront_follows(app: Any, page: Any, shop_id: int,
                                                                        live_server: str, browser_errors: list[str]) -> None:
    enter_admin(app, page)
    page.goto("/admin/settings")
    page.fill("#storefront_facts-delivery_days_min", "3")
    page.fill("#storefront_facts-delivery_days_max", "2")
    page.fill("#storefront_facts-reply_hours", "4")
    page.click("#add-translation")
    page.fill("#translations-0-locale", "fr")
    page.fill("#translations-0-pages-product-heading", "Livraison et retours")
    page.fill("#translations-0-pages-product-notes", "Expédié sous 24 h.\nRetours sous 30 jours.")
    page.click("button[type=submit]")
    error = page.locator("#error-storefront_facts-delivery_days_max")
    error.wait_for()
    assert "less than the fastest" in error.text_content()
    assert page.evaluate("document.activeElement.id") == "storefront_facts-delivery_days_max"
    assert stored(app, shop_id).storefront_text in ({}, None)
    screenshot(page, "settings-storefront-error")
    page.fill("#storefront_facts-delivery_days_max", "5")
    page.click("button[type=submit]")
    page.wait_for_function("document.getElementById('save-status').textContent === 'Saved.'")
    shop = stored(app, shop_id)
    assert shop.storefront_facts["delivery_days_max"] == 5 and shop.storefront_facts["reply_hours"] == 4
    assert shop.storefront_text["fr"]["product"]["notes"] == ["Expédié sous 24 h.", "Retours sous 30 jours."]
    french = requests.get(f"{live_server}/storefront/shops/{shop_id}/help-links?page=product&locale=fr-CA", timeout=5)
    assert french.json()["heading"] == "Livraison et retours"
    english = requests.get(f"{live_server}/storefront/shops/{shop_id}/help-links?page=thank_you", timeout=5).json()
    assert english["notes"][1].endswith("We reply within 4 business hours.")
    assert page.get_attribute("#page_notes-product", "placeholder").startswith("Ships within 2 business days, arrives in 3–5.")
    screenshot(page, "settings-storefront-saved")
    # Chromium logs the refused save's 400 itself; nothing else may appear.
    assert [e for e in browser_errors if "status of 400" not in e or "/admin/settings" not in e] == []
    assert len(browser_errors) == 1
