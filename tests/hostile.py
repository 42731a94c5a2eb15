"""Helpers for the hostile-input tests: a WooCommerce store added by the operator, signed WooCommerce
deliveries, and running every stored delivery until it ends."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import uuid
from typing import Any

from sqlalchemy import select

from integration.db.models import Delivery

WOO_SECRET = "woo-webhook-secret-5b0e7d29c4a1"
#: nothing listens on port 9 of loopback: a REST read the pipeline tries fails at once.
WOO_STORE_URL = "http://127.0.0.1:9"
FINAL = frozenset({"done", "ignored", "failed"})


def add_woo_store(app: Any) -> int:
    """A WooCommerce store registered by the operator (`flask shop add woocommerce`), webhook secret known."""
    result = app.test_cli_runner().invoke(args=[
        "shop", "add", "woocommerce", WOO_STORE_URL, "--consumer-key", "ck_hostile", "--consumer-secret",
        "cs_hostile", "--webhook-secret", WOO_SECRET, "--name", "Hostile Test Store"])
    assert result.exit_code == 0, result.output
    shop_id = int(result.stdout.split()[0])
    from integration.db.models import Shop

    with app.extensions["aftercare.db"].session() as session:
        shop = session.get(Shop, shop_id)
        shop.quiet_hours_start = shop.quiet_hours_end = None
        shop.created_at = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=30)
    return shop_id


def woo_sign(body: bytes, secret: str = WOO_SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def woo_headers(body: bytes, topic: str = "order.updated", signature: str | None = None) -> dict[str, str]:
    return {"X-WC-Webhook-Topic": topic, "X-WC-Webhook-Resource": "order", "X-WC-Webhook-Event": "updated",
            "X-WC-Webhook-Signature": woo_sign(body) if signature is None else signature,
            "X-WC-Webhook-ID": "41", "X-WC-Webhook-Delivery-ID": uuid.uuid4().hex,
            "X-WC-Webhook-Source": WOO_STORE_URL + "/", "Content-Type": "application/json"}


def run_until_final(app: Any, rounds: int = 12) -> list[Delivery]:
    """Run every pending delivery again as soon as it is due, as RQ's retries and the sweeper would, until
    none is pending or `rounds` passes went by; the deliveries as stored then."""
    from integration.db.database import utcnow
    from webhooks.jobs import DeliveryAttemptError, process_delivery

    database = app.extensions["aftercare.db"]
    for _ in range(rounds):
        with database.session() as session:
            pending = list(session.scalars(select(Delivery).where(Delivery.status == "pending")))
            for row in pending:  # time passes: the retry is due now
                row.next_attempt_at, row.lease_until = utcnow() - dt.timedelta(seconds=1), None
        if not pending:
            break
        with app.app_context():
            for row in pending:
                try:
                    process_delivery(row.id)
                except DeliveryAttemptError:
                    pass
                except Exception as exc:  # noqa: BLE001 - a parent wait raises for RQ too
                    if type(exc).__name__ != "MissingParent":
                        raise
    with database.session() as session:
        return list(session.scalars(select(Delivery).order_by(Delivery.id)))
