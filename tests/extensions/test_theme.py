"""The Shopify theme app extension and app configuration, checked as Shopify's CLI will read them: the script
copy cannot drift from the source, block schemas are valid JSON with the right targets, the Liquid parses,
every translated string exists, and the app proxy is configured where the blocks look for it."""
from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest
from liquid import Environment

from integration.storefront.widget import SCRIPT

ROOT = Path(__file__).resolve().parents[2]
EXTENSION = ROOT / "extensions" / "aftercare-theme"
BLOCKS = sorted((EXTENSION / "blocks").glob("*.liquid"))
SCHEMA = re.compile(r"{%-?\s*schema\s*-?%}(.*?){%-?\s*endschema\s*-?%}", re.S)


def schema_of(block: Path) -> dict:
    return json.loads(SCHEMA.search(block.read_text()).group(1))


def test_the_extension_ships_the_same_script_as_the_app() -> None:
    assert (EXTENSION / "assets" / "aftercare.js").read_bytes() == SCRIPT.read_bytes(), \
        "copy integration/assets/aftercare.js to extensions/aftercare-theme/assets/"


def test_the_extension_is_a_theme_extension() -> None:
    config = tomllib.loads((EXTENSION / "shopify.extension.toml").read_text())
    assert config["type"] == "theme" and config["name"]


def test_an_app_embed_loads_the_script_through_the_app_proxy_and_an_app_block_reserves_space() -> None:
    schemas = {block.stem: schema_of(block) for block in BLOCKS}
    assert schemas["app-embed"]["target"] == "body" and schemas["help-links"]["target"] == "section"
    assert schemas["help-links"]["enabled_on"] == {"templates": ["product", "cart"]}
    embed, block = ((EXTENSION / "blocks" / f"{name}.liquid").read_text() for name in ("app-embed", "help-links"))
    assert "{{ 'aftercare.js' | asset_url }}" in embed and " async" in embed
    # the app block's script is its schema's `javascript` asset, not a <script> written by hand
    assert schemas["help-links"]["javascript"] == "aftercare.js" and "<script" not in SCHEMA.sub("", block)
    assert 'data-aftercare-endpoint="/apps/aftercare/help-links"' in embed
    assert 'class="aftercare-help"' in block and 'data-aftercare-endpoint="/apps/aftercare/help-links"' in block
    assert "min-height:{{ block.settings.reserved_height }}em" in block


@pytest.mark.parametrize("block", BLOCKS, ids=lambda path: path.name)
def test_block_liquid_parses(block: Path) -> None:
    Environment().from_string(SCHEMA.sub("", block.read_text()))


def _keys(tree: dict, prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for key, value in tree.items():
        keys |= _keys(value, f"{prefix}{key}.") if isinstance(value, dict) else {prefix + key}
    return keys


def test_every_string_the_blocks_use_is_translated() -> None:
    storefront = _keys(json.loads((EXTENSION / "locales" / "en.default.json").read_text()))
    schema = _keys(json.loads((EXTENSION / "locales" / "en.default.schema.json").read_text()))
    used = {key for block in BLOCKS for key in re.findall(r"'([\w.]+)' \| t\b", block.read_text())}
    used_in_schema = {key for block in BLOCKS for key in re.findall(r'"t:([\w.]+)"', block.read_text())}
    assert used and used <= storefront and used_in_schema <= schema
    for locale in (EXTENSION / "locales").glob("*.json"):
        if not locale.name.endswith(".schema.json"):
            assert _keys(json.loads(locale.read_text())) == storefront, locale.name


def test_the_app_proxy_is_configured_for_the_storefront_routes() -> None:
    config = tomllib.loads((ROOT / "shopify.app.toml").read_text())
    proxy = config["app_proxy"]
    assert proxy["prefix"] == "apps" and proxy["subpath"] == "aftercare"
    assert proxy["url"].endswith("/storefront/proxy")
    assert "write_app_proxy" in config["access_scopes"]["scopes"].split(",")
