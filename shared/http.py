"""HTTP glue shared by API functions: RFC 9457 problems, the caller, and request guards.

Every 4xx and 5xx leaves as ``application/problem+json``, built by ``shared/problems.py`` (the one home of
problem types, their words and their JSON, which the gateways read too). Internal errors say nothing
about internals; the request id in the body lets staff find the full story in the logs.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from re import Match
from typing import Any
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.api_gateway import BaseRouter
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from botocore.exceptions import ClientError

from shared.domain.auth import ROLES, PersonRole, Principal
from shared.json_depth import MAX_JSON_DEPTH, too_deep
from shared.models.common import TOKEN_PATTERN, FieldError, pattern_phrase
from shared.observability import logger
from shared.problem_errors import (  # the routes' one import of them
    THROTTLING_CODES,
    ProblemError,
    busy,
    internal,
    no_such_route,
    unsupported_media_type,
)
from shared.problems import (
    FORBIDDEN_ROLE,
    INVALID_JSON,
    PAYLOAD_TOO_LARGE,
    PROBLEM_JSON,
    UNAUTHORIZED,
    VALIDATION,
)


class PercentDecodedResolver(APIGatewayRestResolver):
    """A REST (v1) resolver whose path parameters are the decoded segments of the path as sent.

    What API Gateway REST puts in a Lambda proxy event for ``GET /products/TEE%2FRED%2FM``:
    ``resource`` is the template (``/products/{sku}``) and ``path`` the path as the client sent it,
    still percent-encoded (events recorded against AWS keep ``%2B`` as ``%2B`` in ``path`` and in
    ``requestContext.path``); a ``%2F`` stays inside its segment, so ``{sku}`` matches it (the
    developer guide's S3 proxy asks for ``test%2Ftest.txt`` as one ``{item}``). ``pathParameters``
    are said to be decoded ("REST APIs decode URL-encoded request parameters"), yet the guide's own
    calculator example compares a path parameter with ``'%2F'``, and a greedy ``{proxy+}`` arrives
    undecoded: not a value to build a SKU from.

    Powertools matches routes on ``path`` (its segment pattern admits ``%``) and hands the raw
    matched text to the route. This resolver decodes each matched segment once, as a server decodes
    a path segment: exact whatever API Gateway does with ``pathParameters``, and the same behind the
    local gateway. ``+`` stays ``+`` (a path is not a form). Bytes that are not UTF-8 become lone
    surrogates, which validation refuses as not text: a 422 naming the parameter, never a 500.
    """

    def _convert_matches_into_route_keys(self, match: Match[str]) -> dict[str, str]:
        return {name: unquote(value, errors="surrogateescape") for name, value in match.groupdict().items()}


def problem_response(error: ProblemError, instance: str | None = None) -> Response[str]:
    return Response(
        status_code=error.status,
        content_type=PROBLEM_JSON,
        body=error.body(instance),
        headers=error.headers,
    )


def unauthorized() -> ProblemError:
    return ProblemError.of(UNAUTHORIZED)


def forbidden(needed: PersonRole | None = None) -> ProblemError:
    """403: the caller's role may not do this; ``needed`` names the role that may (viewer, staff, admin)."""
    if needed is None:
        return ProblemError.of(FORBIDDEN_ROLE)
    return ProblemError.of(FORBIDDEN_ROLE, f"This operation needs the {needed} role (or a higher one).")


def location(app: BaseRouter, path: str) -> str:
    """A resource's path as the caller called us: /prod/orders/... on the default API URL."""
    event = app.current_event
    called = str((event.get("requestContext") or {}).get("path") or event.path)
    prefix = called[: -len(event.path)] if called.endswith(event.path) else ""
    return f"{prefix}{path}"


def invalid_field(field: str, message: str) -> ProblemError:
    """422 for one field a model cannot check alone (a date against today, a cursor's query)."""
    return ProblemError.of(VALIDATION, errors=[FieldError(field=field, message=message, type="value_error")])


def not_found(what: str) -> ProblemError:
    return ProblemError(404, "not-found", "Not Found", f"{what} does not exist.")


def principal_of(app: BaseRouter) -> Principal:
    """The caller, as the authorizer described it (API Gateway passes its context on)."""
    context = (app.current_event.raw_event.get("requestContext") or {}).get("authorizer") or {}
    role = context.get("role")
    if role not in ROLES:
        raise unauthorized()
    return Principal(
        role=role,
        channel=context.get("channel") or None,
        key_id=str(context.get("key_id", "")),
        name=context.get("name") or None,
    )


def require(app: BaseRouter, role: PersonRole) -> Principal:
    """The caller, when their role includes ``role`` (``shared.domain.auth``); else a 403 problem."""
    caller = principal_of(app)
    if not caller.can(role):
        raise forbidden(role)
    return caller


def channel_or(app: BaseRouter, role: PersonRole) -> Principal:
    """The caller on a route that channel keys share with people: a channel key as it is (the service
    keeps it to its own channel's orders), a person when their role includes ``role``; else a 403."""
    caller = principal_of(app)
    if caller.role != "channel" and not caller.can(role):
        raise forbidden(role)
    return caller


def _field(loc: Any) -> str:
    return ".".join(str(part) for part in loc) if isinstance(loc, list | tuple) else str(loc)


def validation_problem(exc: RequestValidationError) -> ProblemError:
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return ProblemError.of(INVALID_JSON)
    return ProblemError.of(
        VALIDATION,
        errors=[
            FieldError(field=_field(e.get("loc", ())), message=message(e), type=e.get("type")) for e in errors
        ],
    )


# Pydantic's prefixes on the messages of the project's own validators: the sentence after them is ours.
_VALIDATOR_PREFIXES = ("Value error, ", "Assertion failed, ")


def message(error: Mapping[str, Any]) -> str:
    """A pydantic error as a sentence for a person: a pattern is named by what it wants, never quoted."""
    if error.get("type") == "string_pattern_mismatch":
        pattern = str((error.get("ctx") or {}).get("pattern", ""))
        return pattern_phrase(pattern) or "is not in the accepted format"
    text = str(error.get("msg") or "is invalid")
    for prefix in _VALIDATOR_PREFIXES:
        if text.startswith(prefix):
            return text[len(prefix) :]
    return text


def register_problem_handlers(app: APIGatewayRestResolver) -> None:
    def instance() -> str:
        return str(app.current_event.path)

    @app.exception_handler(ProblemError)
    def _problem(exc: ProblemError) -> Response[str]:
        return problem_response(exc, instance())

    @app.exception_handler(RequestValidationError)
    def _invalid(exc: RequestValidationError) -> Response[str]:
        return problem_response(validation_problem(exc), instance())

    @app.exception_handler(RequestUnsupportedContentType)
    def _unsupported(_: RequestUnsupportedContentType) -> Response[str]:
        return problem_response(unsupported_media_type(), instance())

    @app.not_found
    def _not_found(_: NotFoundError) -> Response[str]:
        return problem_response(no_such_route(), instance())

    @app.exception_handler(ClientError)
    def _aws(exc: ClientError) -> Response[str]:
        if exc.response.get("Error", {}).get("Code") in THROTTLING_CODES:
            logger.warning("throttled by AWS after retries", code=exc.response["Error"]["Code"])
            return problem_response(busy(), instance())
        return _internal(exc)

    @app.exception_handler(Exception)
    def _internal(exc: Exception) -> Response[str]:
        logger.exception("unhandled error")
        request_id = app.lambda_context.aws_request_id if app.lambda_context else None
        return problem_response(internal(request_id), instance())


def guard_request(event: dict[str, Any], max_body_bytes: int) -> dict[str, Any] | None:
    """Refuse what the router should never parse: an oversized body (413), a non-JSON body (415), a body
    that is not UTF-8 or nests deeper than any parser should recurse (400).

    Runs before routing, so it answers in API Gateway proxy form itself.
    """
    body = event.get("body")
    if not body:
        return None
    raw = base64.b64decode(body) if event.get("isBase64Encoded") else body.encode()
    size = len(raw)
    if size > max_body_bytes:
        error = ProblemError.of(
            PAYLOAD_TOO_LARGE, f"The body is {size} bytes; the limit is {max_body_bytes}."
        )
    else:
        headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
        media_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type != "application/json":
            error = unsupported_media_type()
        elif not _is_utf8(raw):
            error = ProblemError.of(INVALID_JSON, "The request body is not UTF-8 JSON.")
        elif too_deep(raw):
            error = ProblemError.of(
                INVALID_JSON, f"The request body is nested more than {MAX_JSON_DEPTH} levels deep."
            )
        else:
            return None
    return {
        "statusCode": error.status,
        "headers": {"Content-Type": PROBLEM_JSON},
        "body": error.body(event.get("path")),
        "isBase64Encoded": False,
    }


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def json_response(status: int, model: Any, headers: dict[str, str] | None = None) -> Response[Any]:
    """A model with a status: Powertools validates it against the route's annotation and serialises it."""
    return Response(status_code=status, content_type="application/json", body=model, headers=headers or {})


def idempotency_key_header(description: str, *, max_length: int = 255) -> Any:
    """The ``Idempotency-Key`` header parameter of a route: printable ASCII, no spaces."""
    from aws_lambda_powertools.event_handler.openapi.params import Header

    return Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=max_length,
        pattern=TOKEN_PATTERN,
        description=description,
    )
