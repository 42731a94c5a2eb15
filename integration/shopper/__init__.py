"""Pages a shopper opens from a message: the one-click satisfaction answer of `delivered` messages (feedback.py).
Imports every layer below the web."""
