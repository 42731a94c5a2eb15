"""Configuration from the environment, with defaults that make a one-machine install work."""
from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

MIB = 1024 * 1024
#: values that leave an on/off setting off.
SWITCH_OFF = frozenset({"", "0", "false", "no", "off"})


class ConfigError(RuntimeError):
    """The configuration cannot run: says which variable is missing or wrong."""


def _instance_secret(instance: Path, name: str, make: Any) -> str:
    """A secret generated once and kept under instance/ (development only)."""
    path = instance / name
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


def _env(name: str, default: Any = None) -> Any:
    value = os.environ.get(name)
    return default if value in (None, "") else value


def from_environment(instance: Path) -> dict[str, Any]:
    """Every setting the app reads, each optional (DESIGN §4)."""
    smtp_url = _env("SMTP_URL")
    twilio_set = bool(_env("TWILIO_ACCOUNT_SID") and _env("TWILIO_AUTH_TOKEN"))
    return {
        "APP_ENV": _env("APP_ENV", "development"),
        "DATABASE_URL": _env("DATABASE_URL", f"sqlite:///{instance / 'aftercare.db'}"),
        "REDIS_URL": _env("REDIS_URL"),
        "APP_URL": _env("APP_URL", "http://localhost:8000").rstrip("/"),
        "SECRET_KEY": _env("SECRET_KEY"),
        "ENCRYPTION_KEYS": _env("ENCRYPTION_KEYS"),
        "EMAIL_BACKEND": _env("EMAIL_BACKEND", "smtp" if smtp_url else "outbox"),
        "SMTP_URL": smtp_url,
        "MAIL_FROM": _env("MAIL_FROM"),
        "SMS_BACKEND": _env("SMS_BACKEND", "twilio" if twilio_set else "outbox"),
        "TWILIO_ACCOUNT_SID": _env("TWILIO_ACCOUNT_SID"),
        "TWILIO_AUTH_TOKEN": _env("TWILIO_AUTH_TOKEN"),
        "TWILIO_FROM": _env("TWILIO_FROM"),
        "TWILIO_API_BASE": _env("TWILIO_API_BASE", "https://api.twilio.com").rstrip("/"),
        "SHOPIFY_API_KEY": _env("SHOPIFY_API_KEY"),
        "SHOPIFY_API_SECRET": _env("SHOPIFY_API_SECRET"),
        "SHOPIFY_API_SECRET_PREVIOUS": _env("SHOPIFY_API_SECRET_PREVIOUS"),
        "SHOPIFY_API_VERSION": _env("SHOPIFY_API_VERSION", "2026-10"),
        "MAX_WEBHOOK_BYTES": int(_env("MAX_WEBHOOK_BYTES", 10 * MIB)),
        "RETENTION_DAYS": int(_env("RETENTION_DAYS", 90)),
        "SEND_RETRIES": int(_env("SEND_RETRIES", 6)),
        "SEND_BACKOFF_BASE": float(_env("SEND_BACKOFF_BASE", 30)),
        "PARENT_WAIT_RETRIES": int(_env("PARENT_WAIT_RETRIES", 6)),
        "PARENT_WAIT_BASE": float(_env("PARENT_WAIT_BASE", 10)),
        "DELIVERY_ATTEMPTS": int(_env("DELIVERY_ATTEMPTS", 5)),
        "PRIVACY_DELIVERY_ATTEMPTS": int(_env("PRIVACY_DELIVERY_ATTEMPTS", 10)),
        "LEASE_SECONDS": int(_env("LEASE_SECONDS", 60)),
        "SWEEP_GRACE_SECONDS": int(_env("SWEEP_GRACE_SECONDS", 30)),
        "SCHEDULER_INTERVAL": int(_env("SCHEDULER_INTERVAL", 15)),
        "RECONCILE_INTERVAL": int(_env("RECONCILE_INTERVAL", 600)),
        "FETCH_PARENT_AFTER": int(_env("FETCH_PARENT_AFTER", 2)),
        "SMTP_TIMEOUT": float(_env("SMTP_TIMEOUT", 10)),
        "HTTP_TIMEOUT": float(_env("HTTP_TIMEOUT", 15)),
        "WOO_TIMEOUT": float(_env("WOO_TIMEOUT", 30)),
        "WOO_RETRIES": int(_env("WOO_RETRIES", 3)),
        "WOO_BACKOFF": float(_env("WOO_BACKOFF", 1)),
        "WOO_TRACKING_CHECKS": int(_env("WOO_TRACKING_CHECKS", 50)),
        "STOREFRONT_CACHE_SECONDS": float(_env("STOREFRONT_CACHE_SECONDS", 10)),
        "PROXY_HOPS": int(_env("PROXY_HOPS", 0)),
        "RATE_LIMIT_CONNECT": _env("RATE_LIMIT_CONNECT", "10/hour"),
        "RATE_LIMIT_AUTH_CALLBACK": _env("RATE_LIMIT_AUTH_CALLBACK", "20/hour"),
        "RATE_LIMIT_CLAIM": _env("RATE_LIMIT_CLAIM", "120/hour"),
        "RATE_LIMIT_CLICKS": _env("RATE_LIMIT_CLICKS", "30/minute"),
        "RATE_LIMIT_SHOP_CLICKS": _env("RATE_LIMIT_SHOP_CLICKS", "600/minute"),
        "TEST_SENDS_PER_HOUR": int(_env("TEST_SENDS_PER_HOUR", 10)),
        # development and tests only: calls to loopback/private stores ("1", or exactly these "ip:port")
        "ALLOW_PRIVATE_STORES": _env("ALLOW_PRIVATE_STORES", ""),
        # WooCommerce stores admitted without the operator's approval: "shop.example.com,*.example.org"
        "ALLOWED_STORES": _env("ALLOWED_STORES", ""),
        "OPEN_SIGNUP": switch_on(_env("OPEN_SIGNUP", "")),
    }


