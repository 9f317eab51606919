"""Problem bodies (RFC 9457): the one home of their type URIs, their words and their JSON.

Read by all three that answer with a problem: the functions (``shared/http.py``, ``shared/hook_http.py``),
API Gateway's own answers in the CDK stack (``infra/constructs/api.py``: ``GATEWAY_PROBLEMS`` become its
gateway responses) and the local gateway (``infra/local/gateway.py``: ``LOCAL_GATEWAY_PROBLEMS``). A
problem both a function and the gateway can answer (no key, no such route, a body that is not JSON) is
defined here once, so the caller sees the same body whichever of them answered.

Cheap to import (no pydantic, no Powertools): the local gateway and the CDK app read it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "urn:oms:problem:"


def problem_type(slug: str) -> str:
    """The ``type`` of a problem of kind ``slug``: urn:oms:problem:{slug}."""
    return PROBLEM_BASE + slug


def problem_body(members: Mapping[str, Any]) -> str:
    """A problem's JSON: its members in order, those that are None left out, compact, UTF-8 as is."""
    return json.dumps(
        {name: value for name, value in members.items() if value is not None},
        separators=(",", ":"),
        ensure_ascii=False,
    )


@dataclass(frozen=True)
class StandardProblem:
    """A problem whose every member is known in advance: what a gateway answers itself, and the fixed
    answers of the functions. ``with_request_id``: a 5xx, whose body quotes the request id to report."""

    status: int
    slug: str
    title: str
    detail: str
    with_request_id: bool = False

    @property
    def type(self) -> str:
        return problem_type(self.slug)

    def body(self, request_id: str | None = None, instance: str | None = None) -> str:
        return problem_body(
            {
                "type": self.type,
                "title": self.title,
                "status": self.status,
                "detail": self.detail,
                "instance": instance,
                "request_id": request_id if self.with_request_id else None,
            }
        )


# --- what both a function and a gateway answer ---------------------------------------------------

BAD_REQUEST = StandardProblem(400, "bad-request", "Bad Request", "The request is not valid.")

UNAUTHORIZED = StandardProblem(
    401, "unauthorized", "Unauthorized", "Send a valid X-Api-Key header, or sign in (POST /session)."
)
NO_SUCH_ROUTE = StandardProblem(404, "not-found", "Not Found", "No such route.")
UNSUPPORTED_MEDIA_TYPE = StandardProblem(
    415, "unsupported-media-type", "Unsupported Media Type", "Send the body as application/json."
)
PAYLOAD_TOO_LARGE = StandardProblem(
    413, "payload-too-large", "Content Too Large", "The request body is too large."
)
THROTTLED = StandardProblem(
    429, "too-many-requests", "Too Many Requests", "Too many requests. Slow down and retry later."
)

# --- what only the functions answer ------------------------------------------------------------

FORBIDDEN_ROLE = StandardProblem(
    403, "forbidden", "Forbidden", "This API key's role may not use this operation."
)
INTERNAL = StandardProblem(
    500,
    "internal",
    "Internal Server Error",
    "Something went wrong on our side. Quote the request_id when you report it.",
    True,
)
BUSY = StandardProblem(503, "busy", "Service Unavailable", "The system is busy; retry shortly.")
INVALID_JSON = StandardProblem(400, "invalid-json", "Bad Request", "The request body is not valid JSON.")
VALIDATION = StandardProblem(422, "validation", "Unprocessable Content", "The request has invalid fields.")

# --- what the gateway answers itself (no route, no key, throttled, a failed function) ------------

_GATEWAY_ERROR = StandardProblem(
    500, "internal", "Internal Server Error", "Gateway error. Quote the request_id when you report it.", True
)
_TIMEOUT = StandardProblem(
    504, "gateway-timeout", "Gateway Timeout", "The function did not answer in time. Retry later.", True
)

# Keyed by API Gateway's gateway response types. The DEFAULT_* types set the status of every type
# not listed, so each one with another status is listed. CDK configures all of them; the local
# gateway answers the ones it can meet (see LOCAL_GATEWAY_PROBLEMS) with the same bodies.
GATEWAY_PROBLEMS: dict[str, StandardProblem] = {
    "UNAUTHORIZED": UNAUTHORIZED,
    # The authorizer denies only a change made with a session's cookie but without its CSRF token.
    "ACCESS_DENIED": StandardProblem(
        403,
        "forbidden",
        "Forbidden",
        "A change made with a session needs its CSRF token in the X-CSRF-Token header.",
    ),
    # A REST API answers an unknown path (or a method a path lacks) with 403 "Missing
    # Authentication Token"; to the caller that is a route that does not exist.
    "MISSING_AUTHENTICATION_TOKEN": NO_SUCH_ROUTE,
    "RESOURCE_NOT_FOUND": NO_SUCH_ROUTE,
    "REQUEST_TOO_LARGE": PAYLOAD_TOO_LARGE,
    "UNSUPPORTED_MEDIA_TYPE": UNSUPPORTED_MEDIA_TYPE,
    "THROTTLED": THROTTLED,
    "QUOTA_EXCEEDED": THROTTLED,
    # The authorizer named no API Gateway key of a usage plan: a key made before the plans existed.
    "INVALID_API_KEY": StandardProblem(
        403, "forbidden", "Forbidden", "This API key has no usage plan. Ask for a new key."
    ),
    "WAF_FILTERED": StandardProblem(403, "forbidden", "Forbidden", "The request was blocked."),
    "BAD_REQUEST_PARAMETERS": BAD_REQUEST,
    "BAD_REQUEST_BODY": BAD_REQUEST,
    "DEFAULT_4XX": BAD_REQUEST,
    "AUTHORIZER_FAILURE": _GATEWAY_ERROR,
    "AUTHORIZER_CONFIGURATION_ERROR": _GATEWAY_ERROR,
    "API_CONFIGURATION_ERROR": _GATEWAY_ERROR,
    "INTEGRATION_FAILURE": _TIMEOUT,
    "INTEGRATION_TIMEOUT": _TIMEOUT,
    # What is left is a function that failed or answered something that is not a proxy response.
    "DEFAULT_5XX": StandardProblem(
        502, "bad-gateway", "Bad Gateway", "The function failed; the logs have the details.", True
    ),
}

# What the local gateway meets: no key or an unknown one, a Deny, no such route, a body over
# API Gateway's limit, a channel over its limits, an authorizer that failed, a function that failed.
LOCAL_GATEWAY_PROBLEMS: dict[int, StandardProblem] = {
    problem.status: problem
    for problem in (
        GATEWAY_PROBLEMS[name]
        for name in (
            "UNAUTHORIZED",
            "ACCESS_DENIED",
            "MISSING_AUTHENTICATION_TOKEN",
            "REQUEST_TOO_LARGE",
            "THROTTLED",
            "AUTHORIZER_FAILURE",
            "DEFAULT_5XX",
        )
    )
}
