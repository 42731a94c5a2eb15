"""The theme app extension's app block as a French storefront serves it, in real Chromium: the block's own Liquid
(extensions/aftercare-theme/blocks/help-links.liquid, rendered with routes.root_url "/fr") in Dawn's product page,
and the script loaded the way the block schema's `javascript` key loads it (a deferred script without data
attributes, no app embed): the block fills in French inside its reserved space, and its no-script contact link
keeps the language."""
from __future__ import annotations

from typing import Any

import pytest

from tests.browser.storefront_site import PAGES, StorefrontSite
from tests.browser.test_storefront_widget import FRENCH, block_of, script_url, shopify_shop, site  # noqa: F401
from tests.extensions.test_platform_tools import render_block_html


def dawn_product_with_the_block(script: str) -> str:
    html = (PAGES / "dawn_product.html").read_text().replace("%%LANG%%", "fr")
    html = html.replace("%%APP_BLOCK%%", render_block_html("fr", "/fr"))
    return html.replace("%%EMBED%%", f'<script src="{script}" defer></script>')


def test_the_app_block_fills_in_its_reserved_space_with_the_schemas_script(
        app: Any, page: Any, site: StorefrontSite, shopify_shop: int, live_server: str,  # noqa: F811
        browser_errors: list[str]) -> None:
    page.goto(site.add("/fr/products/linen-shirt", dawn_product_with_the_block(script_url(live_server))))
    block = block_of(page)
    assert page.locator(".aftercare-help").count() == 1  # the block itself, no second one placed
    assert block["heading"] == FRENCH["heading"] and [label for label, _ in block["links"]] == FRENCH["labels"]
    assert block["reserved"] == "120px" and block["content"] <= block["height"]
    assert block["height"] == pytest.approx(120, abs=1)  # 8em of 15px: the links moved nothing
    assert site.proxied == ["help-links"]
    fallback = page.eval_on_selector(".aftercare-help noscript", "n => n.textContent")
    assert fallback.count('href="/fr/pages/contact"') == 1
    assert browser_errors == []
