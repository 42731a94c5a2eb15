"""The app factory."""
from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from integration import admin_auth, cli, health, limits
from integration.runtime import config, extensions, ids

ROOT = Path(__file__).resolve().parent.parent


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: config from the environment, `overrides` on top (tests)."""
    instance = Path(os.environ.get("AFTERCARE_INSTANCE", ROOT / "instance"))
    app = Flask("aftercare", instance_path=str(instance), template_folder=str(ROOT / "templates"),
                root_path=str(ROOT))
    app.url_map.converters["int"] = ids.Int64Converter  # ids past 64 bits: 404, not a database error
    instance.mkdir(parents=True, exist_ok=True)
    app.config.update(config.build(instance, overrides))
    _logging(app)
    extensions.init_app(app)
    admin_auth.init_app(app)
    _blueprints(app)
    cli.init_app(app)
    return app


def _blueprints(app: Flask) -> None:
    from integration import (admin, admin_activity, admin_messages, admin_outbox, admin_settings, editor_sends,
                             feedback, storefront, woo_connect)
    from webhooks import intake

    for blueprint in (intake.bp, health.bp, feedback.bp, admin.bp, admin_messages.bp, admin_activity.bp,
                      admin_settings.bp, admin_outbox.bp, editor_sends.bp, storefront.bp, woo_connect.bp):
        app.register_blueprint(blueprint)
    storefront.init_app(app)
    limits.init_app(app)


def _logging(app: Flask) -> None:
    level = os.environ.get("LOG_LEVEL", "INFO")
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
