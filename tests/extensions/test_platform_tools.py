"""Shopify's own tools on the app, in the suite (pinned in package.json and requirements-dev.txt; CI installs them):

- `shopify app build` (Shopify CLI 3.x on Node 20), offline, on a copy of the app in a temporary directory: it
  validates shopify.app.toml and every shopify.extension.toml against the CLI's own schemas, runs its theme check
  and bundles both UI extensions with esbuild, each file under its nearest tsconfig's JSX settings, the way a
  deploy does;
- theme check (@shopify/theme-check-node) on the theme app extension, with the theme-app-extension config and
  with `all`: no offense;
- the app block's Liquid rendered the way the storefront renders it in a non-default language;
- every GraphQL document of the app validated with graphql-core against the vendored Admin API schema of the
  pinned version (tests/schema/README.md), deprecated fields, arguments and enum values refused, and every webhook
  topic of shopify.app.toml in the schema's WebhookSubscriptionTopic enum.

The Node tools run with a scratch HOME, analytics off, no login, the Liquid docs bundled with the pinned package,
and, where the kernel allows an unprivileged network namespace (`unshare -rn`), with no network at all.
"""
from __future__ import annotations

import functools
import gzip
import hashlib
import html.parser
import importlib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import graphql
import pytest
from liquid import Environment

from integration.runtime import config as app_config
from tests.conftest import require_service
from tests.extensions.test_theme import SCHEMA

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / "node_modules" / ".bin"
EXTENSIONS = ROOT / "extensions"
THEME = EXTENSIONS / "aftercare-theme"
UI_EXTENSIONS = ("aftercare-thank-you", "aftercare-order-status")
#: Shopify's limit for a UI extension's bundle, compressed (API 2025-10 and later; extensions/shared/build.mjs).
UI_BUNDLE_LIMIT = 64 * 1024
#: the CLI builds in seconds; past this it is stuck (on the old tsconfig it retried esbuild without end).
CLI_TIMEOUT_S = 240
#: the CLI writes a few KB when it works; past this it is looping on an error.
CLI_OUTPUT_LIMIT = 4 * 1024 * 1024
SCHEMA_FILE = Path(__file__).parents[1] / "schema" / "admin_2026-10.json.gz"
SCHEMA_SHA256 = "f3b522f264556925eada700e795e4a002a9cba83444ebcc6c0d724254a0c6593"
SCHEMA_VERSION = "2026-10"
#: the packages whose modules may talk to Shopify's Admin API.
SOURCE_PACKAGES = ("connectors", "integration", "webhooks", "notifications")
NAMED_OPERATION = re.compile(r"\b(query|mutation|subscription)\s+([A-Za-z_]\w*)\s*[({]")
ANONYMOUS_OPERATION = re.compile(r"[\"']\s*(query|mutation|subscription)\s*[({]")


class ToolRunError(AssertionError):
    """A platform tool did not finish: timed out or looped on an error."""


# --- running the Node tools -------------------------------------------------------------------------

def node_tool(name: str) -> Path:
    tool = BIN / name
    if shutil.which("node") is None:
        require_service("node is missing (Node 20, for Shopify's CLI and theme check)")
    if not tool.exists():
        require_service(f"{tool.relative_to(ROOT)} is missing: run `npm ci` (package.json pins it)")
    return tool


