"""The storefront help block in real Chromium on fixture pages reproducing Shopify's Dawn and WooCommerce's
Storefront markup: placement, links, language, keyboard focus, reserved space, click counting, and silence on
pages it does not recognise. Pages come from their own origin (tests/browser/storefront_site.py); Shopify pages
reach the app through a signed app-proxy stand-in, WooCommerce pages cross-origin with CORS."""
from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from sqlalchemy import select

from integration.db.models import HelpClick, Shop
from tests.browser.conftest import PHONE, screenshot
from tests.browser.storefront_site import PAGES, StorefrontSite, dawn_page, woo_page
from tests.conftest import add_shop

READY = ".aftercare-help[data-aftercare-state='ready'] section"
FRENCH = {"heading": "Livraison et retours", "notes": ["Expédié sous 2 jours ouvrés."],
          "labels": ["Quand arrivera-t-il ?", "Retours", "Nous contacter"]}
FACTS = {"delivery_days_min": 3, "delivery_days_max": 5, "shipping_cost": "€4.90", "free_shipping_over": "€50",
         "return_days": 30, "reply_hours": 4}


@pytest.fixture
def site(live_server: str) -> Iterator[StorefrontSite]:
    shop_site = StorefrontSite(live_server)
    yield shop_site
    shop_site.close()


def help_links(base: str) -> dict[str, str]:
    return {key: f"{base}/pages/{key}" for key in ("shipping", "returns", "contact", "track_order")}


@pytest.fixture
def shopify_shop(app: Any, site: StorefrontSite) -> int:
    return add_shop(app, storefront_url=site.url, help_links=help_links(site.url), storefront_facts=FACTS,
                    storefront_text={"fr-FR": {"product": FRENCH}})


@pytest.fixture
def woo_shop(app: Any, site: StorefrontSite) -> int:
    with app.extensions["aftercare.db"].session() as session:
        shop = Shop(platform="woocommerce", domain=site.url.removeprefix("http://"), name="Acme Woo",
                    storefront_url=site.url + "/", help_links=help_links(site.url), storefront_facts=FACTS,
                    storefront_text={"fr-FR": {"product": FRENCH}})
        session.add(shop)
        session.flush()
        return shop.id


def script_url(live_server: str) -> str:
    return requests.get(f"{live_server}/storefront/manifest.json", timeout=5).json()["script"]


def block_of(page: Any) -> dict[str, Any]:
    page.wait_for_selector(READY)
    return page.eval_on_selector(".aftercare-help", """box => ({
        heading: box.querySelector('h2').textContent,
        labelledBy: box.querySelector('section').getAttribute('aria-labelledby') === box.querySelector('h2').id,
        notes: [...box.querySelectorAll('p')].map(p => p.textContent),
        links: [...box.querySelectorAll('a')].map(a => [a.textContent, a.getAttribute('href')]),
        reserved: getComputedStyle(box).minHeight, height: box.getBoundingClientRect().height,
        content: box.querySelector('section').getBoundingClientRect().height})""")


def is_after(page: Any, selector: str) -> bool:
    return page.eval_on_selector(".aftercare-help", "(box, s) => !!box.previousElementSibling && "
                                                    "box.previousElementSibling.matches(s)", selector)


def counted_clicks(app: Any, timeout: float = 5) -> list[tuple[int, str, str, int]]:
    deadline = time.monotonic() + timeout
    while True:
        with app.extensions["aftercare.db"].session() as session:
            rows = [(c.shop_id, c.page, c.link_id, c.clicks) for c in session.scalars(select(HelpClick))]
        if rows or time.monotonic() > deadline:
            return rows
        time.sleep(0.1)


def tab_to_help_link(page: Any, presses: int = 12) -> str:
    for _ in range(presses):
        page.keyboard.press("Tab")
        label = page.evaluate("document.activeElement.matches('a[data-aftercare-link]') && document.activeElement.textContent")
        if label:
            return label
    raise AssertionError("no help link reached with the Tab key")


# --- Shopify (Dawn) -------------------------------------------------------------------------------

def test_dawn_product_page_gets_the_block_after_the_product_form_in_french(
        app: Any, page: Any, site: StorefrontSite, shopify_shop: int, live_server: str, browser_errors: list[str]) -> None:
    url = site.add("/products/linen-shirt", dawn_page("dawn_product", script_url(live_server), locale="fr"))
    page.goto(url)
    block = block_of(page)
    assert is_after(page, "product-form")
    assert block["heading"] == "Livraison et retours" and block["labelledBy"]
    assert block["notes"] == ["Expédié sous 2 jours ouvrés."]
    assert block["links"] == [["Quand arrivera-t-il ?", f"{site.url}/pages/shipping"],
                              ["Retours", f"{site.url}/pages/returns"], ["Nous contacter", f"{site.url}/pages/contact"]]
    assert site.proxied == ["help-links"]  # through the signed app proxy
    screenshot(page, "storefront-dawn-product-fr")
    assert tab_to_help_link(page) == "Quand arrivera-t-il ?"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # "Retours", from the keyboard
    page.wait_for_url(f"{site.url}/pages/returns")
    assert counted_clicks(app) == [(shopify_shop, "product", "1", 1)]
    assert site.proxied == ["help-links", "clicks"]
    assert browser_errors == []


