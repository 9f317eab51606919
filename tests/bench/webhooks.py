"""`make bench`, webhooks: deliveries per second for one process with the HTTP faked (an instant 200; the
AWS calls go to in-process moto, so the number is a floor of what Lambda does), and the DynamoDB requests
per delivery: the fan-out of an event, and one attempt."""

from __future__ import annotations

import random
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from tests.bench.__main__ import line, quiet

DELIVERIES = 200


def main() -> None:
    from infra.spec import SECRETS_KEY, WEBHOOKS, WEBHOOKS_QUEUE
    from shared.aws import client
    from shared.dal.events import EventPublisher
    from shared.dal.secrets import SecretCipher
    from shared.dal.webhooks import DeliveryMessages, WebhookStore
    from shared.models.events import WEBHOOKS_SOURCE
    from shared.outbound import Answer
    from shared.services.webhooks import CONTEXT_KEY, DeliveryMessage, WebhookDeliveries, WebhookEndpoints
    from tests.support.local_aws import RequestCounter, local_aws

    def instant(url: str, body: bytes, headers: dict[str, str]) -> Answer:
        return Answer(status=200, body=b'{"ok":true}')

    with local_aws(), quiet():
        store = WebhookStore(client("dynamodb"), WEBHOOKS.local_name)
        sqs = client("sqs")
        queue = DeliveryMessages(sqs, sqs.get_queue_url(QueueName=WEBHOOKS_QUEUE.local_name)["QueueUrl"])
        cipher = SecretCipher(client("kms"), SECRETS_KEY.alias, context_key=CONTEXT_KEY)
        endpoints = WebhookEndpoints(store, cipher, queue, allow_loopback_http=False)
        endpoint = endpoints.create("https://93.184.216.34/hook", ["order.created"], None, datetime.now(UTC))
        deliveries = WebhookDeliveries(
            store,
            cipher,
            queue,
            EventPublisher(client("events"), "oms-events", WEBHOOKS_SOURCE),
            lambda order_id: {"order_id": order_id, "version": 1},
            instant,
            random=random.random,
        )
        counter = RequestCounter()
        fan_out_calls: list[int] = []
        for _ in range(DELIVERIES):
            counter.reset()
            event: dict[str, Any] = {
                "id": str(uuid.uuid4()),
                "detail-type": "OrderCreated",
                "source": "oms.orders",
                "time": "2026-12-07T12:00:00Z",
                "detail": {"order_id": "ord_bench"},
            }
            deliveries.fan_out(event, datetime.now(UTC))
            fan_out_calls.append(len(counter.calls))
        ids = [d.delivery_id for d in store.deliveries(endpoint.endpoint.endpoint_id, None, DELIVERIES)[0]]
        counter.reset()
        started = time.perf_counter()
        for delivery_id in ids:
            deliveries.deliver(DeliveryMessage(endpoint.endpoint.endpoint_id, delivery_id), datetime.now(UTC))
        elapsed = time.perf_counter() - started
        attempt_calls = len(counter.calls) / len(ids)
    line(
        "webhook deliveries per second, one process",
        f"{len(ids) / elapsed:.0f}/s",
        "HTTP faked (instant 200), DynamoDB and KMS on in-process moto: sign, send, record",
    )
    warm = fan_out_calls[1:]
    line(
        "DynamoDB requests per event fanned out (1 endpoint)",
        f"{sum(warm) / len(warm):.1f}",
        f"first {fan_out_calls[0]} (the endpoints' Query, kept 1 s); a conditional PutItem per endpoint",
    )
    line(
        "DynamoDB requests per delivery attempt",
        f"{attempt_calls:.1f}",
        "GetItem delivery, GetItem endpoint, UpdateItem (the attempt appended)",
    )
