"""The Shopify UI extensions are laid out the way Shopify CLI reads them (shopify.extension.toml)."""
from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from connectors import shopify_metafields

EXTENSIONS = Path(__file__).parents[2] / "extensions"
EXPECTED = {
    "aftercare-thank-you": "purchase.thank-you.block.render",
    "aftercare-order-status": "customer-account.order-status.block.render",
}


@pytest.mark.parametrize("handle, target", sorted(EXPECTED.items()))
def test_each_extension_targets_its_page_and_reads_the_metafield(handle: str, target: str) -> None:
    config = tomllib.loads((EXTENSIONS / handle / "shopify.extension.toml").read_text())
    assert config["api_version"] == "2026-07"
    [extension] = config["extensions"]
    assert (extension["handle"], extension["type"]) == (handle, "ui_extension")
    [targeting] = extension["targeting"]
    assert targeting["target"] == target
    assert (EXTENSIONS / handle / targeting["module"]).is_file()
    assert targeting["metafields"] == [{"namespace": shopify_metafields.NAMESPACE, "key": shopify_metafields.KEY}]
    assert extension["capabilities"] == {"api_access": False, "network_access": False}
    assert json.loads((EXTENSIONS / handle / "locales" / "en.default.json").read_text())


@pytest.mark.parametrize("handle", sorted(EXPECTED))
def test_each_extension_uses_the_api_versions_package(handle: str) -> None:
    package = json.loads((EXTENSIONS / handle / "package.json").read_text())
    assert package["dependencies"]["@shopify/ui-extensions"] == "2026.7.x"
    assert "preact" in package["dependencies"]


def test_the_shared_module_reads_the_same_metafield_the_backend_writes() -> None:
    source = (EXTENSIONS / "shared" / "help-block.ts").read_text()
    assert f"METAFIELD_NAMESPACE = '{shopify_metafields.NAMESPACE}'" in source
    assert f"METAFIELD_KEY = '{shopify_metafields.KEY}'" in source
