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
from shared.security_headers import API_HEADERS, with_security_headers

wiring.order_service()  # the client and the order stores are created once, during init
# SnapStart (AWS): before the snapshot, build every route's validation models (the OpenAPI document walks
# them all); after each restore, reseed and forget the clients (shared/snapstart.py says why).
snapstart.register(warm=openapi_json)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
# Responses hold personal data, and X-Ray would keep an exception object (with its message) whole.
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response = guard_request(event, settings().max_body_bytes) or app.resolve(event, context)
    return secured(response)


def secured(response: dict[str, Any]) -> dict[str, Any]:
    """The response with every security header (``shared.security_headers``) it does not set itself, in
    the shape it has: Powertools answers a REST event in ``multiValueHeaders``, ``guard_request`` in
    ``headers``."""
    multi = response.get("multiValueHeaders")
    if multi is not None or "headers" not in response:
        present = {name.lower() for name in multi or {}} | {
            name.lower() for name in response.get("headers") or {}
        }
        added = {name: [value] for name, value in API_HEADERS.items() if name.lower() not in present}
        response["multiValueHeaders"] = {**(multi or {}), **added}
    else:
        response["headers"] = with_security_headers(response.get("headers"), API_HEADERS)
    return response
