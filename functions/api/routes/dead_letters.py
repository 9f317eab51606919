"""Dead letters: list each dead-letter queue and peek at its messages, personal data masked (viewer);
redrive them to their source queue or delete them, by message id or all (admin).

The rules (peek, the search by id and its bound, send-then-delete) are in
``shared/services/dead_letters.py``; this module parses, calls and maps outcomes to statuses.
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from functions.api import wiring
from shared.dal.dead_letters import QueueUnavailable
from shared.http import ProblemError, json_response, not_found, require
from shared.models.common import described
from shared.models.dead_letters import (
    DeadLetterListing,
    DeadLetterOutcome,
    DeadLetterQueues,
    Selection,
)
from shared.observability import logger
from shared.openapi import problem_responses
from shared.services.dead_letters import API_LIMITS, DEFAULT_PEEK, MAX_PEEK, NotRedrivable, UnknownQueue

router = Router()

QueueName = Annotated[
    str,
    Path(
        min_length=1,
        max_length=64,
        pattern=described(r"^[a-z0-9-]+$", "must be a queue name such as marketplace-orders"),
        description="The queue's public name (GET /dead-letters lists them): marketplace-orders, "
        "stock-updates (redrivable), inventory-events, order-events, sales-aggregates, reports, schedules",
    ),
]


_NOTES = {
    403: "A channel key: dead letters are for people only",
    404: "No dead-letter queue of that name",
    503: "The queue cannot be reached now; retry shortly",
}
_SELECTION_NOTES = {
    **_NOTES,
    403: "Not an admin: only admins redrive and delete dead letters",
    422: 'Send either {"ids": [...]} (1 to 100 message ids) or {"all": true}',
}

SEARCH = (
    "SQS has no get-by-id: messages are received in rounds of 10 (one ReceiveMessage each), each held "
    f"out of sight for {API_LIMITS.hold_s} s while the search goes on, until every id asked for was found "
    "or the queue is exhausted; what was held and not acted on is then visible again at once. One call "
    f"searches at most {API_LIMITS.rounds} rounds ({API_LIMITS.rounds * 10} messages) or "
    f"{API_LIMITS.seconds:g} seconds: `complete: false` says it stopped there (call again for the rest), "
    "and ids not met are listed in `not_found`."
)


@router.get(
    "/dead-letters",
    summary="Every dead-letter queue (viewer): its approximate depth and whether it can be redriven",
    tags=["dead letters"],
    responses=problem_responses(503, success={200: "The queues"}, notes=_NOTES),
)
def list_queues() -> Response[DeadLetterQueues]:
    require(router, "viewer")
    try:
        return json_response(200, wiring.dead_letter_service().overview())
    except QueueUnavailable as exc:
        raise _unavailable(exc) from exc


@router.get(
    "/dead-letters/<queue>",
    summary="Peek at a dead-letter queue's messages (viewer): reason, receive count, first seen, masked body",
    description="The messages are peeked (ReceiveMessage with VisibilityTimeout 0): listing never hides, "
    "moves or deletes one, and each stays receivable at once. SQS returns messages in no particular "
    "order: on a deep queue the listing is a sample of `limit` of them. `receive_count` counts every "
    "receive, in the source queue and here, peeks included. Personal data in bodies and attributes is "
    "masked (shared/masking.py); the messages themselves are kept as sent, to be redriven.",
    tags=["dead letters"],
    responses=problem_responses(
        404, 422, 503, success={200: "The queue and up to `limit` of its messages"}, notes=_NOTES
    ),
)
def list_messages(
    queue: QueueName,
    limit: Annotated[int, Query(ge=1, le=MAX_PEEK, description="Messages to show at most")] = DEFAULT_PEEK,
) -> Response[DeadLetterListing]:
    require(router, "viewer")
    try:
        listing = wiring.dead_letter_service().listing(queue, limit)
    except QueueUnavailable as exc:
        raise _unavailable(exc) from exc
    if isinstance(listing, UnknownQueue):
        raise not_found(f"A dead-letter queue named {queue}")
    return json_response(200, listing)


@router.post(
    "/dead-letters/<queue>/redrive",
    summary="Redrive dead letters to their source queue (admin), by message id or all",
    description="Each message found is sent to the source queue (its body and message attributes as "
    "they were, its reason added to `oms_previous_reasons`), THEN deleted from the dead-letter queue by "
    "its receipt handle. A crash between the two leaves it in both queues, never in neither: the "
    "consumers are idempotent (an order's external id, a stock update's update id), so the second copy "
    "changes nothing. A message that fails again comes back with its new reason. Only "
    "marketplace-orders and stock-updates can be redriven: the others hold stream pointers or scheduled "
    "runs, not queue messages (409). " + SEARCH,
    tags=["dead letters"],
    responses=problem_responses(
        404,
        409,
        503,
        body=True,
        success={200: "What was redriven, what was not found, whether the search was complete"},
        notes={
            **_SELECTION_NOTES,
            409: "This queue's messages cannot be redriven to a queue: list and delete them",
        },
    ),
)
def redrive(queue: QueueName, selection: Annotated[Selection, Body()]) -> Response[DeadLetterOutcome]:
    caller = require(router, "admin")
    try:
        outcome = wiring.dead_letter_service().redrive(queue, _ids(selection))
    except QueueUnavailable as exc:
        raise _unavailable(exc) from exc
    if isinstance(outcome, UnknownQueue):
        raise not_found(f"A dead-letter queue named {queue}")
    if isinstance(outcome, NotRedrivable):
        raise ProblemError(
            409,
            "not-redrivable",
            "Conflict",
            f"The {queue} queue holds failure records, not queue messages: list and delete them.",
        )
    logger.info("dead letters redriven", queue=queue, count=len(outcome.done), key_id=caller.key_id)
    return json_response(200, outcome)


@router.post(
    "/dead-letters/<queue>/delete",
    summary="Delete dead letters (admin), by message id or all",
    description="Deleted for good, by receipt handle. " + SEARCH,
    tags=["dead letters"],
    responses=problem_responses(
        404,
        503,
        body=True,
        success={200: "What was deleted, what was not found, whether the search was complete"},
        notes=_SELECTION_NOTES,
    ),
)
def delete(queue: QueueName, selection: Annotated[Selection, Body()]) -> Response[DeadLetterOutcome]:
    caller = require(router, "admin")
    try:
        outcome = wiring.dead_letter_service().delete(queue, _ids(selection))
    except QueueUnavailable as exc:
        raise _unavailable(exc) from exc
    if isinstance(outcome, UnknownQueue):
        raise not_found(f"A dead-letter queue named {queue}")
    logger.info("dead letters deleted", queue=queue, count=len(outcome.done), key_id=caller.key_id)
    return json_response(200, outcome)


def _ids(selection: Selection) -> frozenset[str] | None:
    return None if selection.all else frozenset(selection.ids or ())


def _unavailable(exc: QueueUnavailable) -> ProblemError:
    logger.error("dead-letter queue unavailable", code=exc.code)
    return ProblemError(
        503,
        "queue-unavailable",
        "Service Unavailable",
        "The dead-letter queue cannot be reached now; retry shortly.",
        headers={"Retry-After": "5"},
    )
