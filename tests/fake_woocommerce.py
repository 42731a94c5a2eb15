"""A local HTTP server that answers like a WooCommerce store's REST API (research/woocommerce.md §1.9, §4).

It checks the REST keys (HTTP Basic, or OAuth 1.0a's `oauth_consumer_key` over plain HTTP as the
`woocommerce` package sends it), pages lists with `X-WP-Total`/`X-WP-TotalPages`, filters orders by
`modified_after`, keeps webhooks (create pings the delivery URL unsigned, as WooCommerce does; DELETE needs
`force=true`), and signs deliveries exactly as `WC_Webhook::generate_signature` does: base64 HMAC-SHA256 of
the raw body, which `wp_json_encode` writes with `\\/` escapes. Like a site running the Aftercare plugin, it
answers `GET /wp-json/aftercare/v1/connect-proof?connect_id=…` with the proof it holds for that connection.
Like WordPress it serves an RSS feed (`/feed/`) whose channel states the site's language.

`grant_access` does what `WC_Auth` does when the merchant approves the key request: it posts the keys to the
callback URL and keeps that request open until the app answers (a store that serves one PHP request at a time
could answer nothing else meanwhile); every request the store receives while it is open is recorded in
`during_callback`, and a callback answered with anything but 200 deletes the keys, as WooCommerce does. With
`serial` set the store serves one request at a time, like a PHP store with one worker: a request that arrives
while the callback is open waits until it ends.

It listens on 127.0.0.1; `host` names it otherwise in its own URL (a test resolves that name to loopback).
"""
from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import re
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from tests.json_server import QuietServer

#: (url, headers, raw body) -> HTTP status; how the store reaches the app (a ping or a delivery).
Deliver = Callable[[str, dict[str, str], bytes], int]


def wp_json_encode(payload: Any) -> bytes:
    """Like WordPress's wp_json_encode: compact, with `/` escaped and non-ASCII as \\uXXXX."""
    return json.dumps(payload, separators=(",", ":")).replace("/", "\\/").encode()


