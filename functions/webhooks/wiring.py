"""The webhooks function's collaborators, built once per execution environment (``shared.aws.once``)."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from shared.aws import client, once
from shared.config import (
    EVENT_BUS_ENV,
    ORDERS_TABLE_ENV,
    SECRETS_KEY_ENV,
    WEBHOOKS_DLQ_URL_ENV,
    WEBHOOKS_QUEUE_URL_ENV,
    WEBHOOKS_TABLE_ENV,
    local_stack,
    required,
)
from shared.dal.queues import DeadLetters
from shared.dal.webhooks import DeliveryMessages

if TYPE_CHECKING:
    from shared.services.webhooks import WebhookDeliveries


@once
def dead_letters() -> DeadLetters:
    return DeadLetters(lambda: client("sqs"), required(WEBHOOKS_DLQ_URL_ENV))


@once
def messages() -> DeliveryMessages:
    return DeliveryMessages(client("sqs"), required(WEBHOOKS_QUEUE_URL_ENV))


@once
def deliveries() -> WebhookDeliveries:
    from shared.dal.events import EventPublisher
    from shared.dal.orders import OrderStore
    from shared.dal.secrets import SecretCipher
    from shared.dal.webhooks import WebhookStore
    from shared.models.events import WEBHOOKS_SOURCE
    from shared.services.webhooks import CONTEXT_KEY, OutboundSender, WebhookDeliveries

    dynamodb = client("dynamodb")
    # Reads only (GetItem): no catalog table is named, none is touched.
    orders = OrderStore(dynamodb, required(ORDERS_TABLE_ENV), "")

    def order_json(order_id: str) -> dict[str, Any] | None:
        order = orders.get(order_id, consistent=True)
        # As the API serialises it (Powertools' jsonable_encoder: JSON mode, by alias).
        return order.model_dump(mode="json", by_alias=True) if order is not None else None

    return WebhookDeliveries(
        WebhookStore(dynamodb, required(WEBHOOKS_TABLE_ENV)),
        SecretCipher(client("kms"), required(SECRETS_KEY_ENV), context_key=CONTEXT_KEY),
        messages(),
        EventPublisher(client("events"), required(EVENT_BUS_ENV), WEBHOOKS_SOURCE),
        order_json,
        OutboundSender(allow_loopback_http=local_stack()),
        random=random.SystemRandom().random,
    )
