"""Calls to a WooCommerce store's REST API.

Auth is the `woocommerce` package's (HTTP Basic over HTTPS, its OAuth 1.0a one-legged signature over plain
HTTP, which only a development store gets); this module adds what the package lacks (research/woocommerce.md
§5): a real User-Agent, a longer timeout, retries on 429/5xx and network errors with backoff, and pagination
by `X-WP-TotalPages`. Every request goes through the session the caller hands over in `StoreAccess` (the
app's outbound client, which reaches public addresses only). Errors carry a short reason ("HTTP 401",
"timed out"), never the store's own text. It returns what it reads; storing is the caller's business.
"""
from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import requests
from requests.auth import HTTPBasicAuth
from woocommerce.oauth import OAuth

from connectors.base import ConnectorError

log = logging.getLogger(__name__)

WC_API = "wc/v3"
#: Shipment Tracking's namespace; Advanced Shipment Tracking registers the same routes (research §3.3).
TRACKING_API = "wc-shipment-tracking/v3"
#: the cheapest authenticated read (WC_REST_Data_Currencies_Controller::get_current_item, WooCommerce >= 3.5): one
#: option read under `manage_woocommerce` with read access, no outbound call (unlike `system_status`, which makes
#: the store call PayPal, woocommerce.com and wordpress.org); it proves the keys and tells the store's currency.
CURRENT_CURRENCY = "data/currencies/current"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
PER_PAGE = 50
MAX_RETRY_AFTER = 10.0


class StoreUnreachable(ConnectorError):
    """The store did not answer (network error, timeout, or 429/5xx after the retries)."""


class StoreRefused(ConnectorError):
    """The store answered with an error that retrying will not change (401, 403, 404, ...)."""

    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status


class StoreOffLimitsError(ConnectorError):
    """The call was not made or its answer not read: the address or the answer breaks the outbound rules
    (not public, not https, a port other than 443, too large, too many redirects); retrying will not help."""


#: network problems worth another try, and the words they are reported in (never the exception's text).
TRANSIENT_PROBLEMS: tuple[tuple[type[Exception], str], ...] = (
    (requests.exceptions.SSLError, "the TLS handshake or certificate check failed"),
    (requests.Timeout, "timed out"),
    (requests.ConnectionError, "could not connect"),
    (requests.exceptions.ChunkedEncodingError, "the answer was cut off"),
    (requests.exceptions.ContentDecodingError, "the answer could not be decoded"),
)


@dataclass(frozen=True)
class StoreAccess:
    url: str
    consumer_key: str
    consumer_secret: str
    #: the outbound client every request goes through.
    session: requests.Session
    timeout: float = 30.0
    retries: int = 3
    backoff: float = 0.5
    user_agent: str = "Aftercare/1.0 (WooCommerce connector)"


def _call(access: StoreAccess, method: str, endpoint: str, version: str, params: dict[str, Any] | None = None,
          data: Any = None) -> requests.Response:
    """One REST request as the `woocommerce` package builds it, sent through the access's session."""
    url = f"{access.url.rstrip('/')}/wp-json/{version}/{endpoint}"
    headers = {"user-agent": access.user_agent, "accept": "application/json"}
    body = None
    if data is not None:
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
        headers["content-type"] = "application/json;charset=utf-8"
    if url.startswith("https"):
        return access.session.request(method, url, params=params, data=body, headers=headers, timeout=access.timeout,
                                      auth=HTTPBasicAuth(access.consumer_key, access.consumer_secret))
    signed = OAuth(url=f"{url}?{urlencode(params or {})}", consumer_key=access.consumer_key,
                   consumer_secret=access.consumer_secret, version=version, method=method).get_oauth_url()
    return access.session.request(method, signed, data=body, headers=headers, timeout=access.timeout)


def _wait(response: requests.Response | None, attempt: int, access: StoreAccess) -> float:
    retry_after = response.headers.get("Retry-After") if response is not None else None
    if retry_after and retry_after.isdigit():
        return min(float(retry_after), MAX_RETRY_AFTER)
    return access.backoff * (2 ** attempt)


