"""The plugin in a real WordPress: Debian's `wordpress` package, PHP's built-in server and a private MariaDB.

WordPress is installed in a temporary directory against a MariaDB started on a socket of its own (no TCP, never
the machine's own server), with WP_DEBUG and WP_DEBUG_LOG; the plugin is activated with activate_plugin() and the
admin's pages, a settings save and storefront pages are requested over HTTP. WooCommerce is not packaged by
Debian, so this WordPress runs without it: the plugin must show its "WooCommerce is not active" notice and do
nothing else. A must-use plugin logs every string of the plugin's domain translated before `init` (what
WordPress 6.7 reports as "_load_textdomain_just_in_time was called incorrectly"; Debian's 6.1 predates that
check). At the end, debug.log holds no notice, warning or deprecation from the plugin and no PHP error at all.
"""
from __future__ import annotations

import http.client
import json
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import require_service

WORDPRESS_SOURCE = Path("/usr/share/wordpress")
PLUGIN = Path(__file__).resolve().parents[2] / "wordpress" / "aftercare-for-woocommerce"
PLUGIN_FILE = "aftercare-for-woocommerce/aftercare-for-woocommerce.php"
ADMIN_LOGIN, ADMIN_PASSWORD = "admin", "aftercare-test-password"
SBIN_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
MISSING_NOTICE = "WooCommerce is not active"
EARLY_MARK = "aftercare-test: translated before init"
# Lines PHP and WordPress write for every kind of problem (PHP Notice/Warning/Deprecated, _doing_it_wrong's
# "PHP Notice:  Function ... was called incorrectly", trigger_error's E_USER_*).
PHP_ERRORS = ("PHP Fatal error", "PHP Parse error", "PHP Recoverable fatal error", "PHP Catchable fatal error")

EARLY_TRANSLATION_LOGGER = f"""<?php
/* Test harness: logs each string of the aftercare domain translated before init. */
$aftercare_test_early = static function ( $translation, $text ) {{
	if ( ! did_action( 'init' ) ) {{
		error_log( '{EARLY_MARK}: ' . $text );
	}}
	return $translation;
}};
add_filter( 'gettext_aftercare', $aftercare_test_early, 10, 2 );
add_filter( 'gettext_with_context_aftercare', $aftercare_test_early, 10, 2 );
add_filter( 'ngettext_aftercare', $aftercare_test_early, 10, 2 );
"""

THEME_STYLE = "/*\nTheme Name: Plain check\nDescription: The smallest classic theme: head, loop, footer.\n*/\n"
THEME_INDEX = """<!DOCTYPE html>
<html <?php language_attributes(); ?>><head><?php wp_head(); ?></head>
<body <?php body_class(); ?>>
<?php while ( have_posts() ) : the_post(); ?>
<article><?php the_title( '<h1>', '</h1>' ); the_content(); ?></article>
<?php endwhile; ?>
<?php wp_footer(); ?>
</body></html>
"""

SETUP_PHP = """<?php
define( 'WP_INSTALLING', true );
require __DIR__ . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
$installed = wp_install( 'Plugin check', $argv[1], 'admin@example.com', false, '', wp_slash( $argv[2] ) );
switch_theme( 'plain-check' );
echo json_encode( array( 'user_id' => $installed['user_id'] ) );
"""

ACTIVATE_PHP = """<?php
require __DIR__ . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/plugin.php';
$result = activate_plugin( $argv[1] );
if ( is_wp_error( $result ) ) {
	fwrite( STDERR, $result->get_error_code() . ': ' . $result->get_error_message() );
	exit( 1 );
}
$user    = get_user_by( 'login', $argv[2] );
$expires = time() + HOUR_IN_SECONDS;
$auth    = wp_generate_auth_cookie( $user->ID, $expires, 'auth' );
$logged  = wp_generate_auth_cookie( $user->ID, $expires, 'logged_in' );
$_COOKIE[ LOGGED_IN_COOKIE ] = $logged;
wp_set_current_user( $user->ID );
echo json_encode(
	array(
		'cookies' => array( AUTH_COOKIE => $auth, LOGGED_IN_COOKIE => $logged ),
		'nonces'  => array(
			'aftercare_save_url' => wp_create_nonce( 'aftercare_save_url' ),
			'general-options'    => wp_create_nonce( 'general-options' ),
		),
		'active'  => is_plugin_active( $argv[1] ),
	)
);
"""

