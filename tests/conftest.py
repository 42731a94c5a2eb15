"""Shared fixtures: real Redis, real SQLite and PostgreSQL databases, signed Shopify deliveries.

On a bare machine a test whose service is missing (PostgreSQL) is skipped with the reason; with
AFTERCARE_REQUIRE_SERVICES=1 (set by .ci/run) the same situation fails instead.
"""
from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import hmac
import json
import os
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import text

FIXTURES = Path(__file__).parent / "fixtures"
SHOP_DOMAIN = "aftercare-test.myshopify.com"
SECRET, OLD_SECRET = "test-app-secret-4f1c9a7e2b6d8035c1e9", "previous-app-secret-93b0d7a1c4e2f865"
PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_TEST_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")


def require_service(reason: str) -> None:
    if os.environ.get("AFTERCARE_REQUIRE_SERVICES") == "1":
        pytest.fail(f"required service missing in CI: {reason}")
    pytest.skip(reason)


# --- payloads -------------------------------------------------------------------------------------

def fixture_payload(topic: str) -> dict[str, Any]:
    raw = (FIXTURES / "shopify" / f"{topic.replace('/', '_')}.json").read_text()
    return json.loads(raw, parse_float=Decimal)


def now_iso(offset: dt.timedelta = dt.timedelta()) -> str:
    return (dt.datetime.now(dt.timezone.utc) + offset).isoformat()


def paid_order(**changes: Any) -> dict[str, Any]:
    """Shopify's order sample in the documented state of a new, paid order (see fixtures README)."""
    order = copy.deepcopy(fixture_payload("orders/create"))
    order.update(financial_status="paid", cancelled_at=None, cancel_reason=None,
                 created_at=now_iso(), updated_at=now_iso(), test=False)
    order.update(changes)
    return order


def fulfillment(**changes: Any) -> dict[str, Any]:
    payload = copy.deepcopy(fixture_payload("fulfillments/create"))
    payload.update(status="success", updated_at=now_iso())
    payload.update(changes)
    return payload


def carrier_event(status: str, **changes: Any) -> dict[str, Any]:
    payload = copy.deepcopy(fixture_payload("fulfillment_events/create"))
    payload.update(status=status, happened_at=now_iso(), created_at=now_iso(), updated_at=now_iso())
    payload.update(changes)
    return payload


def encode(payload: Any) -> bytes:
    return json.dumps(payload, default=str).encode()


def sign(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def shopify_headers(topic: str, body: bytes, event_id: str | None = None, secret: str = SECRET,
                    domain: str = SHOP_DOMAIN) -> dict[str, str]:
    return {"X-Shopify-Topic": topic, "X-Shopify-Hmac-Sha256": sign(body, secret),
            "X-Shopify-Shop-Domain": domain, "X-Shopify-Event-Id": event_id or str(uuid.uuid4()),
            "X-Shopify-Webhook-Id": str(uuid.uuid4()), "X-Shopify-API-Version": "2026-04",
            "X-Shopify-Triggered-At": now_iso(), "Content-Type": "application/json"}


# --- services -------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The machine's Redis (a test database index); the embedded one when none runs here."""
    try:
        Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=1).ping()
        return REDIS_TEST_URL
    except (RedisError, OSError):
        if os.environ.get("AFTERCARE_REQUIRE_SERVICES") == "1":
            pytest.fail(f"required service missing in CI: no Redis at {REDIS_TEST_URL}")
    from integration.runtime.embedded_redis import ensure_running

    return ensure_running(str(tmp_path_factory.mktemp("redis")))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, migrated once."""
    from sqlalchemy import create_engine

    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            name = f"aftercare_test_{uuid.uuid4().hex[:10]}"
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any failure means the service is not usable here
        admin.dispose()
        require_service(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {type(exc).__name__}")
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    from integration.cli import upgrade_database

    upgrade_database(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


TABLES = ("test_sends", "help_clicks", "order_states", "store_connections", "template_versions", "data_exports", "outbox",
          "attempts", "messages", "shipments", "orders", "deliveries", "shops")


def empty_tables(url: str) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        from integration.cli import upgrade_database

        url = f"sqlite:///{tmp_path / 'aftercare.db'}"
        upgrade_database(url)
        return url
    url = request.getfixturevalue("postgres_url")
    empty_tables(url)
    return url


@pytest.fixture
def clean_redis(redis_url: str) -> str:
    Redis.from_url(redis_url).flushdb()
    return redis_url


class NoShopifyNetwork(httpx.BaseTransport):
    """The app's default Shopify client in tests: jobs a test drains never reach the real Shopify."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("tests make no calls to the real Shopify", request=request)


