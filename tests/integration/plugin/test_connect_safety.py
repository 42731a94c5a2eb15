"""Issue 11, findings 1 (anonymous tenants through the WooCommerce connection) and 2 (server-side request forgery).

Every store here is a local stand-in (tests/fake_woocommerce.py) on 127.0.0.1; the app calls a store only
through its outbound client, and ALLOW_PRIVATE_STORES names exactly the stand-ins' ip:port. Targets that are
not loopback (10.0.0.1, 169.254.169.254) are checked by the address rule only: an audit hook records every
socket the process opens and the tests assert none went anywhere but loopback.
"""
from __future__ import annotations

import ipaddress
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from integration.db.models import Shop, StoreConnection
from tests.conftest import app_overrides
from tests.fake_woocommerce import FakeWooCommerce, wc_signature, wp_json_encode
from tests.helpers import drain
from tests.woo_helpers import (
    admin_link,
    allow_stores,
    begin,
    callback_body,
    connect,
    fresh_order,
    grant,
    signed_headers,
    start_store,
)

_OPENED: list[list[Any]] = []


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event == "socket.connect" and _OPENED:
        _OPENED[-1].append(args[1])


sys.addaudithook(_audit)


@contextmanager
def sockets_opened() -> Iterator[list[Any]]:
    """Every address a socket of this process connects to inside the block."""
    opened: list[Any] = []
    _OPENED.append(opened)
    try:
        yield opened
    finally:
        _OPENED.remove(opened)


def _off_loopback(opened: list[Any]) -> list[Any]:
    def loopback(address: Any) -> bool:
        return not isinstance(address, tuple) or ipaddress.ip_address(str(address[0]).split("%")[0]).is_loopback
    return [address for address in opened if not loopback(address)]


def resolving(names: dict[str, str]) -> Any:
    """A resolver for the tests' own names (a name -> one address); any other name does not resolve."""
    def resolve(host: str, port: int) -> list[str]:
        if host in names:
            return [names[host]]
        try:
            return [str(ipaddress.ip_address(host))]
        except ValueError:
            if host == "localhost":
                return [str(found[4][0]) for found in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]
            raise socket.gaierror(socket.EAI_NONAME, "not a test name") from None
    return resolve


@pytest.fixture
def store(app: Any) -> Iterator[FakeWooCommerce]:
    fake = start_store(app, admitted=False)
    yield fake
    fake.close()


def _shops(app: Any) -> list[Shop]:
    with app.extensions["aftercare.db"].session() as session:
        return list(session.query(Shop).order_by(Shop.id))


def _callback(client: Any, store: FakeWooCommerce, connect_id: str, **changes: Any) -> Any:
    return client.post("/woocommerce/auth-callback", json=callback_body(store, connect_id, **changes))


def _claim(client: Any, started: dict[str, Any]) -> Any:
    return client.post("/woocommerce/claim", json={"connect_id": started["connect_id"],
                                                   "claim_secret": started["claim_secret"]})


def _connections(app: Any) -> list[StoreConnection]:
    with app.extensions["aftercare.db"].session() as session:
        return list(session.query(StoreConnection).order_by(StoreConnection.id))


