"""Flask CLI commands (DESIGN §4): db upgrade, worker, scheduler, shop add, admin-link."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from alembic import command
from alembic.config import Config as AlembicConfig
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from integration import workers
from integration.admin import demo as demo_shop
from integration.admin.home import LINK_MAX_AGE, signed_link
from integration.db.database import utcnow
from integration.db.models import Shop
from integration.runtime import crypto, extensions, outbound
from integration.woocommerce import admission as woo_admission
from integration.woocommerce import store as woo_store

db_cli = AppGroup("db", help="Database schema.")
shop_cli = AppGroup("shop", help="Shops.")
MIGRATIONS = Path(__file__).resolve().parent / "db" / "migrations"


def alembic_config(url: str) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["database_url"] = url
    return config


def upgrade_database(url: str) -> None:
    command.upgrade(alembic_config(url), "head")


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the schema; safe to run again."""
    upgrade_database(current_app.config["DATABASE_URL"])
    click.echo("database is at the latest schema")


@click.command("worker")
@with_appcontext
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
def worker(burst: bool) -> None:
    """Run an RQ worker for all of the app's queues, with RQ's scheduler for retries."""
    workers.run_worker(burst=burst)


@click.command("scheduler")
@with_appcontext
@click.option("--iterations", type=int, default=None, hidden=True)
def scheduler(iterations: int | None) -> None:
    """Run the periodic jobs (sweeper, delay detection, retention); a second scheduler is harmless."""
    workers.run_scheduler(iterations)


@shop_cli.group("add")
def shop_add() -> None:
    """Register a shop without the platform's install flow (development, tests, migrations)."""

@shop_add.command("shopify")
@click.argument("domain")
@click.option("--access-token", required=True, help="An Admin API access token for the shop.")
@click.option("--name", default=None, help="The shop's display name (defaults to the domain).")
def shop_add_shopify(domain: str, access_token: str, name: str | None) -> None:
    """Register a Shopify shop; prints its id."""
    domain = domain.strip().lower()
    token = crypto.encrypt(current_app.config["ENCRYPTION_KEYS"], access_token)
    with extensions.db().session() as session:
        shop = _shop(session, "shopify", domain, name or domain.split(".")[0])
        shop.access_token_encrypted, shop.status = token, "active"
        session.flush()
        click.echo(shop.id)


@shop_add.command("woocommerce")
@click.argument("url")
@click.option("--consumer-key", required=True, help="A REST API consumer key (ck_...) with read_write access.")
@click.option("--consumer-secret", required=True, help="Its consumer secret (cs_...).")
@click.option("--webhook-secret", default=None, help="The secret the store's webhooks are signed with "
                                                       "(generated when not given).")
@click.option("--name", default=None, help="The store's display name (defaults to its host).")
def shop_add_woocommerce(url: str, consumer_key: str, consumer_secret: str, webhook_secret: str | None,
                         name: str | None) -> None:
    """Register a WooCommerce store (the operator's own act: active at once); prints its id and webhook address."""

    _check_store_address(url)
    domain = woo_store.domain_of(url)
    with extensions.db().session() as session:
        shop = _shop(session, "woocommerce", domain, name or domain.split("/")[0])
        if webhook_secret:
            shop.webhook_secret_encrypted = crypto.encrypt(current_app.config["ENCRYPTION_KEYS"], webhook_secret)
        woo_store.store_keys(shop, consumer_key, consumer_secret, url)
        shop.status, shop.approved_at = "active", shop.approved_at or utcnow()
        session.flush()
        click.echo(shop.id)
        click.echo(woo_store.webhook_address(shop.id))


def _check_store_address(url: str) -> None:
    """A store the outbound rules refuse: an error in production, a note elsewhere (loopback for development)."""
    try:
        outbound.check_url(url)
    except outbound.OutboundRefusedError as exc:
        if current_app.config["APP_ENV"] == "production":
            raise click.ClickException(f"{url}: {exc.reason}") from None
        click.echo(f"note: {exc.reason}; calls to this store are refused unless ALLOW_PRIVATE_STORES allows it "
                   "(development only)", err=True)


