"""Durable work items: rows whose pending step lives in the database, leased while a job works on them.

A row is due when its status is pending and `next_attempt_at` has passed; a job takes a lease before
working on it, so two jobs for the same row never work at once; the sweeper re-enqueues due rows whose
lease has lapsed and whose job is not in flight in Redis.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from integration.db.database import utcnow
from integration.runtime import backoff, extensions

log = logging.getLogger(__name__)

IN_FLIGHT = frozenset({JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED, JobStatus.STARTED})


def take_lease(session: Session, model: Any, row_id: int, status: str, seconds: int,
               new_status: str | None = None, slack: float = 2.0) -> bool:
    """Atomically lease a due row in `status` (optionally moving it to `new_status`)."""
    now = utcnow()
    values: dict[str, Any] = {"lease_until": now + dt.timedelta(seconds=seconds)}
    if new_status:
        values["status"] = new_status
    result = session.execute(
        update(model)
        .where(model.id == row_id, model.status == status)
        .where(or_(model.lease_until.is_(None), model.lease_until < now))
        .where(or_(model.next_attempt_at.is_(None),
                   model.next_attempt_at <= now + dt.timedelta(seconds=slack)))
        .values(**values)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def job_in_flight(connection: Redis, job_id: str | None, lease_until: dt.datetime | None) -> bool:
    """Whether RQ still holds this job; a started job whose lease lapsed is presumed dead."""
    if not job_id:
        return False
    try:
        status = Job.fetch(job_id, connection=connection).get_status(refresh=False)
    except (NoSuchJobError, RedisError):
        return False
    if status == JobStatus.STARTED:
        return lease_until is not None and lease_until > utcnow()
    return status in IN_FLIGHT


def enqueue(queue: str, job: Callable[[int], object], row_id: int, *, job_id: str, seed: str,
            retries: int, backoff_base: float, timeout: int) -> bool:
    """Enqueue a job for a stored row, retrying on the row's precomputed schedule (`seed`).

    A Redis outage is logged, not raised: the row is in the database and the sweeper enqueues it.
    """
    try:
        extensions.queue(queue).enqueue(job, row_id, job_id=job_id, retry=backoff.rq_retry(seed, retries, backoff_base),
                                        job_timeout=timeout, result_ttl=300, failure_ttl=7 * 86400)
        return True
    except RedisError as exc:
        log.error("%s stored but not enqueued (%s); the sweeper will enqueue it", job_id, exc)
        return False