@functools.cache
def no_network_prefix() -> tuple[str, ...]:
    """`unshare -rn` when this kernel lets us drop the network (then nothing can be fetched), else nothing."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return ()
    probe = subprocess.run([unshare, "-rn", "true"], capture_output=True, timeout=10, check=False)
    return (unshare, "-rn") if probe.returncode == 0 else ()


def offline_env(scratch: Path) -> dict[str, str]:
    """A minimal environment: nothing of the caller's (no tokens, no Shopify login), a scratch HOME and caches,
    Shopify CLI's analytics off, non-interactive, and theme check's Liquid docs from the pinned package only."""
    home, docs = scratch / "home", scratch / "no-liquid-docs"
    home.mkdir(parents=True, exist_ok=True)
    docs.mkdir(exist_ok=True)
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"), "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_DATA_HOME": str(home / ".local" / "share"), "XDG_STATE_HOME": str(home / ".local" / "state"),
        "TMPDIR": str(scratch), "npm_config_cache": str(home / ".npm"), "npm_config_offline": "true",
        "npm_config_update_notifier": "false", "SHOPIFY_CLI_NO_ANALYTICS": "1", "OPT_OUT_INSTRUMENTATION": "true",
        "CI": "1", "NO_COLOR": "1", "FORCE_COLOR": "0", "SHOPIFY_TLD_ROOT": str(docs),
    }


@dataclass(frozen=True)
class ToolRun:
    returncode: int
    output: str
    offline: bool

    def last_lines(self, count: int = 16) -> str:
        return "\n".join(self.output.rstrip().splitlines()[-count:])


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Kills the tool and everything it started (its own process group)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=30)


def run_tool(argv: list[str], cwd: Path, scratch: Path, timeout: float = CLI_TIMEOUT_S,
             output_limit: int = CLI_OUTPUT_LIMIT) -> ToolRun:
    """Runs a Node tool in its own process group, output to a file; kills the group past `timeout` seconds or
    `output_limit` bytes of output (a tool retrying an error without end), and raises ToolRunError then."""
    prefix = no_network_prefix()
    with tempfile.TemporaryFile(dir=scratch) as out:
        process = subprocess.Popen([*prefix, *argv], cwd=cwd, env=offline_env(scratch), stdin=subprocess.DEVNULL,
                                   stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        deadline, problem = time.monotonic() + timeout, None
        while process.poll() is None:
            if time.monotonic() > deadline:
                problem = f"still running after {timeout:.0f} s"
            elif os.fstat(out.fileno()).st_size > output_limit:
                problem = f"wrote over {output_limit} bytes (retrying an error without end?)"
            if problem:
                _stop(process)
                break
            time.sleep(0.2)
        size = os.fstat(out.fileno()).st_size
        out.seek(max(0, size - 64 * 1024))
        output = out.read().decode("utf-8", "replace")
    run = ToolRun(process.returncode, output, offline=bool(prefix))
    if problem:
        raise ToolRunError(f"{Path(argv[0]).name} {problem}; its last lines:\n{run.last_lines(40)}")
    return run


# --- shopify app build ------------------------------------------------------------------------------

def copy_of_the_app(dest: Path) -> Path:
    """The app as Shopify's CLI sees it (shopify.app.toml, package files, extensions/), without build output;
    node_modules is the repository's, linked read-only in spirit: nothing is installed."""
    app = dest / "app"
    shutil.copytree(EXTENSIONS, app / "extensions", ignore=shutil.ignore_patterns("node_modules", "dist"))
    for name in ("shopify.app.toml", "package.json", "package-lock.json"):
        shutil.copy2(ROOT / name, app / name)
    (app / "node_modules").symlink_to(ROOT / "node_modules", target_is_directory=True)
    return app


def tracked_files_digest() -> dict[str, str]:
    paths = [ROOT / "shopify.app.toml", *sorted(p for p in EXTENSIONS.rglob("*")
                                                 if p.is_file() and "node_modules" not in p.parts
                                                 and "dist" not in p.parts)]
    return {str(p.relative_to(ROOT)): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


@pytest.fixture(scope="module")
def cli_build(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ToolRun, Path]]:
    shopify = node_tool("shopify")
    scratch = tmp_path_factory.mktemp("shopify-cli")
    before = tracked_files_digest()
    app = copy_of_the_app(scratch)
    run = run_tool([str(shopify), "app", "build", "--skip-dependencies-installation", "--path", str(app)],
                   cwd=app, scratch=scratch)
    print(f"\n$ shopify app build --skip-dependencies-installation  (offline: {run.offline}; exit {run.returncode})")
    print(run.last_lines())
    assert tracked_files_digest() == before, "the CLI changed the repository's own files"
    yield run, app


def test_shopify_cli_builds_the_app_offline(cli_build: tuple[ToolRun, Path]) -> None:
    run, app = cli_build
    assert run.returncode == 0, run.last_lines(40)
    assert "Validation errors" not in run.output and "[ERROR]" not in run.output
    for handle in UI_EXTENSIONS:
        assert f"{handle} successfully built" in run.output
    assert "Bundling theme extension aftercare-theme" in run.output
    assert "Aftercare built!" in run.output


