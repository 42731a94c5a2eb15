"""CPU the app spends on unsigned webhook bodies: 9.8 MB JSON against a tiny body, measured in the same run.

    .venv/bin/python bench/hostile_intake.py [--requests 32] [--megabytes 9.8] [--redis-url URL]

Each request goes through the real app (the Flask test client, in this process, SQLite in a temporary
directory) with a wrong signature, to `POST /webhooks/shopify` and to `POST /webhooks/woocommerce/<id>`.
Prints the CPU milliseconds per request (process time) and the answers; asserts nothing. Before the
signature was checked first, shopifyapp parsed and re-serialised every Shopify body for its log.
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WRONG_MAC = base64.b64encode(b"\x00" * 32).decode()


def big_body(megabytes: float) -> bytes:
    """A JSON order whose line items make it `megabytes` long."""
    item = {"id": 866550311766439020, "title": "IPod Nano - 8GB", "quantity": 1, "sku": "IPOD2008PINK",
            "price": "199.00", "vendor": "Apple", "properties": [{"name": "engraving", "value": "x" * 40}]}
    one = len(json.dumps(item)) + 2
    items = [item] * int(megabytes * 1_000_000 / one)
    return json.dumps({"id": 820982911946154508, "name": "#1001", "line_items": items}).encode()


def _app(redis_url: str | None, workdir: str) -> Any:
    os.environ["AFTERCARE_INSTANCE"] = str(Path(workdir) / "instance")
    from integration.app import create_app
    from integration.cli import upgrade_database

    url = f"sqlite:///{workdir}/bench.db"
    upgrade_database(url)
    overrides = {"DATABASE_URL": url, "SHOPIFY_API_SECRET": "bench-secret", "SHOPIFY_API_KEY": "bench"}
    if redis_url:
        overrides["REDIS_URL"] = redis_url
    return create_app(overrides)


def _woo_store(app: Any) -> int:
    result = app.test_cli_runner().invoke(args=["shop", "add", "woocommerce", "https://store.example",
                                                "--consumer-key", "ck_b", "--consumer-secret", "cs_b",
                                                "--webhook-secret", "bench-woo-secret"])
    return int(result.stdout.split()[0])


def measure(client: Any, path: str, body: bytes, headers: dict[str, str], count: int) -> tuple[list[float], set[int]]:
    """CPU milliseconds of each request, and the statuses answered."""
    cpu, statuses = [], set()
    for _ in range(count):
        start = time.process_time()
        statuses.add(client.post(path, data=body, headers=headers).status_code)
        cpu.append((time.process_time() - start) * 1000)
    return cpu, statuses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=32)
    parser.add_argument("--megabytes", type=float, default=9.8)
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        app = _app(args.redis_url, workdir)
        client, woo_id = app.test_client(), _woo_store(app)
        big, tiny = big_body(args.megabytes), b'{"id": 1}'
        routes = {
            "shopify": ("/webhooks/shopify", {"X-Shopify-Topic": "orders/create", "X-Shopify-Hmac-Sha256": WRONG_MAC,
                                              "X-Shopify-Shop-Domain": "bench.myshopify.com",
                                              "Content-Type": "application/json"}),
            "woocommerce": (f"/webhooks/woocommerce/{woo_id}", {"X-WC-Webhook-Topic": "order.updated",
                                                                 "X-WC-Webhook-Signature": WRONG_MAC,
                                                                 "Content-Type": "application/json"}),
        }
        print(f"{args.requests} unsigned requests per row; big body {len(big) / 1e6:.1f} MB, tiny {len(tiny)} B")
        print(f"{'route':<12} {'body':<5} {'median ms':>10} {'max ms':>8} {'total s':>8}  answers")
        for name, (path, headers) in routes.items():
            for label, body in (("tiny", tiny), ("big", big)):
                cpu, statuses = measure(client, path, body, headers, args.requests)
                print(f"{name:<12} {label:<5} {statistics.median(cpu):>10.1f} {max(cpu):>8.1f} "
                      f"{sum(cpu) / 1000:>8.2f}  {sorted(statuses)}")
        app.extensions["aftercare.db"].dispose()


if __name__ == "__main__":
    main()
