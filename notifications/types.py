"""The message types of DESIGN §3 and what each one needs."""
from __future__ import annotations

import enum
from dataclasses import dataclass


class MessageType(str, enum.Enum):
    ORDER_CONFIRMATION = "order_confirmation"
    SHIPPING_CONFIRMATION = "shipping_confirmation"
    SHIPPING_UPDATE = "shipping_update"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    DELIVERY_PROBLEM = "delivery_problem"
    DELAYED = "delayed"
    ORDER_CANCELLED = "order_cancelled"
    REFUND_ISSUED = "refund_issued"


class Channel(str, enum.Enum):
    EMAIL = "email"
    SMS = "sms"


@dataclass(frozen=True)
class TypeSpec:
    channels: tuple[Channel, ...]
    per_shipment: bool          # the ledger key carries the shipment
    carrier_event: bool         # the context carries the carrier update


BOTH = (Channel.EMAIL, Channel.SMS)

SPECS: dict[MessageType, TypeSpec] = {
    MessageType.ORDER_CONFIRMATION: TypeSpec(BOTH, False, False),
    MessageType.SHIPPING_CONFIRMATION: TypeSpec(BOTH, True, False),
    MessageType.SHIPPING_UPDATE: TypeSpec(BOTH, True, False),
    MessageType.OUT_FOR_DELIVERY: TypeSpec(BOTH, True, True),
    MessageType.DELIVERED: TypeSpec(BOTH, True, True),
    MessageType.DELIVERY_PROBLEM: TypeSpec(BOTH, True, True),
    MessageType.DELAYED: TypeSpec(BOTH, True, True),
    MessageType.ORDER_CANCELLED: TypeSpec(BOTH, False, False),
    MessageType.REFUND_ISSUED: TypeSpec(BOTH, False, False),
}

#: carrier status (Shopify's shipment_status / FulfillmentEventStatus, lowercased) -> message type.
CARRIER_MESSAGES: dict[str, MessageType] = {
    "out_for_delivery": MessageType.OUT_FOR_DELIVERY,
    "delivered": MessageType.DELIVERED,
    "attempted_delivery": MessageType.DELIVERY_PROBLEM,
    "failure": MessageType.DELIVERY_PROBLEM,
    "ready_for_pickup": MessageType.DELIVERY_PROBLEM,
    "delayed": MessageType.DELAYED,
}

#: how far along a shipment is; a stored status never moves to a lower rank from an older event.
CARRIER_RANK: dict[str, int] = {
    "label_printed": 1, "label_purchased": 1, "confirmed": 1, "carrier_picked_up": 2,
    "in_transit": 2, "delayed": 2, "out_for_delivery": 3, "attempted_delivery": 3,
    "ready_for_pickup": 3, "failure": 3, "picked_up": 4, "delivered": 4,
}

#: financial statuses that mean the order is paid or its payment is secured.
PAID_STATUSES = frozenset({"paid", "partially_paid", "authorized", "partially_refunded"})