def switch_on(value: Any) -> bool:
    """An on/off setting from the environment (or a test's override) is on."""
    return value not in (None, False) and str(value).strip().lower() not in SWITCH_OFF


def parse_endpoints(value: Any) -> tuple[bool, frozenset[tuple[str, int]]]:
    """`ALLOW_PRIVATE_STORES`: off, on for everything, or exactly these `ip:port` endpoints."""
    if not switch_on(value):
        return False, frozenset()
    if value is True or str(value).strip().lower() in ("1", "true", "yes", "on", "all"):
        return True, frozenset()
    return False, frozenset(_endpoint(entry) for entry in str(value).split(",") if entry.strip())


def _endpoint(entry: str) -> tuple[str, int]:
    host, _, port = entry.strip().rpartition(":")
    try:
        return ipaddress.ip_address(host.strip("[]")).compressed, int(port)
    except ValueError:
        raise ConfigError(f"ALLOW_PRIVATE_STORES: {entry.strip()!r} is not 1 or an ip:port") from None


def fill_development_secrets(config: dict[str, Any], instance: Path) -> None:
    """Development keeps generated secrets under instance/; production must be given real ones."""
    if config["APP_ENV"] == "production":
        if switch_on(config.get("ALLOW_PRIVATE_STORES")):
            raise ConfigError("ALLOW_PRIVATE_STORES lets the service call loopback and private addresses: it is "
                              "for development and tests, and refused with APP_ENV=production")
        missing = [k for k in ("SECRET_KEY", "ENCRYPTION_KEYS", "REDIS_URL") if not config[k]]
        if missing:
            raise ConfigError("APP_ENV=production needs " + ", ".join(missing))
        return
    if switch_on(config.get("ALLOW_PRIVATE_STORES")):
        parse_endpoints(config["ALLOW_PRIVATE_STORES"])  # refuses what is neither "1" nor "ip:port" entries
    if not config["SECRET_KEY"]:
        config["SECRET_KEY"] = _instance_secret(instance, "secret_key", lambda: secrets.token_urlsafe(48))
    if not config["SHOPIFY_API_SECRET"]:  # the demo signs its deliveries with it (integration/demo.py)
        config["SHOPIFY_API_SECRET"] = _instance_secret(instance, "shopify_dev_secret", lambda: secrets.token_hex(32))
    if not config["ENCRYPTION_KEYS"]:
        config["ENCRYPTION_KEYS"] = _instance_secret(
            instance, "encryption_keys", lambda: Fernet.generate_key().decode()
        )


def build(instance: Path, overrides: Mapping[str, Any] | None) -> dict[str, Any]:
    config = from_environment(instance)
    config.update(overrides or {})
    fill_development_secrets(config, instance)
    config["MAX_CONTENT_LENGTH"] = config["MAX_WEBHOOK_BYTES"]
    return config
