"""A shop's reconciliation cursor and the outcome of its last run, shared by every platform's reconciler."""
from __future__ import annotations

import datetime as dt

from integration.db.database import utcnow
from integration.db.models import Shop
from integration.runtime import extensions


def advance(shop_id: int, newest: dt.datetime | None) -> None:
    """Move the cursor to `newest` (never backwards)."""
    with extensions.db().session() as session:
        shop = session.get(Shop, shop_id)
        if newest and (shop.reconciled_until is None or newest > shop.reconciled_until):
            shop.reconciled_until = newest


def record(shop_id: int, error: str | None) -> None:
    """The last run's outcome: the error the merchant sees, or the time of a clean run."""
    with extensions.db().session() as session:
        shop = session.get(Shop, shop_id)
        shop.reconcile_error = error[:500] if error else None
        if error is None:
            shop.reconciled_at = utcnow()
