"""Health (no key) and the API's own description, generated from the code by Powertools.

The OpenAPI document is built on first request, not at init: Powertools' OpenAPI models are the costliest
import of this function, and only staff ever ask for it. ``/swagger`` sends a browser to the console's
Swagger page, which reads the document with the person's session.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from shared.domain.sessions import COOKIE_NAME, CSRF_HEADER
from shared.http import location, require
from shared.openapi import PUBLIC, finish_document, problem_responses, webhooks_section

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
    summary="This API's OpenAPI document (any person's key or session)",
    tags=["meta"],
    responses=problem_responses(),
)
def openapi_document() -> Response[Any]:
    require(router, "viewer")
    return Response(status_code=200, content_type="application/json", body=openapi_json())


@router.get("/swagger", include_in_schema=False)
def swagger_ui() -> Response[None]:
    """Swagger UI lives in the console (static files, under its strict CSP): the page a browser opens,
    signed in or sent to sign in."""
    return Response(status_code=302, headers={"Location": location(router, "/console/swagger")})


DESCRIPTION = (
    "One hub for every order, whatever the channel. Every route but /health and POST /session needs an "
    "X-Api-Key (a person's key: viewer, staff or admin; or a channel key that places and reads its own "
    "channel's orders) or a person's session cookie from POST /session, with X-CSRF-Token on every change "
    "made with the cookie. Roles: a viewer reads everything (every GET but /keys and a channel's "
    "connection); staff also change orders, stock, products, listings, customers' details, reports and "
    "imports; an admin also erases customers, connects channels, manages keys and redrives or deletes dead "
    "letters. Each operation's summary names the lowest role it needs; a lower role gets a 403 problem. "
    "Money is a decimal string. Errors are RFC 9457 problem details (application/problem+json, the Problem "
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
        security_schemes={
            "ApiKey": APIKey(name="X-Api-Key", in_=APIKeyIn.header),
            "Session": APIKey(
                name=COOKIE_NAME,
                in_=APIKeyIn.cookie,
                description="A person's session from POST /session; every change made with it also needs "
                f"its csrf_token in the {CSRF_HEADER} header",
            ),
        },
        security=[{"ApiKey": []}, {"Session": []}],  # either one
    )
    document = finish_document(schema.model_dump(mode="json", by_alias=True, exclude_none=True))
    document["webhooks"] = webhooks_section(document)  # what the OMS sends (issue 17): OpenAPI 3.1
    return document
