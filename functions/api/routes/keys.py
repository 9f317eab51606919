"""People's API keys (admin): list every key, make a person's key (shown once), revoke one (its sessions
end with it). Channel keys, and the first admin key of a stack, are made with ``python -m infra.keys``."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from functions.api import wiring
from shared.http import ProblemError, json_response, not_found, require
from shared.models.keys import KeyIn, KeyList, KeyView, NewKey
from shared.observability import logger
from shared.openapi import problem_responses
from shared.patterns import KEY_ID_PATTERN

router = Router()
KeyIdPath = Annotated[
    str, Path(min_length=12, max_length=12, pattern=KEY_ID_PATTERN, description="The key's public id")
]
FIRST_ADMIN_KEY = "python -m infra.keys --endpoint aws create --role admin --name <you>"


@router.get(
    "/keys",
    summary="Every API key: people's and channels' (admin)",
    tags=["keys"],
    responses=problem_responses(),
)
def list_keys() -> Response[KeyList]:
    require(router, "admin")
    items = [
        KeyView(
            key_id=str(item.get("key_id", "")),
            name=str(item.get("name") or ""),
            role=item["role"],
            channel=item.get("channel"),
            created_at=str(item.get("created_at", "")),
        )
        for item in wiring.key_service().list()
    ]
    return json_response(200, KeyList(items=items))


@router.post(
    "/keys",
    summary="Make a person's API key (admin): the key is in this answer only",
    tags=["keys"],
    responses=problem_responses(
        409,
        success={201: "Made: store the key now, it cannot be shown again"},
        notes={409: "A live key already has this name, or the stack has no staff key made with infra.keys"},
        body=True,
    ),
)
def create_key(body: Annotated[KeyIn, Body()]) -> Response[NewKey]:
    from shared.services.keys import NameTaken, NoStaffUsageKey

    caller = require(router, "admin")
    outcome = wiring.key_service().create(body.name, body.role)
    if isinstance(outcome, NameTaken):
        raise ProblemError(
            409,
            "name-taken",
            "Conflict",
            f"A live key is named {outcome.name}: each person has their own name in the audit trail.",
        )
    if isinstance(outcome, NoStaffUsageKey):
        raise ProblemError(
            409,
            "no-staff-usage-key",
            "Conflict",
            f"The stack has no staff key yet: create the first admin key with {FIRST_ADMIN_KEY}.",
        )
    logger.info("key made", key_id=outcome.key_id, role=outcome.role, by=caller.key_id)
    return json_response(
        201,
        NewKey(key_id=outcome.key_id, name=outcome.name, role=outcome.role, api_key=outcome.api_key),
        {"Cache-Control": "no-store"},
    )


@router.delete(
    "/keys/<key_id>",
    summary="Revoke an API key (admin): its sessions end at once",
    tags=["keys"],
    responses=problem_responses(
        404,
        409,
        422,
        success={204: "Revoked"},
        notes={409: "The channel's API Gateway key would be left on no key: revoke it with infra.keys"},
    ),
)
def revoke_key(key_id: KeyIdPath) -> Response[None]:
    from shared.services.keys import RevokeRefused

    caller = require(router, "admin")
    outcome = wiring.key_service().revoke(key_id)
    if isinstance(outcome, RevokeRefused):
        raise ProblemError(
            409,
            "usage-key-in-use",
            "Conflict",
            f"Key {key_id} is its channel's last: revoke it with python -m infra.keys --endpoint aws revoke "
            f"{key_id}, which also removes the channel's API Gateway key.",
        )
    if not outcome:
        raise not_found(f"Key {key_id}")
    logger.info("key revoked", key_id=key_id, by=caller.key_id)
    return Response(status_code=204)
