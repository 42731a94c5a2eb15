"""Throughput of the pipeline, next to baselines measured in the same run on the same machine.

    .venv/bin/python bench/pipeline.py [--requests 3000] [--orders 300] [--database-url URL]

1. Webhook acknowledgements per second: signed `orders/create` deliveries POSTed to gunicorn serving
   the app (verify, store, commit, enqueue), against a bare Flask endpoint that only reads the body,
   under the same gunicorn settings and the same load generator.
2. Worker messages per second: orders taken from intake to a sent message (process_delivery, then
   send_notification per channel) by the app's worker class (RQ SimpleWorker) and by RQ's forking
   Worker, against a no-op RQ job on each worker class; then email through a real SMTP server
   (aiosmtpd) with SimpleWorker, which reuses one connection, against the forking Worker, which cannot.

Prints numbers and ratios; asserts nothing. The load generator shares the machine's cores.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from redis import Redis  # noqa: E402
from rq import Queue, SimpleWorker, Worker  # noqa: E402

from bench.bare import noop  # noqa: E402
from tests.conftest import SHOP_DOMAIN, encode, paid_order, shopify_headers  # noqa: E402
from tests.e2e.stack import SmtpSink, free_port, wait_for  # noqa: E402

BIN = ROOT / ".venv" / "bin"
SECRET = "bench-secret"


# --- 1. acknowledgements -------------------------------------------------------------------------

def _load(url: str, bodies: list[tuple[bytes, dict[str, str]]], out: Any) -> None:
    session = requests.Session()
    ok = 0
    for body, headers in bodies:
        ok += session.post(url, data=body, headers=headers, timeout=10).status_code == 200
    out.put(ok)


def hammer(url: str, bodies: list[tuple[bytes, dict[str, str]]], clients: int) -> tuple[float, int]:
    queue: Any = multiprocessing.Queue()
    chunks = [bodies[i::clients] for i in range(clients)]
    procs = [multiprocessing.Process(target=_load, args=(url, chunk, queue)) for chunk in chunks]
    start = time.perf_counter()
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    elapsed = time.perf_counter() - start
    return len(bodies) / elapsed, sum(queue.get() for _ in procs)


def gunicorn(app: str, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "2",
                             "--worker-class", "gthread", "--threads", "8", "--log-level", "warning", app],
                            cwd=ROOT, env=env)


def signed_bodies(n: int) -> list[tuple[bytes, dict[str, str]]]:
    out = []
    for i in range(n):
        body = encode(paid_order(id=900000000000000000 + i, name=f"#B{i}"))
        out.append((body, shopify_headers("orders/create", body, str(uuid.uuid4()), secret=SECRET)))
    return out


def bench_acks(env: dict[str, str], n: int, clients: int) -> None:
    bodies = signed_bodies(n)
    bare_port, app_port = free_port(), free_port()
    bare = gunicorn("bench.bare:app", bare_port, env)
    app = gunicorn("wsgi:app", app_port, env)
    try:
        wait_for(lambda: _up(f"http://127.0.0.1:{bare_port}/webhook"), 30, "bare app")
        wait_for(lambda: _up(f"http://127.0.0.1:{app_port}/healthz"), 30, "aftercare")
        hammer(f"http://127.0.0.1:{bare_port}/webhook", bodies[:200], clients)  # warm up
        bare_rate, bare_ok = hammer(f"http://127.0.0.1:{bare_port}/webhook", bodies, clients)
        app_rate, app_ok = hammer(f"http://127.0.0.1:{app_port}/webhooks/shopify", bodies, clients)
    finally:
        for proc in (bare, app):
            proc.terminate()
            proc.wait()
    print(f"webhook acks/s   bare Flask endpoint {bare_rate:8.0f}   ({bare_ok}/{n} 200)")
    print(f"webhook acks/s   aftercare intake    {app_rate:8.0f}   ({app_ok}/{n} 200)"
          f"   ratio {app_rate / bare_rate:.2f}")


def _up(url: str) -> bool:
    try:
        return requests.request("POST" if "webhook" in url else "GET", url, timeout=1).status_code < 500
    except requests.RequestException:
        return False


# --- 2. worker throughput ------------------------------------------------------------------------

def _drain(worker_class: type, queues: list[Queue], connection: Redis) -> float:
    start = time.perf_counter()
    worker_class(queues, connection=connection, log_job_description=False).work(burst=True, logging_level="ERROR")
    return time.perf_counter() - start


def bench_noop(connection: Redis, worker_class: type, jobs: int) -> float:
    queue = Queue("bench-noop", connection=connection)
    queue.empty()
    for _ in range(jobs):
        queue.enqueue(noop)
    return jobs / _drain(worker_class, [queue], connection)


def bench_pipeline(app: Any, worker_class: type, orders: int) -> tuple[float, int]:
    from integration.runtime import extensions
    from integration.db.models import Message

    client = app.test_client()
    for _ in range(orders):
        body = encode(paid_order(id=800000000000000000 + int(uuid.uuid4().int % 10**15), phone="+1 415 555 2671"))
        client.post("/webhooks/shopify", data=body, headers=shopify_headers("orders/create", body, secret=SECRET))
    with app.app_context():
        elapsed = _drain(worker_class, extensions.queues(), extensions.redis())
        with extensions.db().session() as session:
            sent = session.query(Message).filter(Message.status == "sent").count()
            session.query(Message).update({"status": "bench-done"})
    return sent / elapsed, sent


def make_app(database_url: str, redis_url: str, **extra: Any) -> Any:
    from integration.app import create_app
    from integration.cli import upgrade_database

    upgrade_database(database_url)
    app = create_app({"DATABASE_URL": database_url, "REDIS_URL": redis_url, "SHOPIFY_API_SECRET": SECRET,
                      "MAIL_FROM": "bench@acme.example", **extra})
    result = app.test_cli_runner().invoke(args=["shop", "add", "shopify", SHOP_DOMAIN, "--access-token", "t"])
    assert result.exit_code == 0, result.output
    from integration.db.models import Shop

    with app.extensions["aftercare.db"].session() as session:
        session.query(Shop).update({"quiet_hours_start": None, "quiet_hours_end": None})
    return app


def bench_workers(database_url: str, redis_url: str, orders: int) -> None:
    connection = Redis.from_url(redis_url)
    noop_simple = bench_noop(connection, SimpleWorker, orders * 3)
    noop_fork = bench_noop(connection, Worker, orders * 3)
    print(f"RQ no-op jobs/s          SimpleWorker {noop_simple:7.0f}   forking Worker {noop_fork:7.0f}")
    app = make_app(database_url, redis_url)
    rate_simple, sent = bench_pipeline(app, SimpleWorker, orders)
    rate_fork, _ = bench_pipeline(app, Worker, orders)
    print(f"messages/s (outbox)      SimpleWorker {rate_simple:7.0f}   forking Worker {rate_fork:7.0f}"
          f"   ({sent} messages; 3 jobs per order)")
    print(f"   ratio to no-op jobs/s SimpleWorker {rate_simple / noop_simple:7.2f}   forking Worker "
          f"{rate_fork / noop_fork:7.2f}")
    bench_smtp(database_url, redis_url, orders)


def bench_smtp(database_url: str, redis_url: str, orders: int) -> None:
    from notifications import channels

    sink = SmtpSink()
    sink.controller.start()
    try:
        app = make_app(database_url, redis_url, SMTP_URL=f"smtp://127.0.0.1:{sink.port}", EMAIL_BACKEND="smtp")
        channels.reset_senders()
        rate_simple, _ = bench_pipeline(app, SimpleWorker, orders)
        opened = sum(s.connections_opened for s in channels._senders.values()
                     if isinstance(s, channels.SmtpSender))
        rate_fork, _ = bench_pipeline(app, Worker, orders)
    finally:
        sink.controller.stop()
    print(f"messages/s (SMTP email)  SimpleWorker {rate_simple:7.0f}   forking Worker {rate_fork:7.0f}"
          f"   ratio {rate_simple / rate_fork:.2f}; SimpleWorker opened {opened} SMTP connection(s) "
          f"for {orders} emails, the forking Worker one per email")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/12")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="aftercare-bench-"))
    os.environ["AFTERCARE_INSTANCE"] = str(workdir / "instance")
    os.environ["LOG_LEVEL"] = "ERROR"
    Redis.from_url(args.redis_url).flushdb()
    database_url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    make_app(database_url, args.redis_url)
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": args.redis_url, "SHOPIFY_API_SECRET": SECRET,
           "FLASK_APP": "wsgi.py"}
    print(f"database {database_url.split(':')[0]}, redis {args.redis_url}, {os.cpu_count()} cores\n")
    bench_acks(env, args.requests, args.clients)
    Redis.from_url(args.redis_url).flushdb()
    bench_workers(f"sqlite:///{workdir / 'workers.db'}" if not args.database_url else database_url,
                  args.redis_url, args.orders)


if __name__ == "__main__":
    main()
