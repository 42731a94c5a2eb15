"""What shoppers reach: the storefront's script, help blocks and click beacons (widget.py, with its cache in
cache.py) and the one-click satisfaction answer of `delivered` messages (feedback.py). Imports every layer below the
web."""
