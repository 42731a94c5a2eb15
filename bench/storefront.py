"""The storefront's budgets, each measured against a baseline in the same run, each printed PASS or FAIL.

    .venv/bin/python bench/storefront.py [--requests 4000] [--clients 8] [--loads 5]

1. The script's size, raw and gzipped, against the 2 KB (2,048 bytes gzipped) budget.
2. Help-links JSON requests per second: the app's endpoint against a bare Flask endpoint answering a fixed
   dict of the same size (bench/bare.py), both under the same gunicorn settings, the same concurrent client
   processes, two alternating rounds each; budget: at least 80 % of the bare rate.
3. In Chromium, the Dawn product fixture page with the widget (the theme app extension's app block and
   embed, data through the app-proxy stand-in) against the same page without it: cumulative layout shift
   (PerformanceObserver `layout-shift`, without recent input) and long tasks (`longtask`); budget: CLS under
   0.01 and no more long tasks than without the widget.

Exits 1 when a budget fails. The load generator shares the machine's cores: rates are lower bounds.
"""
from __future__ import annotations

import argparse
import gzip
import logging
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from bench.pipeline import gunicorn  # noqa: E402
from tests.e2e.stack import free_port, wait_for  # noqa: E402

SCRIPT_BUDGET = 2048
RATE_BUDGET = 0.80
CLS_BUDGET = 0.01
OBSERVER = """
window.__shift = 0; window.__longtasks = 0;
new PerformanceObserver(list => { for (const e of list.getEntries()) if (!e.hadRecentInput) window.__shift += e.value; })
  .observe({type: 'layout-shift', buffered: true});
new PerformanceObserver(list => { window.__longtasks += list.getEntries().length; })
  .observe({type: 'longtask', buffered: true});
"""


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


# --- 1. size --------------------------------------------------------------------------------------

def bench_size() -> bool:
    from integration.storefront.widget import SCRIPT

    raw = SCRIPT.read_bytes()
    packed = len(gzip.compress(raw, 9))
    ok = packed <= SCRIPT_BUDGET
    print(f"script size      {len(raw):6d} bytes raw, {packed:5d} gzipped   budget {SCRIPT_BUDGET}   "
          f"{packed / SCRIPT_BUDGET:.0%} of budget   {verdict(ok)}")
    return ok


# --- 2. requests per second -----------------------------------------------------------------------

def _load(url: str, count: int, out: Any) -> None:
    session = requests.Session()
    out.put(sum(session.get(url, timeout=10).status_code == 200 for _ in range(count)))


