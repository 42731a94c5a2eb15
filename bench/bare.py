"""The baseline: a bare Flask endpoint that reads the request body and answers 200."""
from flask import Flask, request

app = Flask(__name__)


@app.post("/webhook")
def webhook() -> tuple[str, int]:
    request.get_data()
    return "", 200


def noop() -> None:
    """The baseline RQ job."""


#: about the size of a help block, so both answers move the same bytes.
HELP_BLOCK = {"page": "product", "locale": "en", "heading": "Shipping and returns",
              "notes": ["Ships within 2 business days, arrives in 3–5. Shipping $4.90, free over $50.",
                        "Returns accepted within 30 days. We reply within 4 business hours."],
              "links": [{"id": str(i), "label": label, "url": f"https://acme.example/pages/{i}"}
                        for i, label in enumerate(("When will it arrive?", "Returns", "Contact us"))]}


@app.get("/help-links")
def help_links() -> dict[str, object]:
    """The baseline of the storefront's help-links JSON: a fixed dict, no lookup."""
    return HELP_BLOCK
