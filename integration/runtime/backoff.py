"""Retry schedules: exponential backoff with jitter, precomputed so RQ and the database agree."""
from __future__ import annotations

import random

from rq import Retry


def intervals(seed: str, retries: int, base: float, cap: float = 3600.0) -> list[int]:
    """`retries` waits in seconds: base * 2**n, capped, each scaled by a jitter in [0.5, 1.5)."""
    rng = random.Random(seed)
    return [max(1, int(min(cap, base * 2**n) * (0.5 + rng.random()))) for n in range(retries)]


def rq_retry(seed: str, retries: int, base: float) -> Retry | None:
    """The RQ Retry for a job whose waits are `intervals(seed, ...)`; None when retries are off."""
    return Retry(max=retries, interval=intervals(seed, retries, base)) if retries > 0 else None


def wait_before(attempt: int, seed: str, retries: int, base: float) -> int | None:
    """Seconds to wait after failed attempt number `attempt` (1-based); None when none are left."""
    schedule = intervals(seed, retries, base)
    return schedule[attempt - 1] if attempt <= len(schedule) else None
