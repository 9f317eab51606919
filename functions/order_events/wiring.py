"""The order stream consumer's collaborators, built once per execution environment (``shared.aws.once``)."""

from __future__ import annotations

from shared.aws import client, once
from shared.config import EVENT_BUS_ENV, required
from shared.dal.events import EventPublisher
from shared.models.events import ORDERS_SOURCE
from shared.services.order_events import OrderEvents


@once
def order_events() -> OrderEvents:
    return OrderEvents(EventPublisher(client("events"), required(EVENT_BUS_ENV), ORDERS_SOURCE))
