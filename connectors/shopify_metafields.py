"""The GraphQL Admin API's app-owned shop metafield: the queries and pure readers of their answers.

`metafieldsSet` takes `MetafieldsSetInput` (ownerId, namespace, key, type, value as a string) and answers
`userErrors` (MetafieldsSetUserError: field, message, code, elementIndex). The reserved `$app` namespace
makes the metafield app-owned: only Aftercare writes it, merchants can read it, and checkout and
customer-account UI extensions read it as `$app` (research: shopify.dev custom-data/ownership).
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from connectors.base import ConnectorError

NAMESPACE = "$app"
KEY = "help_blocks"
TYPE = "json"

SHOP_ID_QUERY = "query AftercareShopId { shop { id } }"

METAFIELDS_SET = """
mutation AftercareHelpMetafield($metafields: [MetafieldsSetInput!]!) {
  metafieldsSet(metafields: $metafields) {
    metafields { id namespace key }
    userErrors { field message code elementIndex }
  }
}
"""

#: userError codes worth trying again later; every other code means the input was refused.
TRANSIENT_USER_ERRORS = frozenset({"INTERNAL_ERROR"})


class MetafieldRejected(ConnectorError):
    """Shopify refused the metafield (`userErrors`); `transient` when trying again may help."""

    def __init__(self, errors: list[Mapping[str, Any]]) -> None:
        super().__init__("; ".join(describe_user_error(e) for e in errors))
        self.codes = [e.get("code") for e in errors]
        self.transient = all(code in TRANSIENT_USER_ERRORS for code in self.codes)


def describe_user_error(error: Mapping[str, Any]) -> str:
    field = ".".join(str(part) for part in error.get("field") or [])
    return f"{error.get('code') or 'ERROR'} at {field or '(input)'}: {error.get('message') or ''}".strip()


def shop_gid(data: Mapping[str, Any]) -> str:
    """The shop's global id from SHOP_ID_QUERY's answer."""
    gid = (data.get("shop") or {}).get("id")
    if not isinstance(gid, str) or not gid.startswith("gid://shopify/Shop/"):
        raise ConnectorError(f"no shop id in the answer: {gid!r}")
    return gid


def encode(value: Any) -> str:
    """The metafield's value string: JSON with sorted keys, so one value always gives one string."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def set_variables(owner_id: str, value: str) -> dict[str, Any]:
    return {"metafields": [{"ownerId": owner_id, "namespace": NAMESPACE, "key": KEY, "type": TYPE,
                            "value": value}]}


def check_set(data: Mapping[str, Any]) -> str:
    """The written metafield's id; MetafieldRejected when the answer carries userErrors."""
    payload = data.get("metafieldsSet") or {}
    errors = payload.get("userErrors") or []
    if errors:
        raise MetafieldRejected(errors)
    written = payload.get("metafields") or []
    if not written:
        raise MetafieldRejected([{"message": "no metafield in the answer", "code": "INTERNAL_ERROR"}])
    return str(written[0].get("id"))