@shop_cli.command("approve")
@click.argument("shop")
def shop_approve(shop: str) -> None:
    """Let a WooCommerce store that connected through the plugin start (id or domain)."""
    with extensions.db().session() as session:
        found = woo_admission.find_shop(session, shop)
        if found is None or found.status not in (woo_admission.PENDING, "active"):
            raise click.ClickException(f"no WooCommerce store {shop} waiting for approval")
        woo_admission.approve(found)
        shop_id, domain = found.id, found.domain
    woo_store.enqueue_setup(shop_id)
    click.echo(f"shop {shop_id} ({domain}) approved; its webhooks are being created")


@shop_cli.command("pending")
def shop_pending() -> None:
    """List the WooCommerce stores waiting for approval: id, domain, connected at."""
    with extensions.db().session() as session:
        for found in woo_admission.pending(session):
            click.echo(f"{found.id}\t{found.domain}\t{found.created_at:%Y-%m-%d %H:%M} UTC")


def _shop(session: Any, platform: str, domain: str, name: str) -> Shop:
    shop = session.scalar(select(Shop).where(Shop.platform == platform, Shop.domain == domain))
    if shop is None:
        shop = Shop(platform=platform, domain=domain, name=name)
        session.add(shop)
    return shop


@click.command("admin-link")
@with_appcontext
@click.argument("shop")
def admin_link(shop: str) -> None:
    """Print a short-lived signed link to the shop's admin (development and support)."""
    with extensions.db().session() as session:
        found = session.scalar(select(Shop).where(Shop.domain == shop.strip().lower()))
    if found is None:
        raise click.ClickException(f"no shop {shop}")
    click.echo(signed_link(found.id))
    click.echo(f"valid for {LINK_MAX_AGE // 60} minutes", err=True)


def _find_shop(session: Any, shop: str) -> Shop:
    """A shop by id or domain (the operator's commands)."""
    key = shop.strip().lower()
    found = session.get(Shop, int(key)) if key.isdigit() else session.scalar(select(Shop).where(Shop.domain == key))
    if found is None:
        raise click.ClickException(f"no shop {shop}")
    return found


@shop_cli.command("stop")
@click.argument("shop")
@click.option("--reason", default="stopped by the operator", help="What the merchant is told.")
def shop_stop(shop: str, reason: str) -> None:
    """Stop all sending for a shop at once (its messages are suppressed with the reason)."""
    with extensions.db().session() as session:
        found = _find_shop(session, shop)
        found.sending_stopped = reason[:200]
        click.echo(f"sending stopped for shop {found.id} ({found.domain})")


@shop_cli.command("resume")
@click.argument("shop")
def shop_resume(shop: str) -> None:
    """Let a stopped shop send again."""
    with extensions.db().session() as session:
        found = _find_shop(session, shop)
        found.sending_stopped = None
        click.echo(f"sending resumed for shop {found.id} ({found.domain})")


@shop_cli.command("cap")
@click.argument("shop")
@click.argument("per_day")
def shop_cap(shop: str, per_day: str) -> None:
    """Set the shop's daily sending cap (a number of messages), or `default` for the instance's quota."""
    if per_day != "default" and not per_day.isdigit():
        raise click.BadParameter("a number of messages per day, or `default`")
    with extensions.db().session() as session:
        found = _find_shop(session, shop)
        found.daily_send_cap = None if per_day == "default" else int(per_day)
        click.echo(f"shop {found.id}: daily cap {per_day}")


@click.command("demo")
@with_appcontext
@click.option("--setup", is_flag=True, help="Only create the demo shop (when no shop exists) and print its link.")
def demo(setup: bool) -> None:
    """Development only: a demo shop and a realistic order's life through the real intake and jobs."""
    try:
        shop_id = demo_shop.ensure_shop(only_if_none=setup)
        if shop_id is not None and not setup:
            click.echo(demo_shop.replay(shop_id))
    except demo_shop.DemoRefusedError as exc:
        raise click.ClickException(str(exc)) from exc
    if shop_id is not None:
        click.echo(f"demo shop admin (single use, ten minutes): {signed_link(shop_id)}")


def init_app(app: Flask) -> None:
    for group in (db_cli, shop_cli, worker, scheduler, admin_link, demo):
        app.cli.add_command(group)
