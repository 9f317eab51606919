"""Health (no key) and the API's own description, generated from the code by Powertools.

The OpenAPI document and the Swagger page are built on first request, not at init: Powertools'
OpenAPI models are the costliest import of this function, and only staff ever ask for them.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from shared.http import staff_only
from shared.openapi import PUBLIC, finish_document, problem_responses

router = Router()
TITLE = "Order Management System API"
VERSION = "1.0.0"


@router.get(
    "/health",
    summary="Liveness: answers without a key",
    tags=["meta"],
    responses=problem_responses(public=True),
    openapi_extensions=PUBLIC,
)
def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/openapi.json",
    summary="This API's OpenAPI document (staff)",
    tags=["meta"],
    responses=problem_responses(),
)
def openapi_document() -> Response[Any]:
    staff_only(router)
    return Response(status_code=200, content_type="application/json", body=openapi_json())


@router.get("/swagger", include_in_schema=False)
def swagger_ui() -> Response[str]:
    """Swagger UI with its assets inlined from the Powertools package: it works with no network."""
    staff_only(router)
    return Response(status_code=200, content_type="text/html", body=_swagger_html())


DESCRIPTION = (
    "One hub for every order, whatever the channel. Every route but /health needs an X-Api-Key: "
    "a staff key, or a channel key that places and reads its own channel's orders. Money is a "
    "decimal string. Errors are RFC 9457 problem details (application/problem+json, the Problem "
    "schema): a 422 lists each invalid field in errors, an out-of-stock 409 each short SKU in shortages. "
    "Listings are paginated: pass the next_token of a page to get the next one; a page may hold fewer "
    "items than limit, and the last page has no next_token."
)


@cache
def openapi_json() -> str:
    return json.dumps(build_document(), indent=2)


def build_document() -> dict[str, Any]:
    """The OpenAPI document as a dict: what Powertools generates from the routes, finished."""
    from aws_lambda_powertools.event_handler.openapi.models import APIKey, APIKeyIn

    from functions.api.app import app  # the app includes this router: resolve at call time

    schema = app.get_openapi_schema(
        title=TITLE,
        version=VERSION,
        description=DESCRIPTION,
        security_schemes={"ApiKey": APIKey(name="X-Api-Key", in_=APIKeyIn.header)},
        security=[{"ApiKey": []}],
    )
    return finish_document(schema.model_dump(mode="json", by_alias=True, exclude_none=True))


@cache
def _swagger_html() -> str:
    from aws_lambda_powertools import event_handler
    from aws_lambda_powertools.event_handler.openapi.swagger_ui import generate_swagger_html

    assets = Path(event_handler.__file__).parent / "openapi" / "swagger_ui"
    return generate_swagger_html(
        openapi_json().replace("</", "<\\/"),
        (assets / "swagger-ui-bundle.min.js").read_text(encoding="utf-8"),
        (assets / "swagger-ui.min.css").read_text(encoding="utf-8"),
        "",  # no base URL: the assets above are inlined
        None,
        False,
    )
