"""API Gateway REQUEST authorizer: X-Api-Key, or a person's session cookie -> role, channel and name.

It authenticates only: an unknown key or session is a 401; a known one is allowed on every route, with
its role, channel, key id and name passed to the API function, which decides what that role may do (403)
and which orders it may see. With the session cookie (``oms_session``; no X-Api-Key), a change (POST,
PUT, PATCH, DELETE) without the session's ``X-CSRF-Token`` is denied (the gateway's 403). API Gateway
does not cache its answers (a session's CSRF check depends on the method): ``infra/constructs/api.py``.

A session is read with its key in one BatchGetItem (``shared.dal.sessions``): a revoked key's sessions
end at once. Its idle expiry slides, with a conditional write at most every few minutes.

In AWS it also names the caller's API Gateway key (``usageIdentifierKey``, stored on the key's item and
copied on its sessions: the one read is all it needs), so that API Gateway applies the limits of the
channel's usage plan. The value, the key, the token and the CSRF token stay out of the logs.
"""

from __future__ import annotations

import time
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.aws import client, once
from shared.config import API_KEYS_TABLE_ENV, required
from shared.dal.api_keys import ApiKeyStore, Caller
from shared.dal.sessions import SessionStore
from shared.domain.sessions import CSRF_HEADER, cookie_token, csrf_ok
from shared.observability import logger, tracer


@once
def key_store() -> ApiKeyStore:
    return ApiKeyStore(client("dynamodb"), required(API_KEYS_TABLE_ENV))


@once
def session_store() -> SessionStore:
    return SessionStore(client("dynamodb"), required(API_KEYS_TABLE_ENV))


key_store()  # the client is created once, during init
session_store()


class Unauthorized(Exception):
    def __init__(self) -> None:
        super().__init__("Unauthorized")


def allow_all_routes(
    method_arn: str,
    principal_id: str,
    context: dict[str, str],
    usage_key: str | None,
    effect: str = "Allow",
) -> dict[str, Any]:
    """The policy Powertools' ``APIGatewayAuthorizerResponse.allow_all_routes()`` answers: every method
    and path of the stage the request came to (``arn:<partition>:execute-api:<region>:<account>:<api
    id>/<stage>/<method>/<path>``). Built here because Powertools' data classes package imports every
    event class it knows, on the path of every uncached request."""
    # The first five colons are the ARN's own; the path after them may hold more (a SKU such as "A:B").
    *head, rest = method_arn.split(":", 5)
    prefix = ":".join(head)
    api_id, stage = rest.split("/")[:2]
    policy: dict[str, Any] = {
        "principalId": principal_id,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Action": "execute-api:Invoke",
                    "Effect": effect,
                    "Resource": [f"{prefix}:{api_id}/{stage}/*/*"],
                }
            ],
        },
        "context": context,
    }
    if usage_key is not None:
        policy["usageIdentifierKey"] = usage_key
    return policy


def _session_caller(token: str, method: str, csrf: str | None) -> tuple[Caller, bool] | None:
    """The session's caller and whether its CSRF check passed; None for no live session."""
    now = int(time.time())
    store = session_store()
    session = store.find(token, now)
    if session is None:
        return None
    store.slide(token, session, now)
    return Caller(session.principal, session.usage_key), csrf_ok(method, session.csrf_token, csrf)


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    api_key = headers.get("x-api-key")
    allowed = True
    if api_key:  # a key wins over a cookie: a key is never sent by a browser on its own
        found = key_store().caller(api_key)
        how = "key"
    else:
        token = cookie_token(headers.get("cookie"))
        session = (
            _session_caller(token, str(event.get("httpMethod", "")), headers.get(CSRF_HEADER.lower()))
            if token
            else None
        )
        found, allowed = session if session else (None, False)
        how = "session"
    if found is None:
        logger.info("rejected: missing or unknown API key or session")
        raise Unauthorized()

    caller = found.principal
    context_values = {
        "role": caller.role,
        "channel": caller.channel or "",
        "key_id": caller.key_id,
        "name": caller.name or "",
    }
    if not allowed:
        logger.info("denied: a change by session without its CSRF token", key_id=caller.key_id)
        return allow_all_routes(event["methodArn"], caller.key_id, context_values, None, effect="Deny")
    logger.info("authorized", key_id=caller.key_id, role=caller.role, channel=caller.channel, by=how)
    return allow_all_routes(
        event["methodArn"],
        caller.key_id,
        context_values,
        found.usage_key,  # None on the local stack: its gateway throttles itself
    )