def wc_signature(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


class FakeWooCommerce:
    def __init__(self, consumer_key: str = "ck_test_5f1e", consumer_secret: str = "cs_test_9a7b",
                 host: str = "127.0.0.1") -> None:
        self.consumer_key, self.consumer_secret = consumer_key, consumer_secret
        self.orders: dict[int, dict[str, Any]] = {}
        self.refunds: dict[int, list[dict[str, Any]]] = {}
        self.trackings: dict[int, list[dict[str, Any]]] | None = {}
        self.webhooks: dict[int, dict[str, Any]] = {}
        self.secrets: dict[int, str] = {}
        self.pings: list[tuple[str, int]] = []
        self.requests: list[tuple[str, str]] = []
        #: the requests the store received while its key callback was open (see grant_access).
        self.during_callback: list[tuple[str, str]] = []
        self.in_callback = False
        self.keys_deleted = False
        self.serial = False
        self._callback_over = threading.Event()
        self.failures: list[int] = []   # statuses to answer next, before answering normally
        self.down = False
        self.deliver: Deliver | None = None
        self.facts: dict[str, Any] = {"name": "Boutique Lumière", "timezone_string": "Europe/Paris",
                                      "language": "fr_FR", "currency": "EUR"}
        self.pages = {"refund_returns": "/refund_returns/", "privacy-policy": "/privacy-policy/"}
        #: connect_id -> the site proof the plugin keeps for it (what the proof route answers).
        self.proofs: dict[str, str] = {}
        #: path -> where it redirects (302), before anything else is answered.
        self.redirects: dict[str, str] = {}
        #: the text of the REST API's 401 (a test puts a secret in it: the app must not echo it).
        self.refusal_message = "Sorry, you cannot list resources."
        self.lock = threading.Lock()
        self.server = QuietServer(("127.0.0.1", 0), self._handler())
        self.port = int(self.server.server_address[1])
        self.url = f"http://{host}:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- what a test does to the store ---

    def put_order(self, order: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.orders[int(order["id"])] = copy.deepcopy(order)
        return order

    def send(self, topic: str, order: dict[str, Any]) -> int:
        """Deliver `topic` for `order` to every active webhook of that topic, signed; the app's status."""
        body = wp_json_encode(order if not topic.endswith(".deleted") else {"id": order["id"]})
        statuses = [self._deliver(hook, body) for hook in self.webhooks.values()
                    if hook["topic"] == topic and hook["status"] == "active"]
        assert statuses, f"no active webhook for {topic}"
        return statuses[-1]

    def _deliver(self, hook: dict[str, Any], body: bytes) -> int:
        resource, event = hook["topic"].split(".")
        headers = {"Content-Type": "application/json", "X-WC-Webhook-Source": f"{self.url}/",
                   "X-WC-Webhook-Topic": hook["topic"], "X-WC-Webhook-Resource": resource,
                   "X-WC-Webhook-Event": event, "X-WC-Webhook-ID": str(hook["id"]),
                   "X-WC-Webhook-Delivery-ID": hashlib.md5(body).hexdigest(),
                   "X-WC-Webhook-Signature": wc_signature(body, self.secrets[hook["id"]])}
        assert self.deliver is not None
        return self.deliver(hook["delivery_url"], headers, body)

    def grant_access(self, callback_url: str, connect_id: str, key_id: int = 1, **changes: Any) -> int:
        """The merchant approved: post the keys as `WC_Auth::post_consumer_data` does; the app's status."""
        body = {"key_id": key_id, "user_id": connect_id, "consumer_key": self.consumer_key,
                "consumer_secret": self.consumer_secret, "key_permissions": "read_write", **changes}
        assert self.deliver is not None
        self.in_callback = True
        self._callback_over.clear()
        try:
            status = self.deliver(callback_url, {"Content-Type": "application/json;charset=UTF-8"},
                                  wp_json_encode(body))
        finally:
            self.in_callback = False
            self._callback_over.set()
        if status != 200:  # "An error occurred in the request and at the time were unable to send the consumer data"
            self.keys_deleted = True
        return status

    def requested(self, path: str) -> int:
        """How many requests for `path` the store has received."""
        return [p for _, p in self.requests].count(path)

    # --- HTTP ---

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        store = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, reply, headers = store.answer(self.command, self.path, dict(self.headers), body)
                raw = isinstance(reply, bytes)
                payload = reply if raw else json.dumps(reply).encode()
                self.send_response(status)
                if not raw:
                    self.send_header("Content-Type", "application/json")
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = _serve  # noqa: N815

            def log_message(self, *args: Any) -> None:
                pass

        return Handler

    def _authorized(self, method: str, path: str, headers: dict[str, str], query: dict[str, list[str]]) -> bool:
        if self.keys_deleted:
            return False
        basic = headers.get("Authorization", "")
        if basic.startswith("Basic "):
            return base64.b64decode(basic[6:]).decode() == f"{self.consumer_key}:{self.consumer_secret}"
        return self._oauth_ok(method, path, {k: v[0] for k, v in query.items()})

    def _oauth_ok(self, method: str, path: str, params: dict[str, str]) -> bool:
        """OAuth 1.0a one-legged, as WC_REST_Authentication checks it over plain HTTP (research §4.1)."""
        given = params.pop("oauth_signature", "")
        if params.get("oauth_consumer_key") != self.consumer_key or not given:
            return False
        encode = lambda text: quote(unquote(text), safe="").replace("%", "%25")  # noqa: E731
        pairs = "%26".join(f"{encode(k)}%3D{encode(v)}" for k, v in sorted(params.items()))
        base = f"{method}&{quote(self.url + path, safe='')}&{pairs}"
        mac = hmac.new(f"{self.consumer_secret}&".encode(), base.encode(), hashlib.sha256).digest()
        return hmac.compare_digest(base64.b64encode(mac).decode(), given)

    def answer(self, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> tuple[int, Any, dict[str, str]]:
        parts = urlsplit(raw_path)
        path, query = parts.path, parse_qs(parts.query)
        with self.lock:
            self.requests.append((method, path))
            during = self.in_callback
            if during:
                self.during_callback.append((method, path))
        if during and self.serial:  # the one PHP worker is busy with the callback
            self._callback_over.wait(timeout=120)
        with self.lock:
            if path in self.redirects:
                return 302, {}, {"Location": self.redirects[path]}
            if self.down:
                return 503, {"code": "down", "message": "Service Unavailable"}, {}
            if self.failures:
                return self.failures.pop(0), {"code": "busy", "message": "try later"}, {"Retry-After": "0"}
        if path.startswith("/wp-json/wc") and not self._authorized(method, path, headers, query):
            return 401, {"code": "woocommerce_rest_cannot_view", "message": self.refusal_message,
                         "data": {"status": 401}}, {}
        for pattern, verb, route in self.ROUTES:
            found = re.fullmatch(pattern, path)
            if found and verb == method:
                return route(self, query, json.loads(body) if body and method in ("POST", "PUT") else {},
                             *found.groups())
        return 404, {"code": "rest_no_route", "message": "No route was found", "data": {"status": 404}}, {}

    # --- routes ---

    def _index(self, query: Any, body: Any) -> tuple[int, Any, dict[str, str]]:
        return 200, {"name": self.facts["name"], "url": self.url, "home": self.url,
                     "gmt_offset": "1", "timezone_string": self.facts["timezone_string"]}, {}

    def _connect_proof(self, query: Any, body: Any) -> tuple[int, Any, dict[str, str]]:
        connect_id = query.get("connect_id", [""])[0]
        if connect_id not in self.proofs:
            return 404, {"code": "aftercare_unknown_connection", "message": "No connection is pending here.",
                         "data": {"status": 404}}, {}
        return 200, {"connect_id": connect_id, "proof": self.proofs[connect_id]}, {}

    def _pages(self, query: Any, body: Any) -> tuple[int, Any, dict[str, str]]:
        slugs = query.get("slug", [""])[0].split(",")
        pages = [{"slug": s, "link": self.url + link if link.startswith("/") else link}
                 for s, link in self.pages.items() if s in slugs]
        return 200, pages, {}

    def _current_currency(self, query: Any, body: Any) -> tuple[int, Any, dict[str, str]]:
        return 200, {"code": self.facts["currency"], "name": "Euro", "symbol": "&euro;",
                     "_links": {"self": [{"href": f"{self.url}/wp-json/wc/v3/data/currencies/EUR"}]}}, {}

    def _feed(self, query: Any, body: Any) -> tuple[int, Any, dict[str, str]]:
        if self.facts["language"] is None:  # feeds switched off (a plugin can): WordPress answers 404
            return 404, {"code": "rest_no_route"}, {}
        language = self.facts["language"].replace("_", "-")
        feed = (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Shop</title>'
                f'<link>{self.url}</link><language>{language}</language></channel></rss>')
        return 200, feed.encode(), {"Content-Type": "application/rss+xml; charset=UTF-8"}

    def _status(self, query: Any, body: Any) -> tuple[int, Any, dict[str, str]]:
        return 200, {"environment": {"home_url": self.url, "language": self.facts["language"]},
                     "settings": {"currency": self.facts["currency"]}}, {}

    def _list(self, items: list[Any], query: dict[str, list[str]]) -> tuple[int, Any, dict[str, str]]:
        per_page, page = int(query.get("per_page", ["10"])[0]), int(query.get("page", ["1"])[0])
        pages = max(1, -(-len(items) // per_page))
        chunk = items[(page - 1) * per_page: page * per_page]
        return 200, chunk, {"X-WP-Total": str(len(items)), "X-WP-TotalPages": str(pages)}

    def _orders(self, query: Any, body: Any) -> tuple[int, Any, dict[str, str]]:
        after = query.get("modified_after", [""])[0]
        found = sorted((o for o in self.orders.values() if o["date_modified_gmt"] > after),
                       key=lambda o: o["date_modified_gmt"])
        return self._list(found, query)

    def _order(self, query: Any, body: Any, order_id: str) -> tuple[int, Any, dict[str, str]]:
        order = self.orders.get(int(order_id))
        if order is None:
            return 404, {"code": "woocommerce_rest_shop_order_invalid_id", "message": "Invalid ID."}, {}
        return 200, order, {}

    def _order_refunds(self, query: Any, body: Any, order_id: str) -> tuple[int, Any, dict[str, str]]:
        return 200, self.refunds.get(int(order_id), []), {}

    def _order_trackings(self, query: Any, body: Any, order_id: str) -> tuple[int, Any, dict[str, str]]:
        if self.trackings is None:  # the Shipment Tracking plugin is not installed
            return 404, {"code": "rest_no_route", "message": "No route was found"}, {}
        return 200, self.trackings.get(int(order_id), []), {}

    def _webhooks(self, query: Any, body: Any) -> tuple[int, Any, dict[str, str]]:
        status = query.get("status", ["all"])[0]
        hooks = [h for h in self.webhooks.values() if status == "all" or h["status"] == status]
        return self._list(hooks, query)

    def _create_webhook(self, query: Any, body: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        hook_id = 140 + len(self.webhooks) + 1
        hook = {"id": hook_id, "name": body.get("name", ""), "status": body.get("status", "active"),
                "topic": body["topic"], "resource": body["topic"].split(".")[0],
                "event": body["topic"].split(".")[1], "delivery_url": body["delivery_url"]}
        self.webhooks[hook_id], self.secrets[hook_id] = hook, body.get("secret") or "generated"
        if self.deliver is not None:  # WooCommerce pings on REST create and ignores the result
            self.pings.append((body["delivery_url"], self.deliver(
                body["delivery_url"], {"Content-Type": "application/x-www-form-urlencoded"},
                f"webhook_id={hook_id}".encode())))
        return 201, hook, {"Location": f"/wp-json/wc/v3/webhooks/{hook_id}"}

    def _update_webhook(self, query: Any, body: dict[str, Any], hook_id: str) -> tuple[int, Any, dict[str, str]]:
        hook = self.webhooks[int(hook_id)]
        hook.update({k: v for k, v in body.items() if k in ("status", "name", "delivery_url")})
        if "secret" in body:
            self.secrets[int(hook_id)] = body["secret"]
        return 200, hook, {}

    def _delete_webhook(self, query: Any, body: Any, hook_id: str) -> tuple[int, Any, dict[str, str]]:
        if query.get("force", [""])[0] != "true":
            return 501, {"code": "woocommerce_rest_trash_not_supported",
                         "message": "Webhooks do not support trashing."}, {}
        return 200, self.webhooks.pop(int(hook_id)), {}

    ROUTES: list[tuple[str, str, Callable[..., tuple[int, Any, dict[str, str]]]]] = [
        (r"/wp-json/?", "GET", _index),
        (r"/wp-json/wp/v2/pages", "GET", _pages),
        (r"/wp-json/aftercare/v1/connect-proof", "GET", _connect_proof),
        (r"/feed/", "GET", _feed),
        (r"/wp-json/wc/v3/data/currencies/current", "GET", _current_currency),
        (r"/wp-json/wc/v3/system_status", "GET", _status),
        (r"/wp-json/wc/v3/orders", "GET", _orders),
        (r"/wp-json/wc/v3/orders/(\d+)", "GET", _order),
        (r"/wp-json/wc/v3/orders/(\d+)/refunds", "GET", _order_refunds),
        (r"/wp-json/wc-shipment-tracking/v3/orders/(\d+)/shipment-trackings", "GET", _order_trackings),
        (r"/wp-json/wc/v3/webhooks", "GET", _webhooks),
        (r"/wp-json/wc/v3/webhooks", "POST", _create_webhook),
        (r"/wp-json/wc/v3/webhooks/(\d+)", "PUT", _update_webhook),
        (r"/wp-json/wc/v3/webhooks/(\d+)", "DELETE", _delete_webhook),
    ]
