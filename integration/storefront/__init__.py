"""What the store's own pages load: the storefront's script, help blocks and click beacons (widget.py), with the
encoded answers kept a few seconds per process (cache.py). Imports every layer below the web."""
