"""A local HTTP server that answers Shopify's OAuth token endpoint, and the httpx transport that sends
shopifyapp's requests for https://{shop}.myshopify.com to it."""
from __future__ import annotations

import base64
import datetime as dt
import json
import re
import threading
import time
import uuid
from decimal import Decimal
from typing import Any

import httpx
import jwt

from tests.json_server import JsonServer


class FakeShopify:
    """Token exchange and refresh with rotation: an old refresh token stops working once rotated."""

    def __init__(self, client_secret: str) -> None:
        self.client_secret = client_secret
        self.valid_refresh = {"shprt_0"}
        self.issued = 0
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.delay = 0.0
        self.graphql_answers: list[tuple[int, dict[str, Any]]] = []
        self.orders: list[dict[str, Any]] = []
        self.revoked: set[str] = set()
        self.shop_gid = SHOP_GID
        self.metafields: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.metafield_definitions: dict[tuple[str, str], str] = {}
        self.http = JsonServer(self._handle)
        self.port = self.http.port

    def _handle(self, path: str, headers: Any, raw: bytes) -> tuple[int, dict[str, Any]]:
        body = json.loads(raw)
        body["access_token_header"] = headers.get("X-Shopify-Access-Token")
        return self.answer(path, headers.get("Host", ""), body)

    def _pair(self) -> dict[str, Any]:
        self.issued += 1
        refresh = f"shprt_{self.issued}"
        self.valid_refresh = {refresh}
        return {"access_token": f"shpat_{self.issued}", "scope": "read_orders,read_fulfillments",
                "expires_in": 3600, "refresh_token": refresh, "refresh_token_expires_in": 7776000}

    def answer(self, path: str, host: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        time.sleep(self.delay)
        with self.lock:
            self.requests.append({"host": host, "path": path, **body})
            if path.endswith("/graphql.json"):
                return self._graphql(body)
            if path != "/admin/oauth/access_token" or body.get("client_secret") != self.client_secret:
                return 401, {"error": "invalid_client"}
            if body.get("grant_type") == "refresh_token":
                if body.get("refresh_token") not in self.valid_refresh:
                    return 400, {"error": "invalid_grant", "error_description": "refresh token is not valid"}
                return 200, self._pair()
            if body.get("grant_type") == "urn:ietf:params:oauth:grant-type:token-exchange":
                return 200, self._pair()
            return 400, {"error": "unsupported_grant_type"}

    def _graphql(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Queued answers first (throttling, errors); then orders from `self.orders`."""
        if self.graphql_answers:
            return self.graphql_answers.pop(0)
        if body.get("access_token_header") in self.revoked:
            return 401, {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
        query, variables = body.get("query", ""), body.get("variables") or {}
        if "orders(" in query:
            return 200, orders_answer(self.orders, variables)
        if "order(id:" in query:
            return 200, order_answer(self.orders, variables)
        if "metafieldsSet(" in query:
            return 200, self._metafields_set(variables)
        if "shop { id }" in query:
            return 200, {"data": {"shop": {"id": self.shop_gid}}, "extensions": COST}
        return 500, {"errors": "no answer"}

    def _metafields_set(self, variables: dict[str, Any]) -> dict[str, Any]:
        """metafieldsSet as documented: atomic; non-null inputs checked by GraphQL, the rest as userErrors."""
        inputs = variables.get("metafields")
        invalid = variables_error(inputs)
        if invalid:
            return {"errors": [{"message": invalid, "extensions": {"code": "INVALID_VARIABLE"}}]}
        errors = [e for i, m in enumerate(inputs) for e in metafield_errors(i, m, self.shop_gid,
                                                                             self.metafield_definitions)]
        if len(inputs) > 25:
            errors.append({"field": ["metafields"], "message": "Exceeded the maximum metafields input limit of 25.",
                           "code": "LESS_THAN_OR_EQUAL_TO", "elementIndex": None})
        written = [] if errors else [self._store_metafield(m) for m in inputs]
        return {"data": {"metafieldsSet": {"metafields": written, "userErrors": errors}}, "extensions": COST}

    def _store_metafield(self, given: dict[str, Any]) -> dict[str, Any]:
        namespace = resolve_namespace(given.get("namespace"))
        key = (given["ownerId"], namespace, given["key"])
        stored = self.metafields.setdefault(key, {"id": f"gid://shopify/Metafield/{len(self.metafields) + 1}"})
        stored.update(type=given.get("type") or self.metafield_definitions[(namespace, given["key"])],
                      value=given["value"], writes=stored.get("writes", 0) + 1)
        return {"id": stored["id"], "namespace": namespace, "key": given["key"]}

    def metafield(self, namespace: str, key: str) -> dict[str, Any] | None:
        """What is stored on the shop under `namespace` (`$app` resolves) and `key`."""
        return self.metafields.get((self.shop_gid, resolve_namespace(namespace), key))

    def client(self) -> httpx.Client:
        return httpx.Client(transport=ToLocal(self.port))

    def close(self) -> None:
        self.http.close()


class ToLocal(httpx.HTTPTransport):
    """Sends every request to the local server, keeping the original host in the Host header."""

    def __init__(self, port: int) -> None:
        super().__init__()
        self.port = port

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(scheme="http", host="127.0.0.1", port=self.port)
        return super().handle_request(request)


def session_token(shop_domain: str, secret: str, client_id: str = "test-client-id") -> str:
    """A session token (App Bridge's id token) as Shopify signs it: HS256 with the app secret."""
    now = int(time.time())
    claims = {"iss": f"https://{shop_domain}/admin", "dest": f"https://{shop_domain}", "aud": client_id,
              "sub": "42", "exp": now + 60, "nbf": now - 5, "iat": now - 5, "jti": str(uuid.uuid4()),
              "sid": str(uuid.uuid4())}
    return jwt.encode(claims, secret, algorithm="HS256")


# --- the GraphQL Admin API's order pages -----------------------------------------------------------

def _money(money_set: dict[str, Any] | None) -> dict[str, Any] | None:
    """A REST `*_set` as a GraphQL MoneyBag (presentmentMoney { amount currencyCode })."""
    if not money_set:
        return None
    chosen = money_set["presentment_money"]
    return {"presentmentMoney": {"amount": str(chosen["amount"]), "currencyCode": chosen["currency_code"]}}


def _line_item(item: dict[str, Any]) -> dict[str, Any]:
    return {"id": item["admin_graphql_api_id"], "title": item["title"], "name": item["name"],
            "quantity": item["quantity"], "variantTitle": item["variant_title"], "sku": item["sku"],
            "requiresShipping": item["requires_shipping"], "originalUnitPriceSet": _money(item["price_set"])}


def _event(event: dict[str, Any]) -> dict[str, Any]:
    return {"id": event["admin_graphql_api_id"], "status": event["status"].upper(), "happenedAt": event["happened_at"],
            "message": event["message"], "estimatedDeliveryAt": event["estimated_delivery_at"],
            "city": event["city"], "province": event["province"], "country": event["country"]}


def _fulfillment(f: dict[str, Any], events: list[dict[str, Any]]) -> dict[str, Any]:
    tracking = [{"company": f["tracking_company"], "number": n, "url": u}
                for n, u in zip(f["tracking_numbers"], f["tracking_urls"])]
    return {"id": f["admin_graphql_api_id"], "legacyResourceId": str(f["id"]), "name": f["name"],
            "status": f["status"].upper(), "updatedAt": f["updated_at"], "estimatedDeliveryAt": None,
            "trackingInfo": tracking, "events": {"nodes": [_event(e) for e in reversed(events)]},
            "fulfillmentLineItems": {"nodes": [{"quantity": i["quantity"], "lineItem": _line_item(i)}
                                               for i in f["line_items"]]}}


def _refund(r: dict[str, Any], presentment_currency: str) -> dict[str, Any]:
    """Refund.totalRefundedSet: "the total amount across all transactions for the refund", whose presentmentMoney
    is in the order's presentment currency (refundCreate's documented answers); computed here from the REST refund's
    successful refund transactions, never from what the connector reads, so the two paths are compared for real."""
    paid_back = sum((Decimal(str(t["amount"])) for t in r["transactions"]
                     if t["kind"] == "refund" and t["status"] == "success"), Decimal("0.00"))
    return {"id": r.get("admin_graphql_api_id") or f"gid://shopify/Refund/{r['id']}", "legacyResourceId": str(r["id"]),
            "note": r["note"], "createdAt": r["created_at"],
            "totalRefundedSet": {"presentmentMoney": {"amount": str(paid_back), "currencyCode": presentment_currency}},
            "refundLineItems": {"nodes": [{"quantity": x["quantity"], "lineItem": _line_item(x["line_item"])}
                                          for x in r["refund_line_items"] if x.get("line_item")]}}


def order_node(order: dict[str, Any], fulfillments: list[tuple[dict[str, Any], list[dict[str, Any]]]] = (),
               refunds: list[dict[str, Any]] = ()) -> dict[str, Any]:
    """The GraphQL Admin API's Order for the same order as a webhook's REST payload (field names from
    the Admin GraphQL reference; enum values upper-cased, money as MoneyBag, ids as global ids)."""
    customer = order.get("customer") or {}
    return {
        "id": order["admin_graphql_api_id"], "legacyResourceId": str(order["id"]), "name": order["name"],
        "email": order["email"], "phone": order["phone"], "customerLocale": order["customer_locale"],
        "currencyCode": order["currency"], "presentmentCurrencyCode": order["presentment_currency"],
        "createdAt": order["created_at"], "updatedAt": order["updated_at"], "cancelledAt": order["cancelled_at"],
        "cancelReason": (order["cancel_reason"] or "").upper() or None,
        "displayFinancialStatus": (order["financial_status"] or "").upper() or None,
        "statusPageUrl": order["order_status_url"], "test": order["test"],
        "customer": {"firstName": customer.get("first_name"), "lastName": customer.get("last_name")},
        "shippingAddress": {"countryCodeV2": (order.get("shipping_address") or {}).get("country_code")},
        "subtotalPriceSet": _money(order["subtotal_price_set"]),
        "totalShippingPriceSet": _money(order["total_shipping_price_set"]),
        "totalTaxSet": _money(order["total_tax_set"]), "totalPriceSet": _money(order["total_price_set"]),
        "lineItems": {"nodes": [_line_item(i) for i in order["line_items"]]},
        "fulfillments": [_fulfillment(f, events) for f, events in fulfillments],
        "refunds": [_refund(r, order["presentment_currency"]) for r in refunds],
    }


COST = {"cost": {"requestedQueryCost": 800, "actualQueryCost": 120,
                 "throttleStatus": {"maximumAvailable": 2000.0, "currentlyAvailable": 1880, "restoreRate": 100.0}}}


def orders_answer(orders: list[dict[str, Any]], variables: dict[str, Any]) -> dict[str, Any]:
    """Answer ORDERS_QUERY like Shopify: filter on `updated_at:>='…'`, sort by updatedAt, page by cursor."""
    since = re.search(r"updated_at:>='([^']+)'", variables["query"])
    floor = _when(since.group(1)) if since else None
    matching = sorted((o for o in orders if floor is None or _when(o["updatedAt"]) >= floor),
                      key=lambda o: _when(o["updatedAt"]))
    start = int(base64.b64decode(variables["after"])) if variables.get("after") else 0
    page = matching[start:start + variables["first"]]
    end = start + len(page)
    return {"data": {"orders": {"pageInfo": {"hasNextPage": end < len(matching),
                                             "endCursor": base64.b64encode(str(end).encode()).decode()},
                                "nodes": page}}, "extensions": COST}


def order_answer(orders: list[dict[str, Any]], variables: dict[str, Any]) -> dict[str, Any]:
    found = next((o for o in orders if o["id"] == variables["id"]), None)
    return {"data": {"order": found}, "extensions": COST}


def _when(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


# --- the GraphQL Admin API's metafieldsSet ---------------------------------------------------------

#: the shop/update sample's shop, as a global id.
SHOP_GID = "gid://shopify/Shop/548380009"
#: the API client id that `$app` resolves to (app--{id}).
APP_ID = "1234567"
#: a subset of the documented metafield types, enough for the app's writes and for refusing others.
METAFIELD_TYPES = frozenset({"json", "single_line_text_field", "multi_line_text_field", "boolean",
                             "number_integer", "url"})
NAME = re.compile(r"^[A-Za-z0-9_-]+$")


def resolve_namespace(namespace: str | None) -> str:
    """`$app` -> app--{id}, `$app:x` -> app--{id}--x (omitted: the app-reserved namespace)."""
    if not namespace or namespace == "$app":
        return f"app--{APP_ID}"
    if namespace.startswith("$app:"):
        return f"app--{APP_ID}--{namespace[5:]}"
    return namespace


def variables_error(inputs: Any) -> str | None:
    """GraphQL's own check of [MetafieldsSetInput!]!: ownerId, key and value are non-null strings."""
    if not isinstance(inputs, list):
        return "Variable $metafields of type [MetafieldsSetInput!]! was provided invalid value"
    for index, given in enumerate(inputs):
        for name in ("ownerId", "key", "value"):
            if not isinstance(given, dict) or not isinstance(given.get(name), str):
                return (f"Variable $metafields of type [MetafieldsSetInput!]! was provided invalid value for "
                        f"{index}.{name} (Expected value to not be null)")
    return None


def _user_error(index: int, field: str, message: str, code: str) -> dict[str, Any]:
    return {"field": ["metafields", str(index), field], "message": message, "code": code, "elementIndex": index}


def _name_errors(index: int, field: str, value: str, low: int, high: int) -> list[dict[str, Any]]:
    if len(value) < low:
        return [_user_error(index, field, f"is too short (minimum is {low} characters)", "TOO_SHORT")]
    if len(value) > high:
        return [_user_error(index, field, f"is too long (maximum is {high} characters)", "TOO_LONG")]
    if not NAME.match(value):
        return [_user_error(index, field, "contains one or more invalid characters", "INVALID")]
    return []


def _type_errors(index: int, given: dict[str, Any], defined: str | None) -> list[dict[str, Any]]:
    kind = given.get("type")
    if not kind and not defined:
        return [_user_error(index, "type", "Type can't be blank", "BLANK")]
    if kind and kind not in METAFIELD_TYPES:
        return [_user_error(index, "type", "Type is not a supported type", "INVALID_TYPE")]
    if kind and defined and kind != defined:
        return [_user_error(index, "type", f"Type must be {defined} (as the definition says)", "INVALID_TYPE")]
    if (kind or defined) == "json":
        try:
            json.loads(given["value"])
        except ValueError:
            return [_user_error(index, "value", "Value is invalid JSON", "INVALID_VALUE")]
    return []


def metafield_errors(index: int, given: dict[str, Any], shop_gid: str,
                     definitions: dict[tuple[str, str], str]) -> list[dict[str, Any]]:
    """The userErrors of one MetafieldsSetInput (key 2-64, namespace 3-255 characters, type, value)."""
    errors = []
    if given["ownerId"] != shop_gid:
        errors.append(_user_error(index, "ownerId", "Owner does not exist", "INVALID"))
    namespace = given.get("namespace")
    if namespace and not namespace.startswith("$app"):
        errors += _name_errors(index, "namespace", namespace, 3, 255)
    errors += _name_errors(index, "key", given["key"], 2, 64)
    defined = definitions.get((resolve_namespace(namespace), given["key"]))
    return errors + _type_errors(index, given, defined)
