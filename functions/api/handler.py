"""Lambda entry point of the HTTP API (API Gateway REST proxy events)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.api import wiring
from functions.api.app import app
from functions.api.routes.meta import openapi_json
from shared import snapstart
from shared.config import settings
from shared.http import guard_request
from shared.observability import logger, metrics, tracer

wiring.order_service()  # the client and the order stores are created once, during init
# SnapStart (AWS): before the snapshot, build every route's validation models (the OpenAPI document walks
# them all); after each restore, reseed and forget the clients (shared/snapstart.py says why).
snapstart.register(warm=openapi_json)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
# Responses hold personal data, and X-Ray would keep an exception object (with its message) whole.
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return guard_request(event, settings().max_body_bytes) or app.resolve(event, context)
