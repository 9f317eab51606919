"""API Gateway REQUEST authorizer: X-Api-Key -> role and channel.

It authenticates only: an unknown key is a 401; a known key is allowed on every route, with its
role and channel passed to the API function, which decides what that role may do (403) and which
orders it may see. That keeps API Gateway's cached policy correct for every route of the API.

In AWS it also names the caller's API Gateway key (``usageIdentifierKey``, stored on the key's item: the
one GetItem is all it reads), so that API Gateway applies the limits of the channel's usage plan. The
value stays out of the logs.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.aws import client, once
from shared.config import API_KEYS_TABLE_ENV, required
from shared.dal.api_keys import ApiKeyStore
from shared.observability import logger, tracer


@once
def key_store() -> ApiKeyStore:
    return ApiKeyStore(client("dynamodb"), required(API_KEYS_TABLE_ENV))


key_store()  # the client is created once, during init


class Unauthorized(Exception):
    def __init__(self) -> None:
        super().__init__("Unauthorized")


def allow_all_routes(
    method_arn: str, principal_id: str, context: dict[str, str], usage_key: str | None
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
                    "Effect": "Allow",
                    "Resource": [f"{prefix}:{api_id}/{stage}/*/*"],
                }
            ],
        },
        "context": context,
    }
    if usage_key is not None:
        policy["usageIdentifierKey"] = usage_key
    return policy


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    api_key = headers.get("x-api-key")
    found = key_store().caller(api_key) if api_key else None
    if found is None:
        logger.info("rejected: missing or unknown API key")
        raise Unauthorized()

    caller = found.principal
    logger.info("authorized", key_id=caller.key_id, role=caller.role, channel=caller.channel)
    return allow_all_routes(
        event["methodArn"],
        caller.key_id,
        {"role": caller.role, "channel": caller.channel or "", "key_id": caller.key_id},
        found.usage_key,  # None on the local stack: its gateway throttles itself
    )
