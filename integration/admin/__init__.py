"""The merchant's admin: the home inside Shopify's admin and through signed links (home.py, auth.py), Messages and
the template editor (messages.py, editor_sends.py), Activity (activity.py), Settings (settings.py,
settings_schema.py), the Outbox and the demo shop (outbox.py, demo.py). Imports every layer below the web."""
