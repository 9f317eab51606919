"""The alarms' states (viewer): CloudWatch's alarms of this stack in AWS; the local stack has none and
says so. The operations page shows them beside the dead letters."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from functions.api import wiring
from shared.dal.alarms import AlarmsUnavailable
from shared.http import ProblemError, json_response, require
from shared.models.alarms import AlarmList
from shared.observability import logger
from shared.openapi import problem_responses
from shared.services.alarms import alarm_list

router = Router()


@router.get(
    "/alarms",
    summary="The alarms' states (viewer): those in ALARM first",
    description="In AWS, every CloudWatch alarm of this stack (its name starts with the stack's name and a "
    "dot), read from CloudWatch on each call: its state, CloudWatch's reason and when the state last "
    'changed. The local stack has no alarms: it answers source "none" and says so in detail.',
    tags=["operations"],
    responses=problem_responses(503, notes={503: "CloudWatch did not answer (throttled, or unreachable)"}),
)
def get_alarms() -> Response[AlarmList]:
    require(router, "viewer")
    try:
        return json_response(200, alarm_list(wiring.alarm_source()))
    except AlarmsUnavailable as exc:
        logger.error("alarms unavailable", code=exc.code)
        raise ProblemError(
            503,
            "alarms-unavailable",
            "Service Unavailable",
            "CloudWatch cannot be reached now; retry shortly.",
            headers={"Retry-After": "5"},
        ) from exc
