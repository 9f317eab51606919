"""Platform connections (admin only): which Shopify or WooCommerce store a channel receives webhooks
from, and the secret they are signed with. The secret is never returned."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from functions.api import wiring
from shared.domain.connections import Connection, PlatformMismatch, check_connection_channel
from shared.domain.moments import utc_text
from shared.http import ProblemError, invalid_field, json_response, not_found, require
from shared.models.common import CHANNEL_NAME_PATTERN
from shared.models.connections import ConnectionIn, ConnectionView
from shared.observability import logger
from shared.openapi import problem_responses
from shared.services.connections import ChannelHasKeys

router = Router()
# The names without the look-ahead (pydantic's regex engine has none): "staff" and the marketplaces'
# channels are refused by check_connection_channel, as a 422 naming the field.
ChannelPath = Annotated[
    str,
    Path(
        min_length=1,
        max_length=32,
        pattern=CHANNEL_NAME_PATTERN,
        description="The channel the store's orders land in: not staff, nor a marketplace's own channel",
    ),
]


@router.put(
    "/channels/<channel>/connection",
    summary="Connect a channel to a Shopify or WooCommerce store, or rotate its webhook secret (admin)",
    description="A new secret replaces the current one, which stays valid for 24 hours (or until the next "
    "PUT) so deliveries signed before the store switched still verify. The same secret again changes "
    "nothing. A channel with API keys cannot be connected, nor a marketplace's own channel.",
    tags=["connections"],
    responses=problem_responses(
        409,
        503,
        success={200: "Rotated, or unchanged", 201: "Connected"},
        notes={409: "The channel belongs to API keys, or is connected to the other platform"},
        body=True,
    ),
)
def put_connection(
    channel: ChannelPath, connection: Annotated[ConnectionIn, Body()]
) -> Response[ConnectionView]:
    caller = require(router, "admin")
    try:
        check_connection_channel(channel)
    except ValueError as exc:
        raise invalid_field("channel", str(exc)) from exc
    now = datetime.now(UTC)
    outcome = wiring.connection_service().put(
        channel, connection.platform, connection.secret.get_secret_value(), now
    )
    if isinstance(outcome, ChannelHasKeys):
        raise ProblemError(
            409, "channel-in-use", "Conflict", f"Channel {channel} belongs to API keys: pick another channel."
        )
    if isinstance(outcome, PlatformMismatch):
        raise ProblemError(
            409,
            "platform-mismatch",
            "Conflict",
            f"Channel {channel} is connected to {outcome.platform}: its orders are that platform's.",
        )
    logger.info("connection saved", channel=channel, change=outcome.change, key_id=caller.key_id)
    status = 201 if outcome.change == "created" else 200
    return json_response(status, view(outcome.connection, now))


@router.get(
    "/channels/<channel>/connection",
    summary="A channel's platform connection (admin)",
    tags=["connections"],
    responses=problem_responses(404, 422, 503, notes={404: "The channel has no connection"}),
)
def get_connection(channel: ChannelPath) -> Response[ConnectionView]:
    require(router, "admin")
    try:
        check_connection_channel(channel)
    except ValueError as exc:
        raise invalid_field("channel", str(exc)) from exc
    connection = wiring.connection_service().get(channel)
    if connection is None:
        raise not_found(f"A connection of channel {channel}")
    return json_response(200, view(connection, datetime.now(UTC)))


def view(connection: Connection, now: datetime) -> ConnectionView:
    expires = connection.previous_expires_at(now)
    return ConnectionView(
        channel=connection.channel,
        platform=connection.platform,
        hook_path=f"/hooks/{connection.platform}/{connection.channel}",
        created_at=utc_text(connection.created_at),
        rotated_at=utc_text(connection.rotated_at) if connection.rotated_at else None,
        active_secrets=len(connection.active_secrets(now)),
        previous_secret_expires_at=utc_text(expires) if expires else None,
    )
