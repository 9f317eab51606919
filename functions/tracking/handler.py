"""Lambda entry point of the customers' tracking page (``GET /track``, ``GET /track/{token}``; no key).

Its own composition root: the orders table (reads) and the tracking key (kms:VerifyMac only). A plain
handler, not a resolver: it maps the proxy event to a lookup or a token, and the answer to HTML or JSON
(``shared/tracking_html.py``). Nothing from the query (an email, a postcode) or the token is logged.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError

from shared.aws import client, once
from shared.config import ORDERS_TABLE_ENV, TRACKING_KEY_ENV, required
from shared.dal.orders import OrderStore
from shared.domain.tracking_page import LookupMalformed, parse_lookup, view
from shared.models.orders import Order
from shared.observability import logger, metrics, tracer
from shared.problem_errors import THROTTLING_CODES
from shared.problems import BUSY, INTERNAL, NO_SUCH_ROUTE
from shared.services.tracking import TrackingService
from shared.services.tracking_links import TrackingLinks
from shared.tracking_html import (
    form_response,
    malformed_response,
    not_found_response,
    order_response,
    problem_answer,
    wants_json,
)


@once
def service() -> TrackingService:
    orders = OrderStore(client("dynamodb"), required(ORDERS_TABLE_ENV), catalog_table_name="")
    return TrackingService(orders, TrackingLinks(client("kms"), required(TRACKING_KEY_ENV)))


service()  # clients are created once, during init


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    as_json = wants_json(headers.get("accept"))
    try:
        return _answer(event, as_json, datetime.now(UTC))
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in THROTTLING_CODES:
            logger.warning("throttled by AWS after retries")
            return problem_answer(BUSY)
        logger.exception("unhandled error")
        return problem_answer(INTERNAL, getattr(context, "aws_request_id", None))
    except Exception:
        logger.exception("unhandled error")
        return problem_answer(INTERNAL, getattr(context, "aws_request_id", None))


def _answer(event: dict[str, Any], as_json: bool, now: datetime) -> dict[str, Any]:
    if event.get("resource") == "/track/{token}":
        token = str((event.get("pathParameters") or {}).get("token") or "")
        # A link that opens nothing offers the form, one level up (``/track`` at any stage's path).
        return _shown(service().by_token(token, now), as_json, "link", form_action="../track")
    if event.get("resource") != "/track":
        return problem_answer(NO_SUCH_ROUTE)
    try:
        lookup = parse_lookup({k: str(v) for k, v in (event.get("queryStringParameters") or {}).items()})
    except LookupMalformed as exc:
        return malformed_response(str(exc), as_json)
    if lookup is None:
        return form_response(as_json)
    return _shown(service().by_lookup(lookup, now), as_json, "lookup")


def _shown(order: Order | None, as_json: bool, how: str, form_action: str = "") -> dict[str, Any]:
    metrics.add_dimension(name="how", value=how)
    if order is None:
        metrics.add_metric(name="TrackingNotFound", unit=MetricUnit.Count, value=1)
        return not_found_response(as_json, form_action)
    metrics.add_metric(name="TrackingShown", unit=MetricUnit.Count, value=1)
    logger.info("tracking page shown", order_id=order.order_id, how=how)
    return order_response(view(order), as_json)
