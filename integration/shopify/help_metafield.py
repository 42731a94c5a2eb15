"""The app-owned shop metafield that Shopify's thank-you and order-status extensions read, kept current.

Those extensions run on Shopify's extension origin and cannot use the app proxy (DESIGN.md §6), so
`sync_help_metafield(shop_id)` writes `help_content.metafield_value(shop)` as JSON to the shop metafield
`$app.help_blocks` with `metafieldsSet`. The owner id (the shop's GID) is read once with `{ shop { id } }`
and kept in Redis; so is a digest of the last value written, and an unchanged value is not written
again. The digest expires after a day, so a lost or deleted metafield is rewritten by the periodic run.

It runs when the settings are saved, when the shop's facts change, on install, and every six hours.
WooCommerce stores have nothing to sync: their plugin reads the help-links JSON endpoint.

Failures: a refused access token is recorded and the job ends (the merchant has to open the app again);
Shopify's `userErrors` are recorded and fail the job without retrying; network errors, 5xx, throttling
and refresh failures are recorded and raised, so RQ retries them on the precomputed jittered schedule.
"""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any

from redis.exceptions import RedisError
from rq import get_current_job
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from connectors import shopify_api, shopify_metafields
from connectors.base import ConnectorError
from integration.db.database import utcnow
from integration.db.models import Shop
from integration.help.content import metafield_value
from integration.runtime import backoff, extensions
from integration.shopify import tokens as shopify_tokens

log = logging.getLogger(__name__)

QUEUE = "aftercare-maintenance"
REDIS_PREFIX = "aftercare:help-metafield"
#: a written value is trusted this long; then the periodic run writes it again.
DIGEST_TTL = 86400
#: seconds between periodic runs (the backstop for a missed trigger).
PERIOD = 6 * 3600
#: shopifyapp / connector codes that are worth retrying.
TRANSIENT_CODES = frozenset({"network_error", "rate_limited", "throttled"})
#: codes that mean Shopify no longer accepts the token.
REVOKED_CODES = frozenset({"unauthorized"})
WAITING = frozenset({JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED})


class HelpMetafieldUnavailable(Exception):
    """Shopify could not be reached or asked to try later; RQ retries the job."""


class HelpMetafieldRejected(Exception):
    """Shopify refused the write (userErrors or a malformed answer); retrying will not help."""


def _key(shop_id: int, part: str) -> str:
    return f"{REDIS_PREFIX}:{shop_id}:{part}"


def last_error(shop_id: int) -> str | None:
    """What went wrong the last time the metafield could not be written, if it has not been since."""
    raw = extensions.redis().get(_key(shop_id, "error"))
    return raw.decode() if raw else None


def _record_error(shop_id: int, message: str) -> None:
    extensions.redis().set(_key(shop_id, "error"), f"{utcnow().isoformat()} {message}"[:500])
    log.warning("shop %s: help metafield not written: %s", shop_id, message)


def _record_written(shop_id: int, digest: str) -> None:
    connection = extensions.redis()
    connection.set(_key(shop_id, "digest"), digest, ex=DIGEST_TTL)
    connection.delete(_key(shop_id, "error"))


def forget(shop_id: int) -> None:
    """Forget what was written (a new install starts without the metafield)."""
    extensions.redis().delete(_key(shop_id, "digest"), _key(shop_id, "owner"))


# --- the job -------------------------------------------------------------------------------------

def _graphql(shop_id: int, domain: str, query: str, variables: dict[str, Any] | None,
             http_client: Any) -> dict[str, Any]:
    client = http_client or extensions.current_config().get("SHOPIFY_HTTP_CLIENT")
    token = shopify_tokens.access_token(extensions.db(), extensions.current_config(), shop_id, client)
    return shopify_api.graphql(domain, token, query, extensions.config("SHOPIFY_API_VERSION"),
                               variables=variables, http_client=client)


def _owner_id(shop_id: int, domain: str, http_client: Any) -> str:
    """The shop's GID: from Redis, else read once from the API and kept."""
    connection = extensions.redis()
    cached = connection.get(_key(shop_id, "owner"))
    if cached:
        return str(cached.decode())
    gid = shopify_metafields.shop_gid(_graphql(shop_id, domain, shopify_metafields.SHOP_ID_QUERY, None, http_client))
    connection.set(_key(shop_id, "owner"), gid)
    return gid


def _write(shop_id: int, domain: str, value: str, http_client: Any) -> str:
    owner = _owner_id(shop_id, domain, http_client)
    data = _graphql(shop_id, domain, shopify_metafields.METAFIELDS_SET,
                    shopify_metafields.set_variables(owner, value), http_client)
    return shopify_metafields.check_set(data)


def _no_retry() -> None:
    """Tell RQ not to retry the current job: what failed will fail the same way again."""
    job = get_current_job()
    if job is not None:
        job.retries_left = 0


