"""Tables. Imports only SQLAlchemy (and the db layer's types)."""
from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from integration.db.database import Base, BigId, UTCDateTime, utcnow


class DeliveryStatus(str, enum.Enum):
    PENDING = "pending"        # stored, not yet processed (or waiting for a retry)
    DONE = "done"              # turned into events and planned messages
    IGNORED = "ignored"        # a topic we do not act on
    FAILED = "failed"          # gave up: malformed, or retries exhausted


class MessageStatus(str, enum.Enum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SUPPRESSED = "suppressed"
    HELD = "held"
    UNKNOWN = "unknown"


FINAL_MESSAGE_STATUSES = frozenset(
    {MessageStatus.SENT, MessageStatus.FAILED, MessageStatus.SUPPRESSED, MessageStatus.UNKNOWN}
)


class Shop(Base):
    __tablename__ = "shops"
    __table_args__ = (UniqueConstraint("platform", "domain", name="uq_shops_platform_domain"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    domain: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[str] = mapped_column(String(20), default="active")
    access_token_encrypted: Mapped[str | None] = mapped_column(Text, nullable=True)
    access_token_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    refresh_token_encrypted: Mapped[str | None] = mapped_column(Text, nullable=True)
    refresh_token_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    attention: Mapped[str | None] = mapped_column(String(500), nullable=True)
    consumer_key_encrypted: Mapped[str | None] = mapped_column(Text, nullable=True)
    consumer_secret_encrypted: Mapped[str | None] = mapped_column(Text, nullable=True)
    webhook_secret_encrypted: Mapped[str | None] = mapped_column(Text, nullable=True)
    contact_email: Mapped[str | None] = mapped_column(String(255), nullable=True)
    storefront_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    locale: Mapped[str] = mapped_column(String(20), default="en")
    sender_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    reply_to: Mapped[str | None] = mapped_column(String(255), nullable=True)
    email_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    sms_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    sms_sender: Mapped[str | None] = mapped_column(String(64), nullable=True)
    quiet_hours_start: Mapped[int | None] = mapped_column(Integer, nullable=True, default=21)
    quiet_hours_end: Mapped[int | None] = mapped_column(Integer, nullable=True, default=8)
    max_event_age_days: Mapped[int] = mapped_column(Integer, default=14)
    ships_within_days: Mapped[int] = mapped_column(Integer, default=2)
    delay_after_days: Mapped[int] = mapped_column(Integer, default=5, server_default="5")
    disabled_messages: Mapped[list[str]] = mapped_column(JSON, default=list)
    help_links: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    page_links: Mapped[dict[str, list[dict[str, str]]] | None] = mapped_column(JSON, nullable=True, default=dict)
    #: plain-words facts the storefront notes are generated from (delivery days, costs, return window, reply time).
    storefront_facts: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True, default=dict)
    #: notes per page type the merchant saved (a page type absent: generated from the facts).
    page_notes: Mapped[dict[str, list[str]] | None] = mapped_column(JSON, nullable=True, default=dict)
    #: text per locale tag and page type: {"fr-FR": {"cart": {"heading": .., "notes": [..], "labels": [..]}}}.
    storefront_text: Mapped[dict[str, dict[str, Any]] | None] = mapped_column(JSON, nullable=True, default=dict)
    reconciled_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reconciled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reconcile_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    link_secret_encrypted: Mapped[str | None] = mapped_column(Text, nullable=True)
    api_key_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    webhook_ids: Mapped[dict[str, int] | None] = mapped_column(JSON, nullable=True)
    confirm_on_hold: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: when the operator let a store that connected through the plugin start (None: not yet / not needed).
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: the operator's switch: while set, nothing is sent for this shop (the reason shown to the merchant).
    sending_stopped: Mapped[str | None] = mapped_column(String(200), nullable=True)
    #: the operator's daily sending cap for this shop (None: the instance's quota for the shop's age).
    daily_send_cap: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: bumped by "sign out everywhere" and when the shop stops being active: older sessions end.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: addresses and numbers the merchant verified for test sends, beside the shop's own contact ones.
    verified_recipients: Mapped[list[str] | None] = mapped_column(JSON, nullable=True, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class OrderState(Base):
    """A connector's digest of an order as last seen, for platforms whose events are state diffs (WooCommerce)."""

    __tablename__ = "order_states"
    __table_args__ = (UniqueConstraint("shop_id", "order_key", name="uq_order_states_shop_order"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    order_key: Mapped[str] = mapped_column(String(64))
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class StoreConnection(Base):
    """A WooCommerce store's connection in progress: the one-time `user_id` handed to /wc-auth/v1/authorize."""

    __tablename__ = "store_connections"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    connect_id: Mapped[str] = mapped_column(String(64), unique=True)
    claim_secret_hash: Mapped[str] = mapped_column(String(64))
    store_url: Mapped[str] = mapped_column(String(500))
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    authorized_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: sha256 of the one-time proof the plugin holds; the store's own site must show it back.
    site_proof_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: when the store's site showed the proof (the connection is bound to the site that started it).
    verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Delivery(Base):
    """One webhook delivery, stored raw before it is acknowledged."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("shop_id", "dedupe_key", name="uq_deliveries_shop_dedupe"),
        Index("ix_deliveries_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(String(100))
    dedupe_key: Mapped[str] = mapped_column(String(400))
    event_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    webhook_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    resource_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    triggered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    body: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default=DeliveryStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    job_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: the class of the last exception that failed this delivery (no personal data).
    error_class: Mapped[str | None] = mapped_column(String(100), nullable=True)
    processed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Order(Base):
    """The stored state of a platform order: what later events are joined with."""

    __tablename__ = "orders"
    __table_args__ = (UniqueConstraint("shop_id", "external_id", name="uq_orders_shop_external"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100), default="")
    email: Mapped[str | None] = mapped_column(String(255), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    placed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    platform_updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    shipments: Mapped[list[Shipment]] = relationship(back_populates="order")


class Shipment(Base):
    __tablename__ = "shipments"
    __table_args__ = (UniqueConstraint("shop_id", "external_id", name="uq_shipments_shop_external"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(40), default="pending")
    carrier_status: Mapped[str | None] = mapped_column(String(40), nullable=True)
    carrier_status_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    platform_updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    order: Mapped[Order] = relationship(back_populates="shipments")


class Message(Base):
    """The ledger: one row per planned message. The unique key makes the claim atomic."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint(
            "shop_id", "order_key", "shipment_key", "message_type", "occurrence", "channel",
            name="uq_messages_ledger_key",
        ),
        Index("ix_messages_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    order_key: Mapped[str] = mapped_column(String(64))
    shipment_key: Mapped[str] = mapped_column(String(64), default="")
    message_type: Mapped[str] = mapped_column(String(40))
    occurrence: Mapped[str] = mapped_column(String(200), default="")
    channel: Mapped[str] = mapped_column(String(10))
    delivery_id: Mapped[int | None] = mapped_column(
        ForeignKey("deliveries.id", ondelete="SET NULL"), nullable=True
    )
    event_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    recipient: Mapped[str | None] = mapped_column(String(255), nullable=True)
    locale: Mapped[str] = mapped_column(String(20), default="en")
    status: Mapped[str] = mapped_column(String(20), default=MessageStatus.PENDING.value)
    reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    held_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    job_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    subject: Mapped[str | None] = mapped_column(Text, nullable=True)
    body_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    body_html: Mapped[str | None] = mapped_column(Text, nullable=True)
    provider_message_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    feedback: Mapped[str | None] = mapped_column(String(10), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Attempt(Base):
    """Every try to hand a message to a provider, with the provider's answer."""

    __tablename__ = "attempts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    outcome: Mapped[str] = mapped_column(String(20), default="started")
    provider_response: Mapped[str | None] = mapped_column(Text, nullable=True)
    provider_message_id: Mapped[str | None] = mapped_column(String(255), nullable=True)


class OutboxMessage(Base):
    """Messages 'sent' through the outbox channel: kept in the database, readable in the admin."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL"), nullable=True, index=True
    )
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), nullable=True)
    channel: Mapped[str] = mapped_column(String(10))
    recipient: Mapped[str | None] = mapped_column(String(255), nullable=True)
    subject: Mapped[str | None] = mapped_column(Text, nullable=True)
    body_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    body_html: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class DataExport(Base):
    """What is held about one customer, produced for a platform's data request."""

    __tablename__ = "data_exports"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    request_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    customer_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    content: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class TemplateVersion(Base):
    """One saved version of a merchant's template for a message type, channel and locale.

    The newest row is the one in use; `parts` empty means the shipped default (a reset is a version too).
    """

    __tablename__ = "template_versions"
    __table_args__ = (Index("ix_template_versions_current", "shop_id", "message_type", "channel", "locale", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    message_type: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(10))
    locale: Mapped[str] = mapped_column(String(20))
    parts: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    author: Mapped[str] = mapped_column(String(255), default="")
    note: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class HelpClick(Base):
    """Clicks on a storefront help link, counted per shop, day, page type and link (no shopper data)."""

    __tablename__ = "help_clicks"
    __table_args__ = (UniqueConstraint("shop_id", "day", "page", "link_id", name="uq_help_clicks_shop_day_page_link"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    page: Mapped[str] = mapped_column(String(20))
    link_id: Mapped[str] = mapped_column(String(20))
    day: Mapped[dt.date] = mapped_column(Date)
    clicks: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class EditorSend(Base):
    """A merchant's test send from the editor: to whom, through which channel, with what outcome."""

    __tablename__ = "test_sends"
    __table_args__ = (Index("ix_test_sends_shop_created", "shop_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    message_type: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(10))
    recipient: Mapped[str | None] = mapped_column(String(255), nullable=True)
    outcome: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
