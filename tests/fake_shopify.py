"""A local HTTP server that answers Shopify's OAuth token endpoint, and the httpx transport that sends
shopifyapp's requests for https://{shop}.myshopify.com to it."""
from __future__ import annotations

import json
import threading
import time
import uuid
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
                return self.graphql_answers.pop(0) if self.graphql_answers else (500, {"errors": "no answer"})
            if path != "/admin/oauth/access_token" or body.get("client_secret") != self.client_secret:
                return 401, {"error": "invalid_client"}
            if body.get("grant_type") == "refresh_token":
                if body.get("refresh_token") not in self.valid_refresh:
                    return 400, {"error": "invalid_grant", "error_description": "refresh token is not valid"}
                return 200, self._pair()
            if body.get("grant_type") == "urn:ietf:params:oauth:grant-type:token-exchange":
                return 200, self._pair()
            return 400, {"error": "unsupported_grant_type"}

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
