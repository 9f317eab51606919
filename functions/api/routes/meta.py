"""Health (no key) and the API's own description (generated from the code by Powertools)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from shared.http import staff_only

router = Router()


@router.get("/health", summary="Liveness: answers without a key", tags=["meta"])
def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/openapi.json", summary="This API's OpenAPI document (staff)", tags=["meta"])
def openapi_document() -> Response[Any]:
    from functions.api.app import openapi_json  # the app imports this module: resolve at call time

    staff_only(router)
    return Response(status_code=200, content_type="application/json", body=openapi_json())
