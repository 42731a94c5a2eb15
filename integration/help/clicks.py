"""Clicks on storefront help links, counted per shop, day, page type and link: no cookies, no shopper data."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from integration.db.database import utcnow
from integration.db.models import HelpClick

REPORT_DAYS = 30


def _upsert(session: Session) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def count_click(session: Session, shop_id: int, page: str, link_id: str) -> None:
    """One more click today: one atomic upsert, so concurrent clicks are all counted."""
    insert = _upsert(session)
    statement = insert(HelpClick).values(shop_id=shop_id, page=page, link_id=link_id, day=utcnow().date(), clicks=1)
    session.execute(statement.on_conflict_do_update(
        index_elements=["shop_id", "day", "page", "link_id"], set_={"clicks": HelpClick.clicks + 1}))


def clicks_by_link(session: Session, shop_id: int, days: int = REPORT_DAYS) -> dict[tuple[str, str], int]:
    """Clicks of the last `days` days (today included) per (page type, link id)."""
    since = utcnow().date() - dt.timedelta(days=days - 1)
    rows = session.execute(select(HelpClick.page, HelpClick.link_id, func.sum(HelpClick.clicks))
                           .where(HelpClick.shop_id == shop_id, HelpClick.day >= since)
                           .group_by(HelpClick.page, HelpClick.link_id))
    return {(page, link_id): int(total) for page, link_id, total in rows}