def test_shopify_cli_bundles_each_ui_extension_under_the_size_limit(cli_build: tuple[ToolRun, Path]) -> None:
    run, app = cli_build
    assert run.returncode == 0, run.last_lines(40)
    for handle in UI_EXTENSIONS:
        bundle = app / "extensions" / handle / "dist" / f"{handle}.js"
        compressed = len(gzip.compress(bundle.read_bytes()))
        print(f"{handle}: {bundle.stat().st_size} bytes, {compressed} bytes gzipped")
        assert 0 < compressed <= UI_BUNDLE_LIMIT
        assert b"react/jsx-runtime" not in bundle.read_bytes()  # Preact's JSX runtime is bundled in


def nearest_tsconfig(source: Path) -> Path | None:
    for folder in source.parents:
        if (folder / "tsconfig.json").exists():
            return folder / "tsconfig.json"
        if folder == EXTENSIONS:
            return None
    return None


@pytest.mark.parametrize("source", sorted(p for p in EXTENSIONS.rglob("*.tsx") if "node_modules" not in p.parts),
                         ids=lambda p: str(p.relative_to(EXTENSIONS)))
def test_every_jsx_file_is_compiled_for_preact_by_its_nearest_tsconfig(source: Path) -> None:
    """esbuild (Shopify's CLI bundler) takes a file's JSX settings from its nearest tsconfig.json; the project's
    build.mjs passes jsxImportSource 'preact', so the CLI must get the same from every tsconfig a .tsx file has."""
    tsconfig = nearest_tsconfig(source)
    assert tsconfig is not None, f"{source.name} has no tsconfig.json above it"
    options = json.loads(tsconfig.read_text())["compilerOptions"]
    assert (options.get("jsx"), options.get("jsxImportSource")) == ("react-jsx", "preact"), tsconfig


def test_the_app_config_lets_shopify_redirect_only_to_the_apps_own_origin() -> None:
    """The CLI's schema requires [auth] redirect_urls; a managed install with token exchange never redirects, so
    the allowlist holds only HTTPS addresses on the app's own origin (an authorization code can go nowhere else)."""
    app = tomllib.loads((ROOT / "shopify.app.toml").read_text())
    origin = urlsplit(app["application_url"]).netloc
    redirects = app["auth"]["redirect_urls"]
    assert redirects and app["access_scopes"]["use_legacy_install_flow"] is False and app["embedded"] is True
    for url in redirects:
        parts = urlsplit(url)
        assert parts.scheme == "https" and parts.netloc == origin, url


# --- theme check --------------------------------------------------------------------------------------

def theme_check(scratch: Path, theme: Path | None = None) -> dict[str, list[dict[str, Any]]]:
    node = shutil.which("node")
    if node is None:
        require_service("node is missing (Node 20, for Shopify's CLI and theme check)")
    if not (ROOT / "node_modules" / "@shopify" / "theme-check-node" / "package.json").exists():
        require_service("@shopify/theme-check-node is missing: run `npm ci` (package.json pins it)")
    argv = [str(node), str(EXTENSIONS / "shared" / "theme-check.mjs")]
    if theme is not None:
        argv += ["--root", str(theme)]
    run = run_tool([*argv, "theme-app-extension", "all"], cwd=ROOT, scratch=scratch, timeout=120)
    assert run.returncode in (0, 1), run.last_lines(40)
    return json.loads(run.output[run.output.index("{"):])


def test_theme_check_finds_no_offense_in_the_theme_app_extension(tmp_path: Path) -> None:
    report = theme_check(tmp_path)
    print("theme check offenses:", {config: len(offenses) for config, offenses in report.items()})
    assert report == {"theme-app-extension": [], "all": []}


def test_theme_check_reports_a_broken_app_block(tmp_path: Path) -> None:
    """The check is live: an app block with a tag app blocks may not use and no schema is reported."""
    theme = tmp_path / "aftercare-theme"
    shutil.copytree(THEME, theme)
    (theme / "blocks" / "broken.liquid").write_text("{% include 'missing' %}\n<p>{{ product.title }}</p>\n")
    report = theme_check(tmp_path, theme)
    checks = {offense["check"] for offense in report["theme-app-extension"]}
    assert {"AppBlockMissingSchema", "AppBlockValidTags"} <= checks, report
    assert report["all"], report


# --- the app block rendered as the storefront renders it -----------------------------------------------