def hammer(url: str, total: int, clients: int) -> tuple[float, int]:
    queue: Any = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=_load, args=(url, total // clients, queue)) for _ in range(clients)]
    start = time.perf_counter()
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join()
    elapsed = time.perf_counter() - start
    return (total // clients * clients) / elapsed, sum(queue.get() for _ in procs)


def bench_rate(bare_url: str, app_url: str, total: int, clients: int) -> bool:
    hammer(bare_url, total // 4, clients)  # warm up both
    hammer(app_url, total // 4, clients)
    rates: dict[str, list[float]] = {"bare": [], "app": []}
    for _ in range(2):
        for name, url in (("bare", bare_url), ("app", app_url)):
            rate, ok = hammer(url, total, clients)
            assert ok == total // clients * clients, f"{name}: {ok} of {total} answered 200"
            rates[name].append(rate)
    bare, app = (sum(rates[n]) / 2 for n in ("bare", "app"))
    ok = app / bare >= RATE_BUDGET
    print(f"help-links req/s bare Flask {bare:7.0f}   aftercare {app:7.0f}   ratio {app / bare:.2f}   "
          f"budget {RATE_BUDGET:.2f}   {verdict(ok)}")
    return ok


# --- 3. layout shift and long tasks ---------------------------------------------------------------

def measure(browser: Any, url: str, with_widget: bool) -> tuple[float, int]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.add_init_script(OBSERVER)
    page.goto(url)
    if with_widget:
        page.wait_for_selector(".aftercare-help[data-aftercare-state='ready'] section")
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)
    shift, longtasks = page.evaluate("[window.__shift, window.__longtasks]")
    context.close()
    return shift, longtasks


def bench_layout(app_url: str, loads: int) -> bool:
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
    from tests.browser.storefront_site import StorefrontSite, dawn_page

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the stand-in shop's request lines
    site = StorefrontSite(app_url)
    script = requests.get(f"{app_url}/storefront/manifest.json", timeout=5).json()["script"]
    with_url = site.add("/products/with", dawn_page("dawn_product", script, "en", app_block=True))
    without_url = site.add("/products/without", dawn_page("dawn_product", None, "en"))
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            runs = {flag: [measure(browser, with_url if flag else without_url, flag) for _ in range(loads)]
                    for flag in (False, True)}
            browser.close()
    finally:
        site.close()
    cls = {flag: max(shift for shift, _ in runs[flag]) for flag in runs}
    tasks = {flag: sum(count for _, count in runs[flag]) for flag in runs}
    shift_ok, tasks_ok = cls[True] < CLS_BUDGET, tasks[True] <= tasks[False]
    print(f"Dawn product CLS without widget {cls[False]:.4f}   with widget {cls[True]:.4f} (worst of {loads})   "
          f"budget < {CLS_BUDGET}   {verdict(shift_ok)}")
    print(f"long tasks       without widget {tasks[False]:6d}   with widget {tasks[True]:6d} (over {loads} loads)   "
          f"no more with the widget   {verdict(tasks_ok)}")
    return shift_ok and tasks_ok


# --- setup ----------------------------------------------------------------------------------------

def prepare(workdir: Path, redis_url: str) -> dict[str, str]:
    """A migrated SQLite database with the test shop, and the environment the servers run with."""
    from integration.app import create_app
    from integration.cli import upgrade_database
    from tests.conftest import SECRET, SHOP_DOMAIN

    env = {**os.environ, "AFTERCARE_INSTANCE": str(workdir / "instance"), "DATABASE_URL": f"sqlite:///{workdir}/bench.db",
           "REDIS_URL": redis_url, "SHOPIFY_API_SECRET": SECRET, "SHOPIFY_API_KEY": "bench", "LOG_LEVEL": "ERROR"}
    os.environ.update({k: env[k] for k in ("AFTERCARE_INSTANCE", "LOG_LEVEL")})
    upgrade_database(env["DATABASE_URL"])
    app = create_app({"DATABASE_URL": env["DATABASE_URL"], "REDIS_URL": redis_url})
    result = app.test_cli_runner().invoke(args=["shop", "add", "shopify", SHOP_DOMAIN, "--access-token", "t"])
    assert result.exit_code == 0, result.output
    from integration.db.models import Shop

    with app.extensions["aftercare.db"].session() as session:
        session.query(Shop).update({"help_links": {k: f"https://acme.example/pages/{k}" for k in
                                                   ("shipping", "returns", "contact")},
                                    "storefront_facts": {"delivery_days_min": 3, "delivery_days_max": 5,
                                                         "shipping_cost": "$4.90", "free_shipping_over": "$50",
                                                         "return_days": 30, "reply_hours": 4}})
    env["SHOP_ID"] = result.output.strip()
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--loads", type=int, default=5)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/12")
    args = parser.parse_args()
    env = prepare(Path(tempfile.mkdtemp(prefix="aftercare-bench-storefront-")), args.redis_url)
    bare_port, app_port = free_port(), free_port()
    env["APP_URL"] = app_url = f"http://127.0.0.1:{app_port}"
    servers = [gunicorn("bench.bare:app", bare_port, env), gunicorn("wsgi:app", app_port, env)]
    try:
        bare_url, help_url = (f"http://127.0.0.1:{bare_port}/help-links",
                              f"{app_url}/storefront/shops/{env['SHOP_ID']}/help-links?page=product&locale=en")
        wait_for(lambda: _up(bare_url), 30, "bare app")
        wait_for(lambda: _up(help_url), 30, "aftercare")
        results = [bench_size(), bench_rate(bare_url, help_url, args.requests, args.clients),
                   bench_layout(app_url, args.loads)]
    finally:
        for server in servers:
            server.terminate()
            server.wait()
    sys.exit(0 if all(results) else 1)


def _up(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:
        return False


if __name__ == "__main__":
    main()
