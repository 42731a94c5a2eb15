"""The app's resources (database, Redis, queues), each with its init_app, and accessors for them."""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app
from redis import Redis
from rq import Queue

from integration.db.database import Database
from integration.runtime import embedded_redis

log = logging.getLogger(__name__)

#: Queue names, in the order a worker takes them: intake first so acknowledgements never wait on sends.
QUEUE_NAMES = ("aftercare-intake", "aftercare-send", "aftercare-maintenance")


def init_db(app: Flask) -> None:
    app.extensions["aftercare.db"] = Database(app.config["DATABASE_URL"])


def init_redis(app: Flask) -> None:
    """Connections are made on first use; the embedded server is started then, not at import."""
    app.extensions["aftercare.redis"] = None


def _connect(app: Flask) -> Redis:
    url = app.config["REDIS_URL"] or embedded_redis.ensure_running(app.instance_path)
    app.config["REDIS_URL"] = url
    connection = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=10, health_check_interval=30)
    app.extensions["aftercare.queues"] = {n: Queue(n, connection=connection) for n in QUEUE_NAMES}
    app.extensions["aftercare.redis"] = connection
    return connection


def init_app(app: Flask) -> None:
    init_db(app)
    init_redis(app)


def db() -> Database:
    return current_app.extensions["aftercare.db"]  # type: ignore[no-any-return]


def redis() -> Redis:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    return app.extensions["aftercare.redis"] or _connect(app)  # type: ignore[no-any-return]


def queue(name: str) -> Queue:
    redis()
    return current_app.extensions["aftercare.queues"][name]  # type: ignore[no-any-return]


def queues() -> list[Queue]:
    redis()
    return [current_app.extensions["aftercare.queues"][n] for n in QUEUE_NAMES]


def config(key: str) -> Any:
    return current_app.config[key]


def current_config() -> Any:
    """The whole app config (for code that reads several keys)."""
    return current_app.config
