"""Shopify's services: access tokens (tokens.py), the shop's facts (facts.py), reconciliation through the GraphQL
Admin API (reconcile.py) and the help blocks' metafield (help_metafield.py). Imports connectors, integration.db,
integration.runtime, integration.help and notifications; never integration.woocommerce."""
