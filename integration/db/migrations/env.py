"""Alembic environment: the URL comes from the app's config (flask db upgrade)."""
from __future__ import annotations

from alembic import context

from integration.db import models  # noqa: F401 - registers the tables
from integration.db.database import Base, make_engine

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    url = config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url")
    engine = make_engine(url)
    with engine.begin() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=engine.dialect.name == "sqlite")
        context.run_migrations()
    engine.dispose()


run_migrations()
