"""GET /healthz: 200 when the database and Redis answer."""
from __future__ import annotations

from flask import Blueprint
from flask.typing import ResponseReturnValue
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from integration.runtime import extensions

bp = Blueprint("health", __name__)


def _database() -> str:
    try:
        with extensions.db().session() as session:
            session.execute(text("SELECT 1"))
        return "ok"
    except SQLAlchemyError as exc:
        return f"error: {type(exc).__name__}"


def _redis() -> str:
    try:
        return "ok" if extensions.redis().ping() else "error: no pong"
    except (RedisError, OSError) as exc:
        return f"error: {type(exc).__name__}"


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    report = {"database": _database(), "redis": _redis()}
    healthy = all(v == "ok" for v in report.values())
    return report, 200 if healthy else 503
