"""The baseline: a bare Flask endpoint that reads the request body and answers 200."""
from flask import Flask, request

app = Flask(__name__)


@app.post("/webhook")
def webhook() -> tuple[str, int]:
    request.get_data()
    return "", 200


def noop() -> None:
    """The baseline RQ job."""
