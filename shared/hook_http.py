"""HTTP glue of the hook routes: an API Gateway proxy event to a ``Delivery``, an outcome to a response.

API Gateway (REST, no binary media types) passes a text body as it arrived (``isBase64Encoded`` false):
encoded as UTF-8 it is the exact bytes the platform signed. A body sent base64-encoded (a binary media
type, or the local gateway's answer to bytes that are not UTF-8) is decoded first. Either way the
signature is checked on bytes, never on JSON parsed and written again.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from shared.domain.hooks import PLATFORMS, Delivery
from shared.problem_errors import ProblemError
from shared.problems import BAD_REQUEST, PAYLOAD_TOO_LARGE, PROBLEM_JSON, UNAUTHORIZED
from shared.services.hooks import HookOutcome

HOOK_PREFIX = "/hooks/"


def delivery_from_event(event: dict[str, Any]) -> Delivery | None:
    """The delivery a proxy event carries; None for a route that is not a hook route."""
    resource = str(event.get("resource") or "")
    platform = resource.removeprefix(HOOK_PREFIX).split("/", 1)[0]
    channel = (event.get("pathParameters") or {}).get("channel")
    if not resource.startswith(HOOK_PREFIX) or platform not in PLATFORMS or not channel:
        return None
    raw = event.get("body") or ""
    try:
        body = base64.b64decode(raw, validate=True) if event.get("isBase64Encoded") else raw.encode("utf-8")
    except (binascii.Error, ValueError):
        body = b"\x00"  # not what anyone signed: the signature check refuses it
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items() if v is not None}
    return Delivery(platform=platform, channel=str(channel), headers=headers, body=body)


def outcome_response(outcome: HookOutcome, instance: str | None) -> dict[str, Any]:
    if outcome.status == 200:
        return _response(200, "application/json", f'{{"status":"{outcome.kind}"}}')
    if outcome.kind == "rejected":
        # One answer whatever the reason (no signature, a wrong one, no such connection): it tells a
        # caller without the secret nothing. The reason is in the metric and the log.
        error = ProblemError.of(
            UNAUTHORIZED, "The webhook signature is missing or does not match this channel's connection."
        )
    elif outcome.kind == "too_large":
        error = ProblemError.of(PAYLOAD_TOO_LARGE, outcome.detail)
    else:
        error = ProblemError.of(BAD_REQUEST, outcome.detail)
    return problem_response(error, instance)


def problem_response(error: ProblemError, instance: str | None) -> dict[str, Any]:
    headers = {"Content-Type": PROBLEM_JSON, **error.headers}
    return {
        "statusCode": error.status,
        "headers": headers,
        "body": error.body(instance),
        "isBase64Encoded": False,
    }


def _response(status: int, content_type: str, body: str) -> dict[str, Any]:
    headers = {"Content-Type": content_type}
    return {"statusCode": status, "headers": headers, "body": body, "isBase64Encoded": False}