def _problem(exc: requests.RequestException) -> str | None:
    """The words for a network problem worth retrying; None for a refusal (the outbound rules)."""
    return next((words for kind, words in TRANSIENT_PROBLEMS if isinstance(exc, kind)), None)


def _refusal(exc: requests.RequestException) -> str:
    """The outbound client's reason for a refusal (its exceptions carry one), else a fixed phrase."""
    reason = getattr(exc, "reason", None)
    if isinstance(reason, str):
        return reason
    return "too many redirects" if isinstance(exc, requests.TooManyRedirects) else "the call could not be made"


def _send(call: Callable[[], requests.Response], access: StoreAccess, what: str) -> requests.Response:
    """One call with retries on network errors and 429/5xx; StoreRefused on other errors."""
    for attempt in range(access.retries + 1):
        response: requests.Response | None = None
        try:
            response = call()
        except requests.RequestException as exc:
            problem = _problem(exc)
            if problem is None:
                raise StoreOffLimitsError(f"{what}: {_refusal(exc)}") from None
        else:
            if response.status_code < 400:
                return response
            if response.status_code not in RETRY_STATUSES:
                raise StoreRefused(response.status_code)
            problem = f"HTTP {response.status_code}"
        if attempt < access.retries:
            time.sleep(_wait(response, attempt, access))
    log.info("store %s: %s failed after %d tries: %s", access.url, what, access.retries + 1, problem)
    raise StoreUnreachable(f"{what}: {problem}")


def _json(response: requests.Response, what: str) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise StoreUnreachable(f"{what}: the store did not answer JSON") from exc


def get(access: StoreAccess, endpoint: str, params: dict[str, Any] | None = None, version: str = WC_API) -> Any:
    call = lambda: _call(access, "GET", endpoint, version, dict(params or {}))  # noqa: E731
    return _json(_send(call, access, f"GET {endpoint}"), f"GET {endpoint}")


def post(access: StoreAccess, endpoint: str, data: dict[str, Any], version: str = WC_API) -> Any:
    call = lambda: _call(access, "POST", endpoint, version, data=data)  # noqa: E731
    return _json(_send(call, access, f"POST {endpoint}"), f"POST {endpoint}")


def put(access: StoreAccess, endpoint: str, data: dict[str, Any]) -> Any:
    call = lambda: _call(access, "PUT", endpoint, WC_API, data=data)  # noqa: E731
    return _json(_send(call, access, f"PUT {endpoint}"), f"PUT {endpoint}")


def delete(access: StoreAccess, endpoint: str, params: dict[str, Any] | None = None) -> None:
    _send(lambda: _call(access, "DELETE", endpoint, WC_API, dict(params or {})), access, f"DELETE {endpoint}")


def pages(access: StoreAccess, endpoint: str, params: dict[str, Any], max_pages: int = 100) -> Iterator[list[Any]]:
    """Each page of a list endpoint, until `X-WP-TotalPages` (or an empty page) says it is the last."""
    for number in range(1, max_pages + 1):
        query = {**params, "per_page": params.get("per_page", PER_PAGE), "page": number}
        response = _send(lambda: _call(access, "GET", endpoint, WC_API, query), access, f"GET {endpoint} page {number}")
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
    return _json(_send(lambda: access.session.get(url, params=params, headers=headers, timeout=access.timeout),
                       access, f"GET /wp-json/{path}"), f"GET /wp-json/{path}")


def public_text(access: StoreAccess, path: str, longest: int = 64 * 1024) -> str:
    """The start (`longest` bytes, as text) of a public page of the site below the store's address (a feed)."""
    url = access.url.rstrip("/") + "/" + path.lstrip("/")
    headers = {"user-agent": access.user_agent, "accept": "application/rss+xml, application/xml;q=0.9, */*;q=0.1"}
    response = _send(lambda: access.session.get(url, headers=headers, timeout=access.timeout), access, f"GET /{path}")
    return response.content[:longest].decode("utf-8", "replace")
