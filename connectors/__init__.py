"""Platform connectors behind one small interface: verify, delivery key, normalize."""
from __future__ import annotations

from types import ModuleType

from connectors import shopify, woocommerce

#: platform name -> connector module (each has PLATFORM, HANDLED_TOPICS, normalize, delivery_key).
CONNECTORS: dict[str, ModuleType] = {shopify.PLATFORM: shopify, woocommerce.PLATFORM: woocommerce}
