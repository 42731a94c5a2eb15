"""Calls to a WooCommerce store's REST API, through the `woocommerce` package.

The package gives auth (HTTP Basic over HTTPS, OAuth 1.0a one-legged over plain HTTP) and URLs; this
module adds what it lacks (research/woocommerce.md §5): a real User-Agent, a longer timeout, retries on
429/5xx and network errors with backoff, and pagination by `X-WP-TotalPages`. It returns what it reads;
storing is the caller's business.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import requests
from woocommerce import API

from connectors.base import ConnectorError

log = logging.getLogger(__name__)

WC_API = "wc/v3"
#: Shipment Tracking's namespace; Advanced Shipment Tracking registers the same routes (research §3.3).
TRACKING_API = "wc-shipment-tracking/v3"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
PER_PAGE = 50
MAX_RETRY_AFTER = 10.0


class StoreUnreachable(ConnectorError):
    """The store did not answer (network error, timeout, or 429/5xx after the retries)."""


class StoreRefused(ConnectorError):
    """The store answered with an error that retrying will not change (401, 403, 404, ...)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"HTTP {status}: {detail}")
        self.status = status


@dataclass(frozen=True)
class StoreAccess:
    url: str
    consumer_key: str
    consumer_secret: str
    timeout: float = 30.0
    retries: int = 3
    backoff: float = 0.5
    user_agent: str = "Aftercare/1.0 (WooCommerce connector)"


def _api(access: StoreAccess, version: str) -> API:
    return API(url=access.url, consumer_key=access.consumer_key, consumer_secret=access.consumer_secret,
               version=version, timeout=access.timeout, user_agent=access.user_agent)


def _wait(response: requests.Response | None, attempt: int, access: StoreAccess) -> float:
    retry_after = response.headers.get("Retry-After") if response is not None else None
    if retry_after and retry_after.isdigit():
        return min(float(retry_after), MAX_RETRY_AFTER)
    return access.backoff * (2 ** attempt)


def _send(call: Callable[[], requests.Response], access: StoreAccess, what: str) -> requests.Response:
    """One call with retries on network errors and 429/5xx; StoreRefused on other errors."""
    for attempt in range(access.retries + 1):
        response: requests.Response | None = None
        try:
            response = call()
        except requests.RequestException as exc:
            problem = f"{type(exc).__name__}"
        else:
            if response.status_code < 400:
                return response
            if response.status_code not in RETRY_STATUSES:
                raise StoreRefused(response.status_code, _error_detail(response))
            problem = f"HTTP {response.status_code}"
        if attempt < access.retries:
            time.sleep(_wait(response, attempt, access))
    log.info("store %s: %s failed after %d tries: %s", access.url, what, access.retries + 1, problem)
    raise StoreUnreachable(f"{what}: {problem}")


def _error_detail(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.reason or "error"
    return str(body.get("message") or body.get("code") or "error") if isinstance(body, dict) else "error"


def _json(response: requests.Response, what: str) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise StoreUnreachable(f"{what}: the store did not answer JSON") from exc


def get(access: StoreAccess, endpoint: str, params: dict[str, Any] | None = None, version: str = WC_API) -> Any:
    api = _api(access, version)
    return _json(_send(lambda: api.get(endpoint, params=dict(params or {})), access, f"GET {endpoint}"),
                 f"GET {endpoint}")


def post(access: StoreAccess, endpoint: str, data: dict[str, Any], version: str = WC_API) -> Any:
    api = _api(access, version)
    return _json(_send(lambda: api.post(endpoint, data), access, f"POST {endpoint}"), f"POST {endpoint}")


def put(access: StoreAccess, endpoint: str, data: dict[str, Any]) -> Any:
    api = _api(access, WC_API)
    return _json(_send(lambda: api.put(endpoint, data), access, f"PUT {endpoint}"), f"PUT {endpoint}")


def delete(access: StoreAccess, endpoint: str, params: dict[str, Any] | None = None) -> None:
    api = _api(access, WC_API)
    _send(lambda: api.delete(endpoint, params=dict(params or {})), access, f"DELETE {endpoint}")


def pages(access: StoreAccess, endpoint: str, params: dict[str, Any], max_pages: int = 100) -> Iterator[list[Any]]:
    """Each page of a list endpoint, until `X-WP-TotalPages` (or an empty page) says it is the last."""
    api = _api(access, WC_API)
    for number in range(1, max_pages + 1):
        query = {**params, "per_page": params.get("per_page", PER_PAGE), "page": number}
        response = _send(lambda: api.get(endpoint, params=query), access, f"GET {endpoint} page {number}")
        items = _json(response, f"GET {endpoint}")
        if not isinstance(items, list):
            raise StoreUnreachable(f"GET {endpoint}: expected a list")
        yield items
        total = response.headers.get("X-WP-TotalPages", "")
        if not items or (total.isdigit() and number >= int(total)) or len(items) < query["per_page"]:
            return


def public_get(access: StoreAccess, path: str, params: dict[str, Any] | None = None) -> Any:
    """A public WordPress REST read (`/wp-json/...`), no keys needed."""
    url = access.url.rstrip("/") + "/wp-json/" + path.lstrip("/")
    headers = {"user-agent": access.user_agent, "accept": "application/json"}
    return _json(_send(lambda: requests.get(url, params=params, headers=headers, timeout=access.timeout),
                       access, f"GET /wp-json/{path}"), f"GET /wp-json/{path}")
