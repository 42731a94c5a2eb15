"""The WordPress plugin: every PHP file lints, the PHP tests pass, and its signatures match Python's."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require_service

WORDPRESS = Path(__file__).resolve().parents[2] / "wordpress"
PLUGIN = WORDPRESS / "aftercare-for-woocommerce"
SECRET = "s3cret/with+odd=chars-ünïcode"


@pytest.fixture(scope="module")
def php() -> str:
    found = shutil.which("php")
    if found is None:
        require_service("PHP CLI (apt-get install php-cli)")
    return str(found)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=120, cwd=WORDPRESS)


def test_every_php_file_lints(php: str) -> None:
    files = sorted(WORDPRESS.rglob("*.php"))
    assert len(files) > 10
    for path in files:
        result = _run(php, "-l", str(path))
        assert result.returncode == 0, result.stdout + result.stderr


def test_every_plugin_file_stops_when_loaded_outside_wordpress(php: str) -> None:
    for path in sorted(PLUGIN.rglob("*.php")):
        result = _run(php, str(path))
        assert result.returncode == 0 and result.stdout == "", f"{path}: {result.stdout}{result.stderr}"


def test_php_tests_pass(php: str) -> None:
    result = _run(php, str(WORDPRESS / "tests" / "run.php"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 failed" in result.stdout


def _php_signer(php: str, code: str, **inputs: object) -> object:
    """Runs `code` with the plugin's signing class loaded and $in = the inputs, passed as JSON (no quoting)."""
    prelude = f"define('ABSPATH', '/'); require '{PLUGIN}/includes/class-aftercare-signer.php'; $in = json_decode($argv[1], true);"
    result = _run(php, "-r", prelude + code, "--", json.dumps({"secret": SECRET, **inputs}))
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def _hmac(message: bytes) -> bytes:
    return hmac.new(SECRET.encode(), message, hashlib.sha256).digest()


@pytest.mark.parametrize(("shop_id", "ts", "nonce"), [(42, 1767225600, "0123456789abcdef0123456789abcdef"),
                                                      (7, 1700000001, "ffffffffffffffffffffffffffffff00")])
def test_admin_link_signature_matches_python(php: str, shop_id: int, ts: int, nonce: str) -> None:
    link = _php_signer(php, "echo json_encode(Aftercare_Signer::admin_link('https://app.example', $in['shop'],"
                            " $in['secret'], $in['ts'], $in['nonce']));", shop=shop_id, ts=ts, nonce=nonce)
    expected_sig = base64.urlsafe_b64encode(_hmac(f"admin.{shop_id}.{ts}.{nonce}".encode())).decode().rstrip("=")
    assert link == f"https://app.example/woocommerce/admin?shop={shop_id}&ts={ts}&nonce={nonce}&sig={expected_sig}"


@pytest.mark.parametrize("body", ["{}", '{"email":"shopper@example.com","page":2}', '{"x":"ü\\/"}'])
def test_request_signature_matches_python(php: str, body: str) -> None:
    headers = _php_signer(php, "echo json_encode(Aftercare_Signer::request_headers(42, $in['secret'], 1767225600,"
                               " $in['body']));", body=body)
    expected = base64.b64encode(_hmac(b"1767225600." + body.encode())).decode()
    assert headers == {"Content-Type": "application/json", "X-Aftercare-Shop": "42",
                       "X-Aftercare-Timestamp": "1767225600", "X-Aftercare-Signature": expected}


def test_service_url_defaults_to_the_wp_config_constant(php: str) -> None:
    code = ("define('ABSPATH', 'tests/'); define('AFTERCARE_APP_URL', 'https://configured.example/');"
            " require 'tests/stubs/wordpress.php'; wpstub_reset();"
            " require 'aftercare-for-woocommerce/aftercare-for-woocommerce.php';"
            " echo json_encode([Aftercare_Options::app_url(), (update_option('aftercare_app_url', 'https://saved.example')"
            " ? Aftercare_Options::app_url() : null)]);")
    result = _run(php, "-r", code)
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout) == ["https://configured.example", "https://saved.example"]


def test_the_plugins_container_is_the_one_the_storefront_browser_tests_fill(php: str) -> None:
    """The markup contract between the plugin and the storefront script, checked on both sides' own code."""
    from tests.browser.storefront_site import woo_container

    code = ("define('ABSPATH', __DIR__ . '/'); require 'tests/stubs/wordpress.php'; wpstub_reset();"
            "require 'aftercare-for-woocommerce/aftercare-for-woocommerce.php';"
            "update_option('aftercare_app_url', 'https://aftercare.example'); update_option('aftercare_shop_id', 42);"
            "update_option('aftercare_link_secret', 's3cret'); $GLOBALS['wpstub']['locale'] = 'fr_FR';"
            "$s = new Aftercare_Storefront(); echo json_encode([$s->container('product'), $s->container('thank_you')]);")
    result = _run(php, "-r", code)
    assert result.returncode == 0, result.stdout + result.stderr
    product, thank_you = json.loads(result.stdout[result.stdout.index("["):])
    assert product == woo_container("https://aftercare.example", 42, "product", "fr_FR")
    assert thank_you == woo_container("https://aftercare.example", 42, "thank_you", "fr_FR")


def _plugin_page_after_claim(php: str, status: int, body: bytes) -> str:
    """The plugin's settings page for a started, granted connection whose claim got this answer."""
    code = ("define('ABSPATH', __DIR__ . '/tests/'); require 'tests/stubs/wordpress.php'; require 'tests/lib.php';"
            " wpstub_reset(); require 'aftercare-for-woocommerce/aftercare-for-woocommerce.php'; wpstub_boot();"
            " update_option('aftercare_app_url', 'https://app.aftercare.example');"
            " Aftercare_Options::save_pending('c0ffee', 'claim-secret-xyz', 'proof'); Aftercare_Options::mark_returned();"
            " wpstub_respond((int) $argv[1], $argv[2]); echo settings_page();")
    result = _run(php, "-r", code, "--", str(status), body.decode())
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_the_plugin_says_connecting_while_the_service_checks_the_keys(php: str, app: Any) -> None:
    """The service's own claim answers, shown by the plugin's own page: 'connecting' while the job checks the
    keys (not a failure), and why, once the job found keys the store refused."""
    from tests.helpers import drain
    from tests.woo_helpers import begin, grant, start_store

    store = start_store(app, admitted=False)
    try:
        client = app.test_client()
        started, forged = begin(client, store), begin(client, store)
        assert grant(store, started) == 200 and grant(store, forged, consumer_secret="cs_forged") == 200
        checking = client.post("/woocommerce/claim", json={k: started[k] for k in ("connect_id", "claim_secret")})
        drain(app)
        ended = client.post("/woocommerce/claim", json={k: forged[k] for k in ("connect_id", "claim_secret")})
    finally:
        store.close()
    assert checking.status_code == 409 and ended.status_code == 404
    page = _plugin_page_after_claim(php, checking.status_code, checking.data)
    assert "Connecting…" in page and "Aftercare is checking the keys" in page
    assert "notice-error" not in page and "expired" not in page
    page = _plugin_page_after_claim(php, ended.status_code, ended.data)
    assert "did not accept the access key WooCommerce created" in page and "Connecting…" not in page
