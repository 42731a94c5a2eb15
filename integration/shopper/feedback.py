"""The one-click satisfaction answer in `delivered` messages: a signed link, no personal data in it."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template_string
from flask.typing import ResponseReturnValue
from itsdangerous import BadSignature, URLSafeSerializer

from integration.db.models import Message
from integration.runtime import extensions

bp = Blueprint("feedback", __name__)

PAGE = """<!doctype html><html lang="en"><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Thank you</title>
<body style="font-family: system-ui, sans-serif; max-width: 32rem; margin: 4rem auto; padding: 0 1rem">
<h1>Thank you for letting us know</h1>
{% if answer == 'bad' %}<p>We're sorry it was not a good experience. The shop has been told and can follow up
if you reply to the email you received.</p>{% else %}<p>We're glad your order arrived well.</p>{% endif %}
</body></html>"""


@bp.get("/feedback/<token>/<answer>")
def answer(token: str, answer: str) -> ResponseReturnValue:
    if answer not in ("good", "bad"):
        abort(404)
    try:
        message_id = URLSafeSerializer(current_app.config["SECRET_KEY"], salt="feedback").loads(token)
    except BadSignature:
        abort(404)
    with extensions.db().session() as session:
        message = session.get(Message, message_id)
        if message is None:
            abort(404)
        message.feedback = answer
    return render_template_string(PAGE, answer=answer)
