"""The WordPress plugin's side of the service (connect.py): connecting a WooCommerce store, claiming its link
secret, the signed "Open Aftercare" links, the privacy export and erase, Disconnect and the plugin's zip. Imports
every layer below the web."""