def test_dawn_app_block_keeps_its_reserved_space(app: Any, page: Any, site: StorefrontSite, shopify_shop: int,
                                                 live_server: str, browser_errors: list[str]) -> None:
    url = site.add("/products/linen-shirt", dawn_page("dawn_product", script_url(live_server), "en", app_block=True))
    page.goto(url)
    block = block_of(page)
    assert page.locator(".aftercare-help").count() == 1  # the embed fills the block, places no second one
    assert block["heading"] == "Shipping and returns"
    assert block["notes"] == ["Ships within 2 business days, arrives in 3–5. Shipping €4.90, free over €50.",
                              "Returns accepted within 30 days. We reply within 4 business hours."]
    assert block["content"] <= block["height"] and block["height"] == pytest.approx(120, abs=1)  # 8em of 15px
    screenshot(page, "storefront-dawn-product-app-block")
    assert browser_errors == []


def test_dawn_cart_gets_the_block_before_the_checkout_button_in_the_default_language(
        app: Any, page: Any, site: StorefrontSite, shopify_shop: int, live_server: str, browser_errors: list[str]) -> None:
    url = site.add("/cart", dawn_page("dawn_cart", script_url(live_server), locale="de"))  # no German text saved
    page.goto(url)
    block = block_of(page)
    assert page.eval_on_selector(".aftercare-help", "box => box.nextElementSibling.matches('.cart__ctas') && "
                                                    "!!box.closest('.cart__footer')")
    assert block["heading"] == "Before you check out" and block["notes"][0] == "Shipping €4.90, free over €50."
    assert [label for label, _ in block["links"]] == ["Shipping costs", "Returns", "Contact us"]
    screenshot(page, "storefront-dawn-cart")
    assert browser_errors == []


def test_an_unrecognised_page_gets_nothing_and_no_error(app: Any, page: Any, site: StorefrontSite, shopify_shop: int,
                                                        live_server: str, browser_errors: list[str]) -> None:
    embed = f'<script src="{script_url(live_server)}" async data-aftercare-endpoint="/apps/aftercare/help-links"></script>'
    url = site.add("/pages/about", (PAGES / "unrecognised.html").read_text().replace("%%EMBED%%", embed))
    page.goto(url)
    page.wait_for_load_state("networkidle")
    assert page.evaluate("!!document.querySelector('script[src*=\"/storefront/aftercare.\"]')")
    assert page.locator(".aftercare-help").count() == 0 and page.locator("#aftercare-help-style").count() == 0
    assert site.proxied == [] and browser_errors == []


# --- WooCommerce (Storefront) ---------------------------------------------------------------------

@pytest.mark.parametrize(("name", "before", "kind", "labels"), [
    ("woo_cart_classic", ".woocommerce-cart-form", "cart", ["Shipping costs", "Returns", "Contact us"]),
    ("woo_cart_block", ".wp-block-woocommerce-cart", "cart", ["Shipping costs", "Returns", "Contact us"]),
    ("woo_thank_you", ".woocommerce-order-details", "thank_you", ["Track my order", "Start a return", "Contact us"]),
])
def test_woocommerce_pages_fill_the_plugins_container(app: Any, page: Any, site: StorefrontSite, woo_shop: int,
                                                      live_server: str, browser_errors: list[str], name: str,
                                                      before: str, kind: str, labels: list[str]) -> None:
    url = site.add(f"/{name}/", woo_page(name, live_server, script_url(live_server), woo_shop, locale="en_GB"))
    page.goto(url)
    block = block_of(page)
    assert is_after(page, before)
    assert [label for label, _ in block["links"]] == labels
    assert block["content"] <= block["height"] and block["height"] == pytest.approx(120, abs=1)  # 7.5rem kept
    if kind == "thank_you":
        assert page.eval_on_selector(".aftercare-help", "box => !!box.closest('.woocommerce-order')")
        assert block["notes"][0].startswith("What's next: we ship within 2 business days")
    screenshot(page, f"storefront-{name.replace('_', '-')}")
    assert browser_errors == []


def test_woocommerce_product_page_in_french_counts_a_click(app: Any, page: Any, site: StorefrontSite, woo_shop: int,
                                                           live_server: str, browser_errors: list[str]) -> None:
    url = site.add("/product/linen-shirt/", woo_page("woo_product", live_server, script_url(live_server), woo_shop,
                                                      locale="fr_FR"))
    page.goto(url)
    block = block_of(page)
    assert is_after(page, "form.cart") and page.eval_on_selector(".aftercare-help", "b => !!b.closest('.summary.entry-summary')")
    assert block["heading"] == "Livraison et retours"
    assert [label for label, _ in block["links"]] == ["Quand arrivera-t-il ?", "Retours", "Nous contacter"]
    assert block["content"] <= block["height"]
    assert tab_to_help_link(page) == "Quand arrivera-t-il ?"
    page.click("a[data-aftercare-link='2']")
    page.wait_for_url(f"{site.url}/pages/contact")
    assert counted_clicks(app) == [(woo_shop, "product", "2", 1)]
    assert browser_errors == []


def test_woocommerce_product_page_on_a_phone(app: Any, page: Any, site: StorefrontSite, woo_shop: int,
                                             live_server: str, browser_errors: list[str]) -> None:
    page.set_viewport_size(PHONE)
    url = site.add("/product/linen-shirt/", woo_page("woo_product", live_server, script_url(live_server), woo_shop))
    page.goto(url)
    block_of(page)
    screenshot(page, "storefront-woo-product-phone")
    assert browser_errors == []
