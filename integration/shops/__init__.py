"""What every shop gets whatever its platform: the per-platform jobs and their periodic runs (platforms.py), and
uninstall and the privacy requests (privacy.py). Imports the rows below it and integration.shopify and
integration.woocommerce."""