STATE_PHP = """<?php
require __DIR__ . '/wp-load.php';
$options = array();
foreach ( wp_load_alloptions() as $name => $value ) {
	if ( 0 === strpos( $name, 'aftercare' ) ) {
		$options[ $name ] = $value;
	}
}
echo json_encode( array( 'options' => (object) $options, 'active_plugins' => get_option( 'active_plugins' ) ) );
"""


@dataclass
class Page:
    status: int
    headers: dict[str, str]
    body: str


@dataclass
class Site:
    root: Path
    url: str
    debug_log: Path
    server_log: Path
    php: str
    cookies: dict[str, str] = field(default_factory=dict)
    nonces: dict[str, str] = field(default_factory=dict)

    def request(self, method: str, path: str, form: dict[str, str] | None = None, *, admin: bool = True) -> Page:
        parsed = urllib.parse.urlsplit(self.url)
        conn = http.client.HTTPConnection(parsed.hostname or "127.0.0.1", parsed.port, timeout=60)
        headers = {"Host": parsed.netloc}
        if admin and self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            answer = conn.getresponse()
            return Page(answer.status, {k.lower(): v for k, v in answer.getheaders()},
                        answer.read().decode("utf-8", "replace"))
        finally:
            conn.close()

    def script(self, name: str, code: str, *args: str) -> dict[str, object]:
        path = self.root / name
        path.write_text(code)
        result = subprocess.run([self.php, str(path), *args], capture_output=True, text=True, timeout=60,
                                cwd=self.root)
        assert result.returncode == 0, f"{name}: {result.stdout}{result.stderr}"
        return json.loads(result.stdout)


def _binary(name: str) -> str:
    found = shutil.which(name, path=SBIN_PATH)
    if found is None:
        require_service(f"{name} (apt-get install wordpress php-mysql mariadb-server; see .ci/wordpress)")
    return str(found)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(ready: object, what: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if callable(ready) and ready():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what} did not come up within {seconds:.0f} s")


