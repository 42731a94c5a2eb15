"""The help-link domain the storefront, the admin and Shopify's extensions share: page types and their default and
effective links (pages.py), the plain-words notes (notes.py), the help block per page and locale (content.py) and
the click counts (clicks.py). Imports only integration.db."""
