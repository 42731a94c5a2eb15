"""Helpers for in-process tests: deliver a signed webhook, drain the queues with a real RQ worker."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from integration.db.models import Delivery, Message, OutboxMessage
from tests.conftest import encode, shopify_headers


def deliver(client: Any, topic: str, payload: Any, event_id: str | None = None, **kw: Any) -> Any:
    body = encode(payload)
    return client.post("/webhooks/shopify", data=body, headers=shopify_headers(topic, body, event_id, **kw))


def drain(app: Any) -> None:
    """Run every queued job with the app's own worker class, in burst mode."""
    from integration.runtime import extensions
    from integration.workers import AftercareWorker

    with app.app_context():
        AftercareWorker(extensions.queues(), connection=extensions.redis()).work(burst=True, with_scheduler=True)


def messages(app: Any) -> list[Message]:
    with app.extensions["aftercare.db"].session() as session:
        return list(session.scalars(select(Message).order_by(Message.id)))


def outcomes(app: Any) -> list[tuple[str, str, str]]:
    return [(m.message_type, m.channel, m.status) for m in messages(app)]


def deliveries(app: Any) -> list[Delivery]:
    with app.extensions["aftercare.db"].session() as session:
        return list(session.scalars(select(Delivery).order_by(Delivery.id)))


def outbox(app: Any) -> list[OutboxMessage]:
    with app.extensions["aftercare.db"].session() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
