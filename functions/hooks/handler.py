"""Lambda entry point of the platforms' webhooks (POST /hooks/{shopify|woocommerce}/{channel}).

No API key: the platform's HMAC signature is the credential (shared.services.hooks). This module only
maps the proxy event to a delivery, the outcome to a status, a metric and a log line. No body is logged.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError

from shared.aws import client, once
from shared.config import (
    CONNECTIONS_TABLE_ENV,
    HOOK_DELIVERIES_TABLE_ENV,
    MARKETPLACE_QUEUE_URL_ENV,
    SECRETS_KEY_ENV,
    required,
)
from shared.dal.connections import ConnectionStore
from shared.dal.hook_deliveries import DeliveryLog
from shared.dal.queues import FeedQueue
from shared.dal.secrets import SecretCipher
from shared.hook_http import delivery_from_event, outcome_response, problem_response
from shared.observability import logger, metrics, tracer
from shared.problem_errors import THROTTLING_CODES, busy, internal, no_such_route
from shared.services.hooks import HookOutcome, HookReceiver

METRIC = {
    "accepted": "HookAccepted",
    "duplicate": "HookDuplicate",
    "ignored": "HookIgnored",
    "ping": "HookPing",
}


@once
def receiver() -> HookReceiver:
    dynamodb = client("dynamodb")
    return HookReceiver(
        ConnectionStore(dynamodb, required(CONNECTIONS_TABLE_ENV)),
        SecretCipher(client("kms"), required(SECRETS_KEY_ENV)),
        DeliveryLog(dynamodb, required(HOOK_DELIVERIES_TABLE_ENV)),
        FeedQueue(client("sqs"), required(MARKETPLACE_QUEUE_URL_ENV)),
    )


receiver()  # clients are created once, during init


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    path = event.get("path")
    delivery = delivery_from_event(event)
    if delivery is None:
        return problem_response(no_such_route(), path)
    try:
        outcome = receiver().receive(delivery, datetime.now(UTC))
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code")
        if code not in THROTTLING_CODES:
            return _internal(context, path)
        logger.warning("throttled by AWS after retries", code=code, channel=delivery.channel)
        return problem_response(busy(), path)  # the platform retries
    except Exception:
        return _internal(context, path)
    _record(outcome, delivery.platform, delivery.channel, delivery.shop_domain)
    return outcome_response(outcome, path)


def _record(outcome: HookOutcome, platform: str, channel: str, shop_domain: str | None) -> None:
    metrics.add_dimension(name="platform", value=platform)
    if outcome.kind in METRIC:
        metrics.add_metric(name=METRIC[outcome.kind], unit=MetricUnit.Count, value=1)
    else:
        metrics.add_dimension(name="reason", value=outcome.reason or outcome.kind)
        metrics.add_metric(name="HookRejected", unit=MetricUnit.Count, value=1)
    logger.info(
        f"hook {outcome.kind}",
        platform=platform,
        channel=channel,
        topic=outcome.topic,
        delivery_id=outcome.delivery_id,
        reason=outcome.reason,
        shop_domain=shop_domain,
        status=outcome.status,
    )


def _internal(context: LambdaContext, path: str | None) -> dict[str, Any]:
    logger.exception("unhandled error")
    return problem_response(internal(getattr(context, "aws_request_id", None)), path)