def _mysqli_ready(php: str, sock: Path) -> bool:
    code = ("mysqli_report(MYSQLI_REPORT_OFF); $m = @new mysqli('localhost', 'root', '', '', 0, $argv[1]);"
            " exit($m->connect_errno ? 1 : 0);")
    return subprocess.run([php, "-r", code, str(sock)], capture_output=True, timeout=10).returncode == 0


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def mariadb() -> Iterator[Path]:
    """A MariaDB of the test's own: a fresh data directory and a socket in a temporary directory, no TCP."""
    php = _binary("php")
    if subprocess.run([php, "-r", "exit(extension_loaded('mysqli') ? 0 : 1);"]).returncode != 0:
        require_service("PHP's mysqli (apt-get install php-mysql)")
    install_db, mariadbd = _binary("mariadb-install-db"), _binary("mariadbd")
    base = Path(tempfile.mkdtemp(prefix="aftercare-mariadb-"))  # short: a socket path is at most 107 bytes
    datadir, sock = base / "data", base / "mysqld.sock"
    user = ["--user=root"] if os.geteuid() == 0 else []
    subprocess.run([install_db, "--no-defaults", f"--datadir={datadir}", *user, "--skip-test-db",
                    "--auth-root-authentication-method=normal", "--skip-name-resolve"],
                   check=True, capture_output=True, timeout=120)
    server = subprocess.Popen([mariadbd, "--no-defaults", f"--datadir={datadir}", f"--socket={sock}",
                               "--skip-networking", f"--pid-file={base / 'mysqld.pid'}",
                               f"--log-error={base / 'mysqld.err'}", *user, "--innodb-buffer-pool-size=32M",
                               "--innodb-flush-log-at-trx-commit=0", "--skip-name-resolve"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait(lambda: server.poll() is not None or _mysqli_ready(php, sock), "the test's MariaDB")
        assert server.poll() is None, (base / "mysqld.err").read_text()
        code = "$m = new mysqli('localhost', 'root', '', '', 0, $argv[1]); $m->query('CREATE DATABASE wordpress');"
        subprocess.run([php, "-r", code, str(sock)], check=True, timeout=30)
        yield sock
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        shutil.rmtree(base, ignore_errors=True)


def _wp_config(sock: Path, url: str, debug_log: Path) -> str:
    keys = ("AUTH_KEY", "SECURE_AUTH_KEY", "LOGGED_IN_KEY", "NONCE_KEY",
            "AUTH_SALT", "SECURE_AUTH_SALT", "LOGGED_IN_SALT", "NONCE_SALT")
    salts = "".join(f"define( '{key}', '{secrets.token_hex(32)}' );\n" for key in keys)
    return f"""<?php
define( 'DB_NAME', 'wordpress' );
define( 'DB_USER', 'root' );
define( 'DB_PASSWORD', '' );
define( 'DB_HOST', 'localhost:{sock}' );
define( 'DB_CHARSET', 'utf8mb4' );
define( 'DB_COLLATE', '' );
{salts}$table_prefix = 'wp_';
define( 'WP_HOME', '{url}' );
define( 'WP_SITEURL', '{url}' );
define( 'WP_DEBUG', true );
define( 'WP_DEBUG_LOG', '{debug_log}' );
define( 'WP_DEBUG_DISPLAY', false );
define( 'DISABLE_WP_CRON', true );
define( 'WP_HTTP_BLOCK_EXTERNAL', true );
define( 'AUTOMATIC_UPDATER_DISABLED', true );
define( 'WP_AUTO_UPDATE_CORE', false );
if ( ! defined( 'ABSPATH' ) ) {{
	define( 'ABSPATH', __DIR__ . '/' );
}}
require_once ABSPATH . 'wp-settings.php';
"""


def _copy_wordpress(root: Path) -> None:
    """Debian's WordPress, copied (its files find wp-config.php next to their real path, so no symlinks)."""
    for entry in WORDPRESS_SOURCE.iterdir():
        if entry.name in ("wp-config.php", "wp-content", ".htaccess"):
            continue
        if entry.is_dir():
            shutil.copytree(entry, root / entry.name, symlinks=True)
        else:
            shutil.copy2(entry, root / entry.name)
    content = root / "wp-content"
    for folder in ("plugins", "themes/plain-check", "mu-plugins", "uploads"):
        (content / folder).mkdir(parents=True)
    (content / "themes" / "plain-check" / "style.css").write_text(THEME_STYLE)
    (content / "themes" / "plain-check" / "index.php").write_text(THEME_INDEX)
    (content / "mu-plugins" / "early-translations.php").write_text(EARLY_TRANSLATION_LOGGER)
    (content / "plugins" / "aftercare-for-woocommerce").symlink_to(PLUGIN, target_is_directory=True)


@pytest.fixture(scope="module")
def site(mariadb: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """WordPress installed, the plugin activated, PHP's built-in server running, the admin's cookies."""
    if not (WORDPRESS_SOURCE / "wp-settings.php").is_file():
        require_service("WordPress (apt-get install wordpress; see .ci/wordpress)")
    php = _binary("php")
    root = tmp_path_factory.mktemp("wordpress")
    port = _free_port()
    wp = Site(root=root, url=f"http://127.0.0.1:{port}", debug_log=root / "debug.log",
              server_log=root / "server.log", php=php)
    _copy_wordpress(root)
    (root / "wp-config.php").write_text(_wp_config(mariadb, wp.url, wp.debug_log))
    wp.script("aftercare-setup.php", SETUP_PHP, ADMIN_LOGIN, ADMIN_PASSWORD)
    activated = wp.script("aftercare-activate.php", ACTIVATE_PHP, PLUGIN_FILE, ADMIN_LOGIN)
    assert activated["active"] is True
    wp.cookies, wp.nonces = activated["cookies"], activated["nonces"]  # type: ignore[assignment]
    with wp.server_log.open("w") as server_log:
        server = subprocess.Popen([php, "-S", f"127.0.0.1:{port}", "-t", str(root)], cwd=root,
                                  stdout=server_log, stderr=subprocess.STDOUT)
    try:
        _wait(lambda: server.poll() is not None or _port_open(port), "PHP's built-in server")
        assert server.poll() is None, wp.server_log.read_text()
        yield wp
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="module")
def visited(site: Site) -> dict[str, Page]:
    """Every page the tests look at, requested once, in a merchant's and a shopper's order."""
    pages = {
        "dashboard": site.request("GET", "/wp-admin/"),
        "plugins": site.request("GET", "/wp-admin/plugins.php"),
        "aftercare_page": site.request("GET", "/wp-admin/admin.php?page=aftercare"),
        "save_url": site.request("POST", "/wp-admin/admin-post.php", {
            "action": "aftercare_save_url", "_wpnonce": site.nonces["aftercare_save_url"],
            "aftercare_app_url": "https://app.aftercare.example"}),
        "settings_save": site.request("POST", "/wp-admin/options.php", {
            "option_page": "general", "action": "update", "_wpnonce": site.nonces["general-options"],
            "blogname": "Plugin check", "blogdescription": "", "admin_email": "admin@example.com",
            "timezone_string": "UTC", "date_format": "F j, Y", "time_format": "g:i a", "start_of_week": "1"}),
        "home": site.request("GET", "/", admin=False),
        "post": site.request("GET", "/?p=1", admin=False),
        "connect_proof": site.request("GET", "/?rest_route=/aftercare/v1/connect-proof&connect_id=abc",
                                      admin=False),
    }
    return pages


def test_wordpress_activates_the_plugin_without_woocommerce(site: Site) -> None:
    state = site.script("aftercare-state.php", STATE_PHP)
    assert state["active_plugins"] == [PLUGIN_FILE]


def test_without_woocommerce_the_admin_sees_that_woocommerce_is_not_active(visited: dict[str, Page]) -> None:
    for name in ("dashboard", "plugins"):
        page = visited[name]
        assert page.status == 200, (name, page.status)
        assert "Dashboard" in page.body or "Plugins" in page.body, f"{name}: not an admin page"
        assert MISSING_NOTICE in page.body, f"{name}: no notice"
        assert page.body.count(MISSING_NOTICE) == 1, f"{name}: the notice once"


def test_without_woocommerce_the_plugin_adds_no_page_and_saves_nothing(site: Site,
                                                                       visited: dict[str, Page]) -> None:
    assert visited["aftercare_page"].status == 403
    assert "Sorry, you are not allowed to access this page." in visited["aftercare_page"].body
    assert visited["save_url"].status == 400, "admin-post.php has no aftercare_save_url handler"
    state = site.script("aftercare-state.php", STATE_PHP)
    assert state["options"] == {}, "the plugin wrote no option"


def test_without_woocommerce_storefront_pages_render_without_the_plugin(visited: dict[str, Page]) -> None:
    for name in ("home", "post"):
        page = visited[name]
        assert page.status == 200, (name, page.status)
        assert "<h1>Hello world!</h1>" in page.body, f"{name}: the theme rendered the post"
        assert "aftercare" not in page.body.lower(), f"{name}: nothing of the plugin on the page"
    proof = visited["connect_proof"]
    assert proof.status == 404 and json.loads(proof.body)["code"] == "rest_no_route"


def test_debug_log_has_nothing_from_the_plugin_and_no_php_error(site: Site, visited: dict[str, Page]) -> None:
    assert visited["settings_save"].status == 302, "WordPress's own settings save went through"
    assert all(page.status < 500 for page in visited.values()), {k: p.status for k, p in visited.items()}
    log = site.debug_log.read_text() if site.debug_log.exists() else ""
    lines = log.splitlines()
    ours = [line for line in lines if "aftercare" in line.lower()]
    assert ours == [], "\n".join(ours)
    errors = [line for line in lines + site.server_log.read_text().splitlines()
              if any(kind in line for kind in PHP_ERRORS)]
    assert errors == [], "\n".join(errors)
