"""A stand-in shop origin for the storefront browser tests, on its own port (so the app is cross-origin).

It serves the fixture pages of storefront_pages/ (Shopify's Dawn and WooCommerce's Storefront markup, see the
README there) with the script and containers filled in as the app embed / app block and the WordPress plugin
output them, and forwards `/apps/aftercare/<path>` to the app's `/storefront/proxy/<path>` the way Shopify's
app proxy does: the `shop`, `path_prefix`, `timestamp` and `logged_in_customer_id` added and signed, cookies
dropped. Any other path answers a plain page (where a help link leads).
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import requests
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from tests.conftest import SECRET, SHOP_DOMAIN, proxy_params

PAGES = Path(__file__).parent / "storefront_pages"
PROXY_PREFIX = "/apps/aftercare/"
MIN_HEIGHT = {"woocommerce": "min-height:7.5rem", "shopify": "min-height:8em"}


def shopify_embed(script_url: str, locale: str) -> str:
    """What the theme app extension's app embed block outputs (extensions/aftercare-theme/blocks/app-embed.liquid)."""
    return (f'<script src="{script_url}" async data-aftercare-endpoint="/apps/aftercare/help-links" '
            f'data-aftercare-locale="{locale}"></script>')


def shopify_app_block(page: str, locale: str) -> str:
    """What the app block outputs (extensions/aftercare-theme/blocks/help-links.liquid)."""
    return (f'<div class="aftercare-help" data-aftercare-page="{page}" data-aftercare-endpoint="/apps/aftercare/help-links" '
            f'data-aftercare-locale="{locale}" style="{MIN_HEIGHT["shopify"]}"></div>')


def woo_container(app_url: str, shop_id: int, page: str, locale: str) -> str:
    """The WordPress plugin's container (the fixed contract)."""
    return (f'<div class="aftercare-help" data-aftercare-page="{page}" '
            f'data-aftercare-endpoint="{app_url}/storefront/shops/{shop_id}/help-links" '
            f'data-aftercare-locale="{locale}" style="{MIN_HEIGHT["woocommerce"]}"></div>')


def woo_page(name: str, app_url: str, script_url: str, shop_id: int, locale: str = "en_US",
             container: bool = True) -> str:
    html = (PAGES / f"{name}.html").read_text()
    html = html.replace("%%HEAD%%", (PAGES / "_storefront_head.html").read_text())
    html = html.replace("%%LANG_HTML%%", locale.replace("_", "-"))
    html = html.replace("%%SCRIPT%%", f'<script src="{script_url}" id="aftercare-help-js" async></script>')
    for page in ("product", "cart", "thank_you"):
        html = html.replace(f"%%CONTAINER:{page}%%", woo_container(app_url, shop_id, page, locale) if container else "")
    return html


def dawn_page(name: str, script_url: str | None, locale: str = "en", app_block: bool = False) -> str:
    html = (PAGES / f"{name}.html").read_text().replace("%%LANG%%", locale)
    html = html.replace("%%APP_BLOCK%%", shopify_app_block("product", locale) if app_block else "")
    return html.replace("%%EMBED%%", shopify_embed(script_url, locale) if script_url else "")


class StorefrontSite:
    """Serves registered pages on 127.0.0.1 and proxies /apps/aftercare/ to the app."""

    def __init__(self, app_url: str, secret: str = SECRET, domain: str = SHOP_DOMAIN) -> None:
        self.app_url, self.secret, self.domain = app_url, secret, domain
        self.pages: dict[str, str] = {}
        self.proxied: list[str] = []
        self.server = make_server("127.0.0.1", 0, self.wsgi, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="storefront-site", daemon=True)
        self.thread.start()

    def add(self, path: str, html: str) -> str:
        self.pages[path] = html
        return self.url + path

    def wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        if request.path.startswith(PROXY_PREFIX):
            response = self.forward(request)
        elif request.path == "/favicon.ico":
            response = Response(b"", 204)
        else:
            response = Response(self.pages.get(request.path, "<!doctype html><title>Help</title><p>Help page</p>"),
                                content_type="text/html; charset=utf-8")
        return response(environ, start_response)

    def forward(self, request: Request) -> Response:
        rest = request.path.removeprefix(PROXY_PREFIX)
        self.proxied.append(rest)
        query = proxy_params(dict(request.args), secret=self.secret, domain=self.domain)
        answer = requests.request(request.method, f"{self.app_url}/storefront/proxy/{rest}", params=query,
                                  data=request.get_data(), timeout=10,
                                  headers={k: v for k, v in request.headers.items()
                                           if k in ("Content-Type", "If-None-Match", "Accept")})
        keep = {k: v for k, v in answer.headers.items() if k in ("Content-Type", "ETag", "Cache-Control", "Vary")}
        return Response(answer.content, answer.status_code, keep)

    def close(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)
        self.server.server_close()
