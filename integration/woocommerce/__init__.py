"""WooCommerce's services: a connected store's REST access, facts, webhooks and order path (store.py), the poller
(poll.py), the connection's checks (verify.py) and the operator's admission (admission.py). Imports connectors,
integration.db, integration.runtime, integration.help and notifications; never integration.shopify."""