def _cli(app: Any, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return str(result.stdout)


# --- finding 1: who may become a tenant -----------------------------------------------------------

def test_anonymous_takeover_chain_is_refused(app: Any, store: FakeWooCommerce) -> None:
    client = app.test_client()
    # a connection started by someone else for a store whose site does not hold its proof: refused
    started = begin(client, store)
    store.proofs.clear()
    assert _callback(client, store, started["connect_id"]).status_code == 200  # WooCommerce wants exactly 200
    assert _claim(client, started).status_code == 409  # the site's proof is not read yet
    drain(app)
    refused = _claim(client, started)
    assert refused.status_code == 404 and "link_secret" not in refused.get_json()
    assert _shops(app) == []

    # the attacker's own store, which shows the proof: a shop, but waiting for the operator
    started = begin(client, store)
    assert _callback(client, store, started["connect_id"]).status_code == 200
    drain(app)
    claimed = _claim(client, started)
    assert claimed.status_code == 200 and claimed.get_json()["status"] == "pending_approval"
    connection = {**started, **claimed.get_json()}
    (shop,) = _shops(app)
    assert (shop.status, shop.approved_at, shop.webhook_ids) == ("pending_approval", None, None)
    assert store.webhooks == {}  # nothing points at the app yet
    opened = client.get(admin_link(connection))
    assert opened.status_code == 403 and "approval" in opened.get_json()["error"]
    assert client.get("/admin").status_code in (302, 401, 403)
    relay = client.post("/admin/messages/order_confirmed/email/test", json={"to": "victim@example.com"})
    assert relay.status_code == 302 or 400 <= relay.status_code < 500
    body = wp_json_encode(fresh_order())
    intake = client.post(f"/webhooks/woocommerce/{shop.id}", data=body, headers={
        "X-WC-Webhook-Topic": "order.created", "X-WC-Webhook-Signature": wc_signature(body, "anything")})
    assert intake.status_code == 410

    # the operator lets it start
    assert f"{shop.id}\t" in _cli(app, "shop", "pending")
    _cli(app, "shop", "approve", str(shop.id))
    drain(app)
    (shop,) = _shops(app)
    assert shop.status == "active" and shop.approved_at is not None and len(store.webhooks) == 4
    assert client.get(admin_link(connection, nonce="a" * 32)).status_code == 302


def test_pending_store_waits_for_approval(app: Any, store: FakeWooCommerce) -> None:
    client = app.test_client()
    started = begin(client, store)
    assert _callback(client, store, started["connect_id"]).status_code == 200
    drain(app)
    assert _claim(client, started).get_json()["status"] == "pending_approval"
    (shop,) = _shops(app)
    assert _cli(app, "shop", "pending").split("\t")[:2] == [str(shop.id), shop.domain]
    body = wp_json_encode(fresh_order())
    intake = client.post(f"/webhooks/woocommerce/{shop.id}", data=body, headers={
        "X-WC-Webhook-Topic": "order.updated", "X-WC-Webhook-Signature": wc_signature(body, "anything")})
    assert intake.status_code == 410
    assert [m for m, p in store.requests if "webhooks" in p] == []  # no webhook created, none re-enabled

    approved = _cli(app, "shop", "approve", shop.domain)
    assert f"shop {shop.id}" in approved
    drain(app)
    assert _cli(app, "shop", "pending") == ""
    assert sorted(h["topic"] for h in store.webhooks.values()) == [
        "order.created", "order.deleted", "order.restored", "order.updated"]
    assert _shops(app)[0].currency == "EUR"  # set up: facts read
    refused = app.test_cli_runner().invoke(args=["shop", "approve", "no-such-store.example"])
    assert refused.exit_code != 0 and "no WooCommerce store" in refused.output


def test_allowed_stores_domain_is_admitted(app: Any) -> None:
    app.config["OUTBOUND_RESOLVER"] = resolving({"shop.allowed.test": "127.0.0.1", "allowed.test": "127.0.0.1",
                                                 "shop.elsewhere.test": "127.0.0.1"})
    stores = [start_store(app, host=host) for host in ("shop.allowed.test", "allowed.test", "shop.elsewhere.test")]
    try:
        allow_stores(app, *stores, admitted=False)
        app.config["ALLOWED_STORES"] = "*.allowed.test"
        admitted = connect(app, stores[0])
        assert admitted["status"] == "active" and len(stores[0].webhooks) == 4
        client = app.test_client()
        for other in stores[1:]:  # the wildcard is for subdomains only; another domain is not in the list
            started = begin(client, other)
            assert _callback(client, other, started["connect_id"]).status_code == 200
            drain(app)
            assert _claim(client, started).get_json()["status"] == "pending_approval"
            assert other.webhooks == {}
        assert [(s.domain.split(":")[0], s.status) for s in _shops(app)] == [
            ("shop.allowed.test", "active"), ("allowed.test", "pending_approval"),
            ("shop.elsewhere.test", "pending_approval")]
    finally:
        for fake in stores:
            fake.close()


def test_open_signup_admits_every_store_that_proves_itself(app: Any, store: FakeWooCommerce) -> None:
    app.config["OPEN_SIGNUP"] = True
    assert connect(app, store)["status"] == "active"


# --- finding 2: server-side request forgery -------------------------------------------------------

def test_ssrf_targets_refused_by_address_rule(app: Any, store: FakeWooCommerce) -> None:
    client = app.test_client()
    started = begin(client, store)  # started while the local store is allowed ...
    app.config["ALLOW_PRIVATE_STORES"] = ""  # ... the switch is off from here on
    app.config["OUTBOUND_RESOLVER"] = resolving({"intranet.example.test": "127.0.0.1",
                                                 "metadata.example.test": "169.254.169.254"})
    posted = [f"http://127.0.0.1:{store.port}/", "https://[::1]/", "https://10.0.0.1/",
              "http://169.254.169.254/latest/meta-data/", "https://localhost/",
              f"https://intranet.example.test:{store.port}/"]
    checked = posted + [f"https://127.0.0.1:{store.port}/", "https://169.254.169.254/", "https://[::ffff:10.0.0.1]/",
                        "https://[fe80::1]/", "https://100.64.0.1/", "https://metadata.example.test/"]
    before = list(store.requests)
    with sockets_opened() as opened:
        for target in posted:  # through the app: the connect refuses the store's address
            answer = client.post("/woocommerce/connect", json={"store_url": target, "return_url": target,
                                                               "site_proof": "p" * 43})
            assert answer.status_code == 400, target
            assert answer.get_json()["error"] == "store_url: the store's address is not public", target
        from integration.runtime import outbound

        with app.app_context():
            for target in checked:  # and the outbound client, which every call to a store goes through
                with pytest.raises(outbound.OutboundRefusedError) as refused:
                    outbound.session().get(target + "wp-json/", timeout=2)
                assert refused.value.reason == outbound.NOT_PUBLIC, target
        callback = _callback(client, store, started["connect_id"])  # a later call is checked again
    assert callback.status_code == 400 and "not public" in callback.get_json()["error"]
    assert store.requests == before  # nothing reached the local store
    assert _off_loopback(opened) == []  # and no packet went anywhere but loopback (Redis, the database)
    with app.extensions["aftercare.db"].session() as session:
        assert session.query(StoreConnection).count() == 1  # only the connection started before


def test_redirect_to_loopback_refused(app: Any, store: FakeWooCommerce) -> None:
    inside = FakeWooCommerce()  # another local service, on a port the switch does not name
    check = "/wp-json/wc/v3/data/currencies/current"
    try:
        client = app.test_client()
        for target in (f"{inside.url}{check}", "http://169.254.169.254/latest/meta-data/", "https://10.0.0.1/"):
            started = begin(client, store)
            store.redirects[check] = target
            assert _callback(client, store, started["connect_id"]).status_code == 200  # nothing called yet
            with sockets_opened() as opened:
                drain(app)  # the job's key check follows the redirect to the refused address: no further
            assert _off_loopback(opened) == []
            ended = _claim(client, started)
            assert ended.status_code == 404 and ended.get_json()["reason"] == "off_limits", ended.get_json()
        assert inside.requests == []  # the redirect target was never reached
        assert store.requested(check) == 3  # the first hop was
        store.redirects.clear()
        allow_stores(app, store)
        assert connect(app, store)["status"] == "active"  # the same store without the redirect
    finally:
        inside.close()


def test_check_keys_does_not_echo_the_target_body(app: Any, store: FakeWooCommerce) -> None:
    """What the job tells the plugin about keys the store refused, or a store that kept failing, is a fixed
    reason, never the store's text."""
    client = app.test_client()
    store.refusal_message = "internal-secret-banner"
    started = begin(client, store)
    assert _callback(client, store, started["connect_id"], consumer_secret="cs_wrong").status_code == 200
    drain(app)
    refused = _claim(client, started)
    assert refused.status_code == 404
    assert refused.get_json() == {"error": "Aftercare ended this connection: the store refused the keys WooCommerce "
                                           "posted; connect again", "status": "ended", "reason": "keys_refused"}
    started = begin(client, store)
    assert _callback(client, store, started["connect_id"]).status_code == 200
    with app.app_context():
        from integration.woocommerce import verify as woo_verify
        from integration.runtime import extensions

        (connection,) = [c for c in _connections(app) if c.connect_id == started["connect_id"]]
        extensions.queue("aftercare-maintenance").enqueue(woo_verify.verify, connection.id)  # its last try
    store.failures = [500, 500] * 2  # both tries of the first run (retried later), and of the last one
    drain(app)
    failed = _claim(client, started)
    assert failed.status_code == 404 and failed.get_json()["reason"] == "unreachable"
    assert failed.get_json()["error"] == ("Aftercare ended this connection: the store could not be reached to check "
                                          "the keys; connect again")
    assert "internal-secret-banner" not in refused.get_data(as_text=True) + failed.get_data(as_text=True)
    assert "try later" not in failed.get_data(as_text=True)


def test_setup_job_refuses_a_store_that_turned_private(app: Any) -> None:
    names = {"shop.rebinding.test": "127.0.0.1"}
    app.config["OUTBOUND_RESOLVER"] = resolving(names)
    store = start_store(app, host="shop.rebinding.test", admitted=False)
    try:
        client = app.test_client()
        started = begin(client, store)
        assert _callback(client, store, started["connect_id"]).status_code == 200
        drain(app)
        shop_id = _claim(client, started).get_json()["shop_id"]
        names["shop.rebinding.test"] = "10.0.0.1"  # the store's name now points into the private network
        seen = len(store.requests)
        _cli(app, "shop", "approve", str(shop_id))
        with sockets_opened() as opened:
            drain(app)
            assert _shops(app)[0].reconcile_error == ("Aftercare stopped calling your store: GET "
                                                      "data/currencies/current: the store's address is not public")
            with app.app_context():
                from integration.woocommerce import poll as woo_poll

                assert woo_poll.reconcile_woocommerce(shop_id) == "unreachable"
        assert _off_loopback(opened) == [] and len(store.requests) == seen
        (shop,) = _shops(app)
        assert shop.webhook_ids is None and store.webhooks == {}
        assert shop.reconcile_error == ("Aftercare stopped calling your store (GET webhooks page 1: "
                                        "the store's address is not public), so missed orders cannot be caught up")
    finally:
        store.close()


def test_store_policy_link_javascript_not_stored(app: Any, store: FakeWooCommerce) -> None:
    store.pages = {"refund_returns": "javascript:alert(document.cookie)", "shipping": "data:text/html,<b>x</b>",
                   "privacy-policy": "/privacy-policy/"}
    allow_stores(app, store)
    connect(app, store)
    (shop,) = _shops(app)
    assert shop.help_links == {"privacy": store.url + "/privacy-policy/"}


def test_production_refuses_allow_private_stores(tmp_path: Path, redis_url: str, monkeypatch: pytest.MonkeyPatch
                                                 ) -> None:
    from integration.runtime import outbound
    from integration.app import create_app
    from integration.runtime.config import ConfigError

    monkeypatch.setenv("AFTERCARE_INSTANCE", str(tmp_path / "instance"))
    from cryptography.fernet import Fernet

    production = app_overrides(f"sqlite:///{tmp_path / 'a.db'}", redis_url, APP_ENV="production",
                               SECRET_KEY="s" * 40, ENCRYPTION_KEYS=Fernet.generate_key().decode())
    for value in ("1", "127.0.0.1:8080"):
        monkeypatch.setenv("ALLOW_PRIVATE_STORES", value)
        with pytest.raises(ConfigError, match="ALLOW_PRIVATE_STORES"):
            create_app(production)
    monkeypatch.setenv("ALLOW_PRIVATE_STORES", "0")
    started = create_app(production)
    started.config["ALLOW_PRIVATE_STORES"] = "1"  # set behind the startup check: still not honoured
    with started.app_context():
        assert outbound.current_policy() == outbound.Policy(timeout=30.0, max_seconds=60.0)
    started.extensions["aftercare.db"].dispose()


# --- issue 12: a light, non-blocking connect -----------------------------------------------------

CURRENCY_CHECK = "/wp-json/wc/v3/data/currencies/current"
SYSTEM_STATUS = "/wp-json/wc/v3/system_status"


def test_auth_callback_answers_without_calling_the_store(app: Any, store: FakeWooCommerce) -> None:
    """A store that serves one PHP request at a time is busy with its own key callback: a call back into it
    from the callback would wait until a timeout and WooCommerce would delete the keys."""
    import time

    store.serial = True
    started = begin(app.test_client(), store)
    began = time.monotonic()
    assert grant(store, started) == 200  # exactly 200, as WooCommerce requires
    took = time.monotonic() - began
    assert store.during_callback == [] and store.requests == []  # no call to the store at all
    assert took < 2.0, f"the callback took {took:.1f} s"
    assert not store.keys_deleted
    drain(app)  # the job calls the store once the callback is over
    assert store.requested(CURRENCY_CHECK) == 1 and store.requested(SYSTEM_STATUS) == 0


def test_keys_are_checked_in_a_job_without_system_status(app: Any, store: FakeWooCommerce) -> None:
    client = app.test_client()
    started = begin(client, store)
    assert grant(store, started) == 200
    assert store.requests == []  # nothing checked during the callback
    drain(app)
    assert [p for _, p in store.requests] == [CURRENCY_CHECK, "/wp-json/aftercare/v1/connect-proof"]  # keys, site
    assert _claim(client, started).get_json()["status"] == "pending_approval"
    (shop,) = _shops(app)
    _cli(app, "shop", "approve", str(shop.id))
    drain(app)  # set-up: facts and webhooks
    with app.app_context():
        from integration.woocommerce import poll as woo_poll, store as woo_store

        assert woo_store.refresh_facts(shop.id) == "refreshed"
        woo_poll.reconcile_woocommerce(shop.id)
    (shop,) = _shops(app)
    assert (shop.status, shop.currency, shop.locale, shop.timezone) == ("active", "EUR", "fr-FR", "Europe/Paris")
    assert len(store.webhooks) == 4
    assert store.requested(SYSTEM_STATUS) == 0  # never: it makes the store call PayPal and woocommerce.com


def test_store_is_connecting_until_keys_pass(app: Any, store: FakeWooCommerce) -> None:
    client = app.test_client()
    started = begin(client, store)
    assert grant(store, started) == 200
    store.failures = [503, 503]  # the store is busy when the job first checks the keys: tried again later
    drain(app)
    for _ in range(2):
        waiting = _claim(client, started)
        assert waiting.status_code == 409 and waiting.get_json()["status"] == "connecting", waiting.get_json()
    assert _shops(app) == []  # no shop: nothing active, no admin to open, nothing sent
    (connection,) = _connections(app)
    assert connection.authorized_at is not None and connection.verified_at is None
    assert store.requested(CURRENCY_CHECK) == 2 and store.requested("/wp-json/aftercare/v1/connect-proof") == 0
    with app.app_context():
        from integration.woocommerce import verify as woo_verify

        assert woo_verify.verify(connection.id) == "pending_approval"  # the retry, once the store answers
    claimed = _claim(client, started)
    assert claimed.status_code == 200 and claimed.get_json()["status"] == "pending_approval"


def test_bad_keys_found_by_the_job_end_the_connection(app: Any, store: FakeWooCommerce) -> None:
    client = app.test_client()
    started = begin(client, store)
    assert grant(store, started, consumer_secret="cs_forged_by_someone") == 200  # it cannot tell yet
    assert _claim(client, started).status_code == 409
    (connection,) = _connections(app)
    drain(app)
    ended = _claim(client, started)
    assert ended.status_code == 404 and ended.get_json()["reason"] == "keys_refused"
    assert "link_secret" not in ended.get_json()
    assert _shops(app) == [] and _connections(app) == []
    assert store.requested("/wp-json/aftercare/v1/connect-proof") == 0  # nothing more asked of the store
    with app.app_context():
        from integration.runtime import extensions

        assert extensions.redis().get(f"aftercare:woo-keys:{connection.id}") is None  # the keys are gone
    assert _callback(client, store, started["connect_id"]).status_code == 404  # the connection is over
    other = client.post("/woocommerce/claim", json={"connect_id": started["connect_id"], "claim_secret": "x" * 32})
    assert other.status_code == 404 and "reason" not in other.get_json()  # why, only to its own claim secret
    allow_stores(app, store)
    assert connect(app, store)["status"] == "active"  # connecting again with the store's real keys works


# --- the plugin's signatures and ids from outside -------------------------------------------------

def test_plugin_signatures_non_ascii_are_401(app: Any, store: FakeWooCommerce) -> None:
    allow_stores(app, store)
    connection = connect(app, store)
    client, shop_id, body = app.test_client(), connection["shop_id"], b"{}"
    good = signed_headers(shop_id, connection["link_secret"], body)
    cases = [({"X-Aftercare-Signature": "é" * 44}, 401), ({"X-Aftercare-Signature": "\u00ff"}, 401),
             ({"X-Aftercare-Timestamp": "¹" * 10}, 401), ({"X-Aftercare-Shop": "²"}, 404),
             ({"X-Aftercare-Shop": "9" * 30}, 404), ({"X-Aftercare-Shop": str(2**63)}, 404)]
    for change, status in cases:
        answer = client.post("/woocommerce/disconnect", data=body, headers={**good, **change})
        assert answer.status_code == status, change
    link = admin_link(connection)
    for old, new, status in ((f"shop={shop_id}", "shop=²", 404), (f"shop={shop_id}", f"shop={2**64}", 404),
                             ("sig=", "sig=%C3%A9", 401), ("nonce=", "nonce=%C3%A9", 401)):
        assert client.get(link.replace(old, new, 1)).status_code == status, new
    started = begin(client, store)
    lone = '{"connect_id": "%s", "claim_secret": "\\ud800"}' % started["connect_id"]
    assert client.post("/woocommerce/claim", data=lone, content_type="application/json").status_code == 400
    assert client.post("/woocommerce/claim", json={"connect_id": "é" * 20, "claim_secret": "x"}).status_code == 404
    assert _callback(client, store, started["connect_id"], key_id="²").status_code == 200
    assert _callback(client, store, "\ud800" * 20).status_code in (400, 404)
    assert client.post("/woocommerce/connect", json={"store_url": "http://[::1", "return_url": "https://x.example/",
                                                     "site_proof": "p" * 43}).status_code == 400
    assert client.post("/woocommerce/disconnect", data=body, headers=good).status_code == 200  # the real one works


# --- the outbound client itself -------------------------------------------------------------------

def _self_signed(tmp_path: Path, name: str) -> tuple[Path, Path]:
    """A certificate for `name` (and the key), its own issuer: the client trusts exactly it."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "store.pem", tmp_path / "store.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_https_store_is_reached_at_the_vetted_address_under_its_own_name(tmp_path: Path) -> None:
    """The socket goes to the address the rule checked; TLS (SNI, the certificate) and Host keep the name; a
    new connection resolves and checks again, so a name rebound to a private address is refused."""
    import ssl
    import threading
    from http.server import BaseHTTPRequestHandler

    from integration.runtime import outbound
    from tests.json_server import QuietServer

    seen: list[tuple[str | None, str | None]] = []
    cert, key = _self_signed(tmp_path, "shop.pinned.test")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda sock, server_name, ctx: seen.append(("sni", server_name)) and None

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            seen.append(("host", self.headers.get("Host")))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: Any) -> None:
            pass

    server = QuietServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = int(server.server_address[1])
    names = {"shop.pinned.test": "127.0.0.1"}
    policy = outbound.Policy(endpoints=frozenset({("127.0.0.1", port)}), resolver=resolving(names))
    try:
        url = f"https://shop.pinned.test:{port}/wp-json/"
        assert outbound.session(policy).get(url, verify=str(cert), timeout=5).json() == {}
        assert seen == [("sni", "shop.pinned.test"), ("host", f"shop.pinned.test:{port}")]
        names["shop.pinned.test"] = "10.0.0.1"
        with sockets_opened() as opened, pytest.raises(outbound.OutboundRefusedError, match="not public"):
            outbound.session(policy).get(url, verify=str(cert), timeout=5)
        assert _off_loopback(opened) == [] and len(seen) == 2
    finally:
        server.shutdown()
        server.server_close()


def test_a_store_answer_past_the_size_limit_is_not_read(app: Any, store: FakeWooCommerce) -> None:
    store.facts["name"] = "x" * (5 * 1024 * 1024 + 1)  # the site index answer alone is past 5 MiB
    allow_stores(app, store)
    connect(app, store)
    (shop,) = _shops(app)
    assert shop.reconcile_error == ("Aftercare stopped calling your store: GET /wp-json/: "
                                    "the store's answer is larger than 5 MiB")
    assert shop.name != store.facts["name"] and store.webhooks == {}


def test_connection_endpoints_answer_hostile_bodies_below_500(app: Any) -> None:
    client = app.test_client()
    bodies = {b"[" * 60_000: 400, b"[" * 70_000: 413, b"9" * 5000: 400, b'{"connect_id": "\\ud800"}': 400,
              b"\xff\xfe": 400}
    for path in ("/woocommerce/connect", "/woocommerce/claim", "/woocommerce/auth-callback"):
        for body, status in bodies.items():
            answer = client.post(path, data=body, content_type="application/json")
            assert answer.status_code == status, (path, body[:12])
    long_url = "https://shop.example/" + "a" * 300  # longer than its column: a 400, not a database error
    assert client.post("/woocommerce/connect", json={"store_url": long_url, "return_url": long_url,
                                                     "site_proof": "p" * 43}).status_code == 400


def test_a_malformed_private_stores_switch_stops_the_start(tmp_path: Path, redis_url: str,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from integration.app import create_app
    from integration.runtime.config import ConfigError

    monkeypatch.setenv("AFTERCARE_INSTANCE", str(tmp_path / "instance"))
    monkeypatch.setenv("ALLOW_PRIVATE_STORES", "localhost:8080")
    with pytest.raises(ConfigError, match="is not 1 or an ip:port"):
        create_app(app_overrides(f"sqlite:///{tmp_path / 'a.db'}", redis_url))