def app_overrides(database_url: str, redis_url: str, **extra: Any) -> dict[str, Any]:
    return {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "SHOPIFY_API_SECRET": SECRET,
            "SHOPIFY_HTTP_CLIENT": httpx.Client(transport=NoShopifyNetwork()),
            "SHOPIFY_API_SECRET_PREVIOUS": OLD_SECRET, "SHOPIFY_API_KEY": "test-client-id",
            "SEND_BACKOFF_BASE": 1, "PARENT_WAIT_BASE": 1, "SWEEP_GRACE_SECONDS": 0,
            "MAIL_FROM": "orders@aftercare-test.example", "APP_URL": "http://aftercare.test", **extra}


@pytest.fixture
def app(database_url: str, clean_redis: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    from integration.app import create_app
    from notifications import channels

    monkeypatch.setenv("AFTERCARE_INSTANCE", str(tmp_path / "instance"))
    channels.reset_senders()
    application = create_app(app_overrides(database_url, clean_redis))
    yield application
    application.extensions["aftercare.db"].dispose()
    channels.reset_senders()


def add_shop(app: Any, **settings: Any) -> int:
    """Register the test shop through the real CLI command, then apply settings."""
    result = app.test_cli_runner().invoke(args=["shop", "add", "shopify", SHOP_DOMAIN,
                                                "--access-token", "shpat_test", "--name", "Acme Outfitters"])
    assert result.exit_code == 0, result.output
    shop_id = int(result.stdout.strip())
    from integration.db.database import utcnow
    from integration.db.models import Shop

    with app.extensions["aftercare.db"].session() as session:
        shop = session.get(Shop, shop_id)
        shop.created_at = utcnow() - dt.timedelta(days=30)  # installed a while ago
        shop.quiet_hours_start = shop.quiet_hours_end = None
        shop.contact_email = "help@acme.example"
        shop.help_links = {"shipping": "https://acme.example/shipping", "returns": "https://acme.example/returns",
                           "contact": "https://acme.example/contact"}
        for key, value in settings.items():
            setattr(shop, key, value)
    return shop_id


@pytest.fixture
def shop_id(app: Any) -> int:
    return add_shop(app)


@pytest.fixture
def shopify(app: Any) -> Iterator[Any]:
    """A local server answering like Shopify's token endpoint and GraphQL Admin API; the app's HTTP
    client is pointed at it."""
    from tests.fake_shopify import FakeShopify

    fake = FakeShopify(SECRET)
    app.config["SHOPIFY_HTTP_CLIENT"] = fake.client()
    yield fake
    fake.close()


def everything_stored_for_tests(app: Any) -> str:
    """Every value of every row of every table, as text (for scans after erasure or encryption)."""
    from sqlalchemy import select

    from integration.db.database import Base

    values = []
    with app.extensions["aftercare.db"].session() as session:
        for table in Base.metadata.sorted_tables:
            for row in session.execute(select(table)):
                values += [v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in row]
    return "\n".join(values)


def proxy_signature(params: dict[str, Any], secret: str = SECRET) -> str:
    """Shopify's app proxy signature: sorted `key=value` pairs (lists joined by commas), no separator, hex HMAC."""
    message = "".join(f"{key}={','.join(value) if isinstance(value, list) else value}"
                      for key, value in sorted(params.items()))
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def proxy_params(extra: dict[str, Any] | None = None, secret: str = SECRET, domain: str = SHOP_DOMAIN,
                 timestamp: int | None = None) -> dict[str, Any]:
    """The query Shopify's app proxy adds to a storefront request to /apps/aftercare/..., signed."""
    import time

    params = {**(extra or {}), "shop": domain, "logged_in_customer_id": "", "path_prefix": "/apps/aftercare",
              "timestamp": str(int(time.time()) if timestamp is None else timestamp)}
    return {**params, "signature": proxy_signature(params, secret)}


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI (AFTERCARE_REQUIRE_SERVICES=1) every service is provided, so any skipped test fails the run."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if os.environ.get("AFTERCARE_REQUIRE_SERVICES") == "1" and skipped:
        reporter.write_line(f"AFTERCARE_REQUIRE_SERVICES=1: {len(skipped)} skipped tests fail the run", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
