"""The worker and the scheduler loop.

Worker class, chosen on purpose: RQ's SimpleWorker runs jobs in the worker process, so one SMTP
connection and one database pool serve many messages (bench/pipeline.py measures it against the
forking Worker). Its caveat, no heartbeat while a job runs, is bounded by short job timeouts (50 s),
and correctness never rests on RQ noticing a dead job: every pending step has a lease in the database
that the sweeper checks every SCHEDULER_INTERVAL seconds.
"""
from __future__ import annotations

import logging
import time

from flask import current_app
from rq import SimpleWorker
from rq.exceptions import DuplicateJobError

from integration import maintenance
from integration.runtime import extensions
from integration.shopify import help_metafield
from integration.shops import platforms

log = logging.getLogger(__name__)
MAINTENANCE = "aftercare-maintenance"


class AftercareWorker(SimpleWorker):
    """SimpleWorker with short TTLs so a dead worker's jobs are cleaned up within about a minute."""


def run_worker(burst: bool = False) -> None:
    worker = AftercareWorker(extensions.queues(), connection=extensions.redis(), worker_ttl=30,
                             maintenance_interval=15, job_monitoring_interval=10)
    log.info("worker %s listening on %s", worker.name, ", ".join(q.name for q in worker.queues))
    worker.work(burst=burst, with_scheduler=True, logging_level="WARNING")


#: periodic job -> (seconds between runs, or the config key that holds them; function)
PERIODIC = {
    "sweep": ("SCHEDULER_INTERVAL", maintenance.sweep),
    "reconcile": ("RECONCILE_INTERVAL", platforms.reconcile_all),
    "delays": (900, maintenance.detect_delays),
    "retention": (3600, maintenance.prune),
    "shop-facts": (86400, platforms.refresh_all),
    "help-metafield": (help_metafield.PERIOD, help_metafield.sync_all),
}


def enqueue_periodic(now: float | None = None) -> list[str]:
    """Enqueue each periodic job under a job id per period: a second scheduler is harmless."""
    now = now or time.time()
    queue = extensions.queue(MAINTENANCE)
    enqueued = []
    for name, (every, function) in PERIODIC.items():
        period = every if isinstance(every, int) else current_app.config[every]
        job_id = f"{name}-{int(now // period)}"
        try:
            queue.enqueue(function, job_id=job_id, unique=True, result_ttl=period * 2, job_timeout=300)
            enqueued.append(job_id)
        except DuplicateJobError:
            pass
    return enqueued


def run_scheduler(iterations: int | None = None) -> None:
    interval = current_app.config["SCHEDULER_INTERVAL"]
    log.info("scheduler: sweeping every %ss", interval)
    count = 0
    while iterations is None or count < iterations:
        try:
            enqueue_periodic()
        except Exception:  # noqa: BLE001 - a Redis outage must not stop the scheduler
            log.exception("scheduler: could not enqueue periodic jobs; trying again")
        count += 1
        if iterations is None or count < iterations:
            time.sleep(interval)
