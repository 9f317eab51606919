"""Webhook endpoints (admin only): register, list, change, disable, delete, rotate the secret, read the
delivery log and replay a delivery. Admin only throughout: an endpoint's URL may itself be a credential (a
Slack incoming-webhook URL is). The rules are in ``shared/services/webhooks.py``; this module parses, calls
and maps outcomes to statuses.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from functions.api import wiring
from shared.dal.cursors import InvalidCursor
from shared.domain.moments import utc_text
from shared.domain.webhooks import Delivery, Endpoint
from shared.http import ProblemError, invalid_field, json_response, location, not_found, require
from shared.models.common import described
from shared.models.webhooks import (
    AttemptView,
    DeliveryPage,
    DeliveryView,
    ReplayView,
    WebhookIn,
    WebhookPage,
    WebhookPatch,
    WebhookView,
    WebhookWithSecret,
)
from shared.observability import logger
from shared.openapi import problem_responses
from shared.outbound import Refused
from shared.services.webhooks import Created, EndpointChanges, EndpointConflict, ReplayRefused, url_host

router = Router()

EndpointId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=64,
        pattern=described(r"^wh_[A-Za-z0-9]{1,60}$", "must be an endpoint id such as wh_..."),
        description="The endpoint's id (POST /webhooks answered it)",
    ),
]
DeliveryId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=64,
        pattern=described(r"^msg_[A-Za-z0-9]{1,60}$", "must be a delivery id such as msg_..."),
        description="The delivery's id: the webhook-id header its attempts carried",
    ),
]
_NOTES = {403: "Not an admin: webhooks are for admins only", 404: "No such endpoint"}
_URL_NOTE = {
    **_NOTES,
    422: "An invalid field, or a URL that may not be called (not https, credentials in it, a port other "
    "than 443 or 8443, or a host resolving to a private, loopback, link-local or otherwise non-public "
    "address)",
}


def _refused(exc: Refused) -> ProblemError:
    return invalid_field("url", str(exc))


@router.post(
    "/webhooks",
    summary="Register a webhook endpoint (admin): the answer holds its signing secret, shown only this once",
    tags=["webhooks"],
    responses=problem_responses(422, success={201: "Registered"}, notes=_URL_NOTE, body=True),
)
def create_webhook(endpoint: Annotated[WebhookIn, Body()]) -> Response[WebhookWithSecret]:
    caller = require(router, "admin")
    now = datetime.now(UTC)
    try:
        created = wiring.webhook_endpoints().create(endpoint.url, endpoint.events, endpoint.description, now)
    except Refused as exc:
        raise _refused(exc) from exc
    logger.info(
        "webhook endpoint registered",
        endpoint_id=created.endpoint.endpoint_id,
        host=url_host(created.endpoint.url),
        key_id=caller.key_id,
    )
    return json_response(
        201,
        with_secret(created, now),
        {
            "Location": location(router, f"/webhooks/{created.endpoint.endpoint_id}"),
            "Cache-Control": "no-store",
        },
    )


@router.get(
    "/webhooks",
    summary="Webhook endpoints, oldest first (admin)",
    tags=["webhooks"],
    responses=problem_responses(400, 422, notes=_NOTES),
)
def list_webhooks(
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    next_token: Annotated[str | None, Query(max_length=2048)] = None,
) -> Response[WebhookPage]:
    require(router, "admin")
    now = datetime.now(UTC)
    try:
        items, token = wiring.webhook_endpoints().page(next_token, limit)
    except InvalidCursor as exc:
        raise ProblemError(400, "invalid-next-token", "Bad Request", str(exc)) from exc
    return json_response(200, WebhookPage(items=[view(e, now) for e in items], next_token=token))


@router.get(
    "/webhooks/<endpoint_id>",
    summary="A webhook endpoint (admin)",
    tags=["webhooks"],
    responses=problem_responses(404, 422, notes=_NOTES),
)
def get_webhook(endpoint_id: EndpointId) -> Response[WebhookView]:
    require(router, "admin")
    endpoint = wiring.webhook_endpoints().get(endpoint_id)
    if endpoint is None:
        raise not_found(f"Webhook endpoint {endpoint_id}")
    return json_response(200, view(endpoint, datetime.now(UTC)))


@router.patch(
    "/webhooks/<endpoint_id>",
    summary="Change a webhook endpoint (admin): url, events, description, or enabled (false disables it; "
    "true enables it again)",
    tags=["webhooks"],
    responses=problem_responses(
        404, 409, 422, notes={**_URL_NOTE, 409: "It kept changing: retry"}, body=True
    ),
)
def patch_webhook(endpoint_id: EndpointId, changes: Annotated[WebhookPatch, Body()]) -> Response[WebhookView]:
    caller = require(router, "admin")
    now = datetime.now(UTC)
    given = changes.model_fields_set
    try:
        endpoint = wiring.webhook_endpoints().update(
            endpoint_id,
            EndpointChanges(
                url=changes.url,
                events=tuple(changes.events) if changes.events is not None else None,
                description=changes.description,
                description_set="description" in given,
                enabled=changes.enabled,
            ),
            now,
        )
    except Refused as exc:
        raise _refused(exc) from exc
    except EndpointConflict as exc:
        raise ProblemError(409, "conflict", "Conflict", "The endpoint kept changing: retry.") from exc
    if endpoint is None:
        raise not_found(f"Webhook endpoint {endpoint_id}")
    logger.info(
        "webhook endpoint changed", endpoint_id=endpoint_id, fields=sorted(given), key_id=caller.key_id
    )
    return json_response(200, view(endpoint, now))


@router.delete(
    "/webhooks/<endpoint_id>",
    summary="Delete a webhook endpoint (admin): nothing more is delivered to it",
    tags=["webhooks"],
    responses=problem_responses(404, 422, success={204: "Deleted"}, notes=_NOTES),
)
def delete_webhook(endpoint_id: EndpointId) -> Response[None]:
    caller = require(router, "admin")
    if not wiring.webhook_endpoints().delete(endpoint_id):
        raise not_found(f"Webhook endpoint {endpoint_id}")
    logger.info("webhook endpoint deleted", endpoint_id=endpoint_id, key_id=caller.key_id)
    return Response(status_code=204)


@router.post(
    "/webhooks/<endpoint_id>/secret/rotate",
    summary="Rotate a webhook endpoint's secret (admin): the new one is shown only this once; the old one "
    "keeps signing beside it for 24 hours",
    tags=["webhooks"],
    responses=problem_responses(404, 409, 422, notes={**_NOTES, 409: "It kept changing: retry"}),
)
def rotate_secret(endpoint_id: EndpointId) -> Response[WebhookWithSecret]:
    caller = require(router, "admin")
    now = datetime.now(UTC)
    try:
        created = wiring.webhook_endpoints().rotate(endpoint_id, now)
    except EndpointConflict as exc:
        raise ProblemError(409, "conflict", "Conflict", "The endpoint kept changing: retry.") from exc
    if created is None:
        raise not_found(f"Webhook endpoint {endpoint_id}")
    logger.info("webhook secret rotated", endpoint_id=endpoint_id, key_id=caller.key_id)
    return json_response(200, with_secret(created, now), {"Cache-Control": "no-store"})


@router.get(
    "/webhooks/<endpoint_id>/deliveries",
    summary="A webhook endpoint's delivery log, newest first (admin): each attempt's time, status and the "
    "first 1 KB of the answer",
    tags=["webhooks"],
    responses=problem_responses(400, 404, 422, notes=_NOTES),
)
def list_deliveries(
    endpoint_id: EndpointId,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    next_token: Annotated[str | None, Query(max_length=2048)] = None,
) -> Response[DeliveryPage]:
    require(router, "admin")
    try:
        page = wiring.webhook_endpoints().deliveries(endpoint_id, next_token, limit)
    except InvalidCursor as exc:
        raise ProblemError(400, "invalid-next-token", "Bad Request", str(exc)) from exc
    if page is None:
        raise not_found(f"Webhook endpoint {endpoint_id}")
    items, token = page
    return json_response(200, DeliveryPage(items=[delivery_view(d) for d in items], next_token=token))


@router.post(
    "/webhooks/<endpoint_id>/deliveries/<delivery_id>/replay",
    summary="Send a delivery again (admin): a new attempt with the same webhook-id, through the queue",
    tags=["webhooks"],
    responses=problem_responses(
        404,
        409,
        422,
        success={202: "Queued"},
        notes={
            **_NOTES,
            404: "No such endpoint or delivery",
            409: "The endpoint is disabled, or the delivery is still on its retry schedule",
        },
    ),
)
def replay_delivery(endpoint_id: EndpointId, delivery_id: DeliveryId) -> Response[ReplayView]:
    caller = require(router, "admin")
    try:
        delivery = wiring.webhook_endpoints().replay(endpoint_id, delivery_id)
    except ReplayRefused as exc:
        raise ProblemError(409, "conflict", "Conflict", str(exc)) from exc
    if delivery is None:
        raise not_found(f"Delivery {delivery_id} of webhook endpoint {endpoint_id}")
    logger.info(
        "webhook delivery replayed", endpoint_id=endpoint_id, delivery_id=delivery_id, key_id=caller.key_id
    )
    return json_response(202, ReplayView(delivery_id=delivery.delivery_id))


def view(endpoint: Endpoint, now: datetime) -> WebhookView:
    active = endpoint.active_secrets(now)
    expiring = next((s.expires_at for s in active if s.expires_at is not None), None)
    return WebhookView(
        endpoint_id=endpoint.endpoint_id,
        url=endpoint.url,
        events=list(endpoint.events),
        description=endpoint.description,
        enabled=endpoint.enabled,
        disabled_reason=endpoint.disabled_reason,
        failing_since=utc_text(endpoint.failing_since) if endpoint.failing_since else None,
        created_at=utc_text(endpoint.created_at),
        updated_at=utc_text(endpoint.updated_at),
        active_secrets=len(active),
        previous_secret_expires_at=utc_text(expiring) if expiring else None,
    )


def with_secret(created: Created, now: datetime) -> WebhookWithSecret:
    return WebhookWithSecret(**view(created.endpoint, now).model_dump(), secret=created.secret)


def delivery_view(delivery: Delivery) -> DeliveryView:
    return DeliveryView(
        delivery_id=delivery.delivery_id,
        event_type=delivery.event_type,
        event_id=delivery.event_id,
        status=delivery.status,
        created_at=utc_text(delivery.created_at),
        attempts=[
            AttemptView(
                at=utc_text(a.at),
                status=a.status,
                verdict=a.verdict,
                duration_ms=a.duration_ms,
                response=a.response,
                error=a.error,
                replay=a.replay,
            )
            for a in delivery.attempts
        ],
    )