def _transient(exc: Exception) -> bool:
    if isinstance(exc, shopify_tokens.TokenRefreshFailed):
        return True
    if isinstance(exc, shopify_metafields.MetafieldRejected):
        return exc.transient
    code = getattr(exc, "code", "")
    return code in TRANSIENT_CODES or code.startswith("http_error_5")


def _fail(shop_id: int, exc: Exception) -> str:
    """Record a failure; end quietly when access is gone, raise for RQ otherwise."""
    if isinstance(exc, shopify_tokens.TokenUnavailable) or getattr(exc, "code", "") in REVOKED_CODES:
        _record_error(shop_id, f"Shopify refused Aftercare's access: {exc}")
        return "unavailable"
    if _transient(exc):
        _record_error(shop_id, f"Shopify could not be reached, retrying: {exc}")
        raise HelpMetafieldUnavailable(str(exc)) from exc
    _record_error(shop_id, f"Shopify rejected the help links: {exc}")
    _no_retry()
    raise HelpMetafieldRejected(str(exc)) from exc


def _sync_shopify(shop_id: int, domain: str, value: str, http_client: Any) -> str:
    digest = hashlib.sha256(value.encode()).hexdigest()
    if extensions.redis().get(_key(shop_id, "digest")) == digest.encode():
        return "unchanged"
    try:
        metafield_id = _write(shop_id, domain, value, http_client)
    except (shopify_tokens.TokenUnavailable, shopify_tokens.TokenRefreshFailed, ConnectorError) as exc:
        return _fail(shop_id, exc)
    _record_written(shop_id, digest)
    log.info("shop %s: help metafield written (%s, %d bytes)", shop_id, metafield_id, len(value))
    return "written"


#: platform -> how its storefront extensions get the help blocks (absent: they fetch them themselves).
SYNCERS: dict[str, Callable[[int, str, str, Any], str]] = {"shopify": _sync_shopify}


def sync_help_metafield(shop_id: int, http_client: Any = None) -> str:
    """RQ job: write the shop's help blocks to its metafield, unless they are already there."""
    with extensions.db().session() as session:
        shop = session.get(Shop, shop_id)
        if shop is None or shop.status != "active":
            return "no active shop"
        syncer = SYNCERS.get(shop.platform)
        if syncer is None:
            return f"nothing to do for {shop.platform}"
        domain, value = shop.domain, shopify_metafields.encode(metafield_value(shop))
    return syncer(shop_id, domain, value, http_client)


# --- enqueueing ----------------------------------------------------------------------------------

def _waiting(job_id: str) -> bool:
    """Whether a job under this id has not started yet (it will read the newest settings)."""
    try:
        return Job.fetch(job_id, connection=extensions.redis()).get_status(refresh=False) in WAITING
    except NoSuchJobError:
        return False


def _clear_failed(job_id: str) -> None:
    """A failed run's job would block the id; its error stays recorded under the shop."""
    try:
        job = Job.fetch(job_id, connection=extensions.redis())
    except NoSuchJobError:
        return
    if job.get_status(refresh=False) in (JobStatus.FAILED, JobStatus.FINISHED, JobStatus.STOPPED):
        job.delete()


def _enqueue(shop_id: int, job_id: str) -> bool:
    cfg = extensions.config
    _clear_failed(job_id)
    extensions.queue(QUEUE).enqueue(
        sync_help_metafield, shop_id, job_id=job_id, unique=True, job_timeout=120, result_ttl=0,
        failure_ttl=7 * 86400, retry=backoff.rq_retry(f"h{shop_id}", cfg("SEND_RETRIES"), cfg("SEND_BACKOFF_BASE")))
    return True


def enqueue_sync(shop_id: int) -> bool:
    """Queue a sync for the shop: at most one waiting per shop, plus one behind a run in progress."""
    for job_id in (f"help-metafield-{shop_id}", f"help-metafield-{shop_id}-next"):
        try:
            return _enqueue(shop_id, job_id)
        except DuplicateJobError:
            if _waiting(job_id):
                return False
        except RedisError as exc:
            log.error("shop %s: help metafield sync not enqueued (%s); the periodic run will do it", shop_id, exc)
            return False
    return False


def resync(shop_id: int) -> bool:
    """After an install: forget what was written before, then write."""
    try:
        forget(shop_id)
    except RedisError as exc:
        log.error("shop %s: could not forget the help metafield digest (%s)", shop_id, exc)
    return enqueue_sync(shop_id)


def enqueue_after_commit(session: Session, shop_id: int) -> None:
    """Queue a sync once `session` commits, so the job reads what this transaction wrote."""
    event.listen(session, "after_commit", lambda _session: enqueue_sync(shop_id), once=True)


def sync_all() -> int:
    """Periodic backstop: a sync for every active Shopify shop the app can read."""
    with extensions.db().session() as session:
        ids = list(session.scalars(select(Shop.id).where(
            Shop.platform.in_(SYNCERS), Shop.status == "active", Shop.access_token_encrypted.is_not(None))))
    return sum(enqueue_sync(shop_id) for shop_id in ids)
