"""The app-owned shop metafield the Shopify extensions read, written through a local server that answers
`shop { id }` and `metafieldsSet` the way the GraphQL Admin API documents them (tests/fake_shopify.py)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from rq.registry import FailedJobRegistry, ScheduledJobRegistry

from connectors import shopify_metafields
from connectors.shopify_api import ShopifyApiError
from integration import workers
from integration.admin.settings import store_settings
from integration.db.models import Shop
from integration.help.content import metafield_value
from integration.runtime import extensions
from integration.shopify import help_metafield
from tests.conftest import fixture_payload
from tests.fake_shopify import APP_ID, FakeShopify
from tests.helpers import deliver, drain
from tests.integration.admin.test_settings import VALID, admin_client, post_settings

EXTENSION_FIXTURE = Path(__file__).parents[3] / "extensions" / "shared" / "fixtures" / "metafield-value.json"


def _sync(app: Any, shop_id: int) -> str:
    with app.app_context():
        return help_metafield.sync_help_metafield(shop_id)


def _expected(app: Any, shop_id: int) -> dict[str, Any]:
    with app.extensions["aftercare.db"].session() as session:
        return metafield_value(session.get(Shop, shop_id))


def _written(shopify: FakeShopify) -> dict[str, Any] | None:
    return shopify.metafield(shopify_metafields.NAMESPACE, shopify_metafields.KEY)


def _queries(shopify: FakeShopify) -> list[str]:
    return [("set" if "metafieldsSet(" in r["query"] else "shop-id") for r in shopify.requests if "query" in r]


def _last_error(app: Any, shop_id: int) -> str | None:
    with app.app_context():
        return help_metafield.last_error(shop_id)


def test_the_value_written_is_the_shops_help_blocks_as_json(app: Any, shop_id: int, shopify: FakeShopify) -> None:
    assert _sync(app, shop_id) == "written"
    written = _written(shopify)
    assert written is not None and written["type"] == "json"
    assert json.loads(written["value"]) == _expected(app, shop_id)
    assert _queries(shopify) == ["shop-id", "set"]
    sent = shopify.requests[-1]["variables"]["metafields"][0]
    assert (sent["ownerId"], sent["namespace"], sent["key"]) == (shopify.shop_gid, "$app", "help_blocks")
    assert (f"app--{APP_ID}", "help_blocks") == tuple(list(shopify.metafields)[0][1:])
    assert _last_error(app, shop_id) is None


def test_an_unchanged_value_is_not_written_again(app: Any, shop_id: int, shopify: FakeShopify) -> None:
    assert _sync(app, shop_id) == "written"
    assert _sync(app, shop_id) == "unchanged"
    assert _written(shopify)["writes"] == 1 and _queries(shopify) == ["shop-id", "set"]
    with app.extensions["aftercare.db"].session() as session:
        session.get(Shop, shop_id).help_links = {"returns": "https://acme.example/new-returns"}
    assert _sync(app, shop_id) == "written"
    assert _written(shopify)["writes"] == 2
    assert _queries(shopify) == ["shop-id", "set", "set"]  # the shop's id is read once
    assert "https://acme.example/new-returns" in _written(shopify)["value"]


def test_after_an_install_the_value_is_written_even_if_unchanged(app: Any, shop_id: int, shopify: FakeShopify) -> None:
    _sync(app, shop_id)
    with app.app_context():
        assert help_metafield.resync(shop_id)
    drain(app)
    assert _written(shopify)["writes"] == 2


def test_a_settings_save_enqueues_and_the_worker_writes(app: Any, shop_id: int, shopify: FakeShopify) -> None:
    assert post_settings(admin_client(app), VALID).status_code == 200
    assert _written(shopify) is None  # queued, not written in the request
    drain(app)
    value = json.loads(_written(shopify)["value"])
    assert value == _expected(app, shop_id)
    assert [link["url"] for link in value["locales"][value["default_locale"]]["thank_you"]["links"]] == [
        "https://acme.example/track", "http://acme.example/contact"]


def test_saves_while_a_sync_waits_queue_one_job(app: Any, shop_id: int, shopify: FakeShopify) -> None:
    with app.app_context():
        store_settings(shop_id, {"sender_name": "Acme"})
        store_settings(shop_id, {"sender_name": "Acme Outfitters"})
        assert extensions.queue(help_metafield.QUEUE).job_ids == [f"help-metafield-{shop_id}"]
    drain(app)
    assert _written(shopify)["writes"] == 1


def test_a_shop_update_webhook_rewrites_the_metafield(app: Any, shop_id: int, shopify: FakeShopify) -> None:
    _sync(app, shop_id)
    deliver(app.test_client(), "shop/update", fixture_payload("shop/update") | {"primary_locale": "fr"})
    drain(app)
    assert json.loads(_written(shopify)["value"])["default_locale"] == "fr"
    assert _written(shopify)["writes"] == 2


def test_user_errors_fail_the_job_clearly_without_retrying(app: Any, shop_id: int, shopify: FakeShopify) -> None:
    # A definition of the same key with another type: Shopify answers INVALID_TYPE.
    shopify.metafield_definitions[(f"app--{APP_ID}", "help_blocks")] = "single_line_text_field"
    with app.app_context():
        help_metafield.enqueue_sync(shop_id)
        drain(app)
        queue = extensions.queue(help_metafield.QUEUE)
        failed = FailedJobRegistry(queue=queue)
        assert failed.get_job_ids() == [f"help-metafield-{shop_id}"]
        assert ScheduledJobRegistry(queue=queue).get_job_ids() == []
        job = queue.fetch_job(f"help-metafield-{shop_id}")
        assert "HelpMetafieldRejected" in job.latest_result().exc_string
        assert "INVALID_TYPE at metafields.0.type" in job.latest_result().exc_string
    assert _written(shopify) is None
    assert "Shopify rejected the help links: INVALID_TYPE" in _last_error(app, shop_id)
    shopify.metafield_definitions.clear()
    with app.app_context():
        assert help_metafield.enqueue_sync(shop_id)  # the failed job does not block the next save
    drain(app)
    assert _written(shopify) is not None and _last_error(app, shop_id) is None


def test_a_revoked_token_is_recorded_and_nothing_crashes(app: Any, shop_id: int, shopify: FakeShopify) -> None:
    shopify.revoked = {"shpat_test"}
    assert _sync(app, shop_id) == "unavailable"
    assert "Shopify refused Aftercare's access: unauthorized" in _last_error(app, shop_id)
    assert _written(shopify) is None
    with app.app_context():
        help_metafield.enqueue_sync(shop_id)
        drain(app)
        assert FailedJobRegistry(queue=extensions.queue(help_metafield.QUEUE)).get_job_ids() == []


def test_transient_errors_are_raised_for_rqs_retry(app: Any, shop_id: int) -> None:
    with app.app_context():
        for error in (ShopifyApiError("http_error_503"), ShopifyApiError("network_error"),
                      shopify_metafields.MetafieldRejected([{"code": "INTERNAL_ERROR", "message": "try again"}])):
            with pytest.raises(help_metafield.HelpMetafieldUnavailable):
                help_metafield._fail(shop_id, error)
        with pytest.raises(help_metafield.HelpMetafieldRejected):
            help_metafield._fail(shop_id, ShopifyApiError("graphql_errors", "Field 'nope' doesn't exist"))
    assert "Field 'nope'" in _last_error(app, shop_id)


def test_a_woocommerce_store_gets_nothing(app: Any, shopify: FakeShopify) -> None:
    with app.extensions["aftercare.db"].session() as session:
        woo = Shop(platform="woocommerce", domain="woo.example", name="Woo Store", status="active",
                   help_links={"returns": "https://woo.example/returns"})
        session.add(woo)
        session.flush()
        woo_id = woo.id
    assert _sync(app, woo_id) == "nothing to do for woocommerce"
    with app.app_context():
        assert help_metafield.sync_all() == 0
    assert shopify.requests == []


def test_the_periodic_backstop_covers_active_shopify_shops(app: Any, shop_id: int, shopify: FakeShopify) -> None:
    assert workers.PERIODIC["help-metafield"] == (6 * 3600, help_metafield.sync_all)
    with app.app_context():
        assert help_metafield.sync_all() == 1
    drain(app)
    assert json.loads(_written(shopify)["value"]) == _expected(app, shop_id)
    with app.extensions["aftercare.db"].session() as session:
        session.get(Shop, shop_id).status = "uninstalled"
    with app.app_context():
        assert help_metafield.sync_all() == 0


def test_the_extensions_fixture_has_the_shape_the_backend_writes(app: Any, shop_id: int) -> None:
    fixture = json.loads(EXTENSION_FIXTURE.read_text())
    value = _expected(app, shop_id)
    assert fixture.keys() == value.keys() and fixture["version"] == value["version"]
    for blocks in (fixture["locales"]["en"], value["locales"][value["default_locale"]]):
        assert blocks.keys() == {"thank_you", "order_status"}
        for block in blocks.values():
            assert block.keys() == {"page", "locale", "heading", "notes", "links"}
            assert all(link.keys() == {"id", "label", "url"} for link in block["links"])