class Links(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self.scripts = 0
        self._href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.scripts += tag == "script"
        if tag == "a":
            self._href = dict(attrs).get("href") or ""

    def handle_data(self, data: str) -> None:
        if self._href is not None and data.strip():
            self.links.append((data.strip(), self._href))
            self._href = None


def storefront_strings(locale: str) -> dict[str, Any]:
    """The extension's storefront translations for `locale`, as Shopify picks them (else the default)."""
    path = THEME / "locales" / f"{locale}.json"
    return json.loads((path if path.exists() else THEME / "locales" / "en.default.json").read_text())


def render_block_html(locale: str, root_url: str) -> str:
    """blocks/help-links.liquid rendered with Shopify's objects for a product page in `locale`."""
    strings = storefront_strings(locale)
    env = Environment()
    env.filters["t"] = lambda key: functools.reduce(lambda tree, part: tree[part], key.split("."), strings)
    env.filters["asset_url"] = lambda name: f"//acme.example/cdn/shop/extensions/aftercare/assets/{name}"
    template = env.from_string(SCHEMA.sub("", (THEME / "blocks" / "help-links.liquid").read_text()))
    return template.render(
        template={"name": "product"}, request={"locale": {"iso_code": locale}}, routes={"root_url": root_url},
        block={"settings": {"reserved_height": 8}, "shopify_attributes": 'data-shopify-editor-block="{}"'},
        shop={"shipping_policy": {"url": f"https://acme.example{root_url.rstrip('/')}/policies/shipping-policy"},
              "refund_policy": {"url": ""}},
    )


def render_block(locale: str, root_url: str) -> Links:
    links = Links()
    links.feed(render_block_html(locale, root_url))
    return links


@pytest.mark.parametrize(("locale", "root_url", "contact"), [
    ("fr", "/fr", ("Nous contacter", "/fr/pages/contact")),
    ("en", "/", ("Contact us", "/pages/contact")),
    ("en-CA", "/en-ca", ("Contact us", "/en-ca/pages/contact")),
])
def test_the_app_block_links_to_the_contact_page_in_every_language(locale: str, root_url: str,
                                                                   contact: tuple[str, str]) -> None:
    """routes.root_url is "/" in the default language and "/fr" (no trailing slash) in another."""
    block = render_block(locale, root_url)
    assert block.links[-1] == contact
    assert all("//" not in href.removeprefix("https://") for _, href in block.links), block.links
    assert block.scripts == 0  # the script is the schema's `javascript` asset


# --- GraphQL documents against the Admin schema ---------------------------------------------------------

@pytest.fixture(scope="module")
def admin_schema() -> Any:
    raw = SCHEMA_FILE.read_bytes()
    assert hashlib.sha256(raw).hexdigest() == SCHEMA_SHA256, "tests/schema/README.md names another file"
    return graphql.build_client_schema(json.loads(gzip.decompress(raw))["data"])


class DeprecatedUses(graphql.Visitor):
    """Collects every deprecated field, argument, input field and enum value a document uses."""

    def __init__(self, type_info: Any) -> None:
        super().__init__()
        self.type_info, self.found = type_info, []

    def _note(self, what: str, reason: str | None) -> None:
        if reason is not None:
            self.found.append(f"{what} is deprecated: {reason}")

    def enter_field(self, node: Any, *_: Any) -> None:
        parent, field = self.type_info.get_parent_type(), self.type_info.get_field_def()
        if field is not None:
            self._note(f"{parent.name}.{node.name.value}", field.deprecation_reason)

    def enter_argument(self, node: Any, *_: Any) -> None:
        argument = self.type_info.get_argument()
        if argument is not None:
            self._note(f"argument {node.name.value}", argument.deprecation_reason)

    def enter_object_field(self, node: Any, *_: Any) -> None:
        parent = graphql.get_named_type(self.type_info.get_parent_input_type())
        if isinstance(parent, graphql.GraphQLInputObjectType) and node.name.value in parent.fields:
            self._note(f"{parent.name}.{node.name.value}", parent.fields[node.name.value].deprecation_reason)

    def enter_enum_value(self, node: Any, *_: Any) -> None:
        enum = graphql.get_named_type(self.type_info.get_input_type())
        if isinstance(enum, graphql.GraphQLEnumType) and node.value in enum.values:
            self._note(f"{enum.name}.{node.value}", enum.values[node.value].deprecation_reason)


def problems(schema: Any, document: str) -> list[str]:
    """What Shopify would refuse or warn about: spec validation errors, then deprecated uses."""
    try:
        tree = graphql.parse(document)
    except graphql.GraphQLError as error:
        return [f"syntax: {error.message}"]
    errors = [error.message for error in graphql.validate(schema, tree)]
    if errors:
        return errors
    type_info = graphql.TypeInfo(schema)
    uses = DeprecatedUses(type_info)
    graphql.visit(tree, graphql.TypeInfoVisitor(type_info, uses))
    return uses.found


def source_files() -> list[Path]:
    return sorted(p for package in SOURCE_PACKAGES for p in (ROOT / package).rglob("*.py")
                  if "migrations" not in p.parts)


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


@functools.cache
def app_documents() -> dict[str, str]:
    """Every GraphQL operation the app defines: the module-level string constants that start with an operation
    keyword, in every module whose source names an operation (documents are built with f-strings, so they are
    read from the imported modules, not from the source)."""
    found: dict[str, str] = {}
    for path in source_files():
        if not NAMED_OPERATION.search(path.read_text()):
            continue
        module = importlib.import_module(module_name(path))
        for name, value in vars(module).items():
            if isinstance(value, str) and re.match(r"\s*(query|mutation|subscription)\b", value):
                found[f"{module.__name__}.{name}"] = value
    return found


def test_the_documents_found_are_every_operation_the_source_names() -> None:
    """No document escapes validation: each operation name in the source is a collected document's, and no
    anonymous operation is written anywhere (every query is named, for Shopify's logs and ours)."""
    named = {match[1] for path in source_files() for match in NAMED_OPERATION.findall(path.read_text())}
    collected = {op.name.value for doc in app_documents().values()
                 for op in graphql.parse(doc).definitions if isinstance(op, graphql.OperationDefinitionNode)}
    assert named == collected and len(collected) == len(app_documents())
    anonymous = [str(p.relative_to(ROOT)) for p in source_files() if ANONYMOUS_OPERATION.search(p.read_text())]
    assert anonymous == []


def test_every_graphql_document_is_valid_against_the_pinned_admin_schema(admin_schema: Any) -> None:
    documents = app_documents()
    print(f"{len(documents)} GraphQL documents validated against Admin API {SCHEMA_VERSION}: {sorted(documents)}")
    assert len(documents) >= 5
    assert {name: problems(admin_schema, doc) for name, doc in documents.items()} == dict.fromkeys(documents, [])


def test_the_validator_refuses_an_unknown_field(admin_schema: Any) -> None:
    assert problems(admin_schema, "query AftercareShopId { shop { id } }") == []
    found = problems(admin_schema, "query AftercareShopId { shop { id bogusField } }")
    assert len(found) == 1 and found[0].startswith("Cannot query field 'bogusField' on type 'Shop'.")


def test_the_validator_refuses_deprecated_fields_and_enum_values(admin_schema: Any) -> None:
    order = "query AftercareOld($id: ID!) { order(id: $id) { id totalPrice } }"
    assert problems(admin_schema, order) == ["Order.totalPrice is deprecated: Use `totalPriceSet` instead."]
    themes = "query AftercareOld { themes(first: 1, roles: [MOBILE]) { nodes { id } } }"
    assert [p.split(" is ")[0] for p in problems(admin_schema, themes)] == ["ThemeRole.MOBILE"]


def test_the_pinned_api_version_is_the_schemas(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("SHOPIFY_API_VERSION", raising=False)
    app = tomllib.loads((ROOT / "shopify.app.toml").read_text())
    assert app_config.from_environment(tmp_path)["SHOPIFY_API_VERSION"] == SCHEMA_VERSION
    assert app["webhooks"]["api_version"] == SCHEMA_VERSION


def test_every_webhook_topic_of_the_app_config_is_a_subscription_topic_of_the_schema(admin_schema: Any) -> None:
    app = tomllib.loads((ROOT / "shopify.app.toml").read_text())
    topics = [topic for sub in app["webhooks"]["subscriptions"] for topic in sub.get("topics", [])]
    enum = admin_schema.type_map["WebhookSubscriptionTopic"].values
    names = {topic: topic.upper().replace("/", "_") for topic in topics}
    assert len(topics) >= 9
    assert [topic for topic, name in names.items() if name not in enum] == []
    assert [topic for topic, name in names.items() if enum[name].deprecation_reason] == []

