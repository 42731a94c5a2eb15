"""The app factory."""
from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from integration import cli, health, limits
from integration.admin import (
    activity as admin_activity,
)
from integration.admin import (
    auth as admin_auth,
)
from integration.admin import (
    editor_sends,
)
from integration.admin import (
    home as admin,
)
from integration.admin import (
    messages as admin_messages,
)
from integration.admin import (
    outbox as admin_outbox,
)
from integration.admin import (
    settings as admin_settings,
)
from integration.plugin import connect as woo_connect
from integration.runtime import config, extensions, ids
from integration.shopper import feedback
from integration.storefront import widget as storefront
from webhooks import intake

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
    for blueprint in (intake.bp, health.bp, feedback.bp, admin.bp, admin_messages.bp, admin_activity.bp,
                      admin_settings.bp, admin_outbox.bp, editor_sends.bp, storefront.bp, woo_connect.bp):
        app.register_blueprint(blueprint)
    storefront.init_app(app)
    limits.init_app(app)


def _logging(app: Flask) -> None:
    level = os.environ.get("LOG_LEVEL", "INFO")
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
