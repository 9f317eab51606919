"""Report routes (staff only): ask for a report, list them, read one with its download links."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.metrics import MetricUnit

from functions.api import wiring
from shared.dal.cursors import InvalidCursor
from shared.http import (
    ProblemError,
    idempotency_key_header,
    invalid_field,
    json_response,
    location,
    not_found,
    require,
)
from shared.models.common import IsoDate, described
from shared.models.reports import Report, ReportPage, ReportRequest, ReportType
from shared.observability import logger, metrics
from shared.openapi import link, problem_responses
from shared.services.reports import InvalidPeriod, ReportKeyReused

router = Router()
ReportId = Annotated[
    str,
    Path(
        max_length=100,
        pattern=described(r"^[A-Za-z0-9_-]+$", "must be a report id: letters, digits, '_' or '-'"),
    ),
]


@router.post(
    "/reports",
    summary="Ask for a report (staff): it is built asynchronously (poll GET /reports/{report_id} "
    "until READY)",
    tags=["reports"],
    responses=problem_responses(
        503,
        success={202: "Accepted: the report is PENDING (a retry with the same key: the same report)"},
        notes={422: "Invalid type or period, or an Idempotency-Key reused for another report"},
        body=True,
        links={
            "GetReport": link("GET", "/reports/{report_id}", "Poll it", report_id="$response.body#/report_id")
        },
    ),
)
def post_report(
    request: Annotated[ReportRequest, Body()],
    idempotency_key: Annotated[
        str | None, idempotency_key_header("Retries with the same key return the report first asked for")
    ] = None,
) -> Response[Report]:
    caller = require(router, "staff")
    try:
        report, created = wiring.report_service().request(
            request, requested_by=caller.actor, idempotency_key=idempotency_key
        )
    except InvalidPeriod as exc:
        raise invalid_field(f"body.{exc.field}", str(exc)) from exc
    except ReportKeyReused as exc:
        raise ProblemError(
            422,
            "idempotency-key-reused",
            "Idempotency-Key reused",
            "This Idempotency-Key was already used to ask for another report.",
        ) from exc
    headers = {"Location": location(router, f"/reports/{report.report_id}"), "Retry-After": "2"}
    if not created:
        return json_response(202, report, {**headers, "Idempotent-Replayed": "true"})
    metrics.add_metric(name="ReportsRequested", unit=MetricUnit.Count, value=1)
    logger.info("report asked for", report_id=report.report_id, report_type=report.type, period=report.period)
    return json_response(202, report, headers)


@router.get(
    "/reports",
    summary="Reports, newest period first (viewer)",
    tags=["reports"],
    responses=problem_responses(400, 422, 503, notes={422: "Invalid fields, or to is before from"}),
)
def list_reports(
    type: Annotated[ReportType | None, Query(description="Only reports of this type")] = None,
    from_: Annotated[
        IsoDate | None, Query(alias="from", description="Periods starting on or after this day")
    ] = None,
    to: Annotated[IsoDate | None, Query(description="Periods starting on or before this day")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    next_token: Annotated[str | None, Query(max_length=2048)] = None,
) -> Response[ReportPage]:
    require(router, "viewer")
    if from_ and to and to < from_:
        raise invalid_field("query.to", "to is before from")
    try:
        items, token = wiring.report_service().list(type, from_, to, next_token, limit)
    except InvalidCursor as exc:
        raise ProblemError(400, "invalid-next-token", "Bad Request", str(exc)) from exc
    return json_response(200, ReportPage(items=items, next_token=token))


@router.get(
    "/reports/<report_id>",
    summary="A report (viewer); once READY, each file has a download link that expires within 10 minutes",
    tags=["reports"],
    responses=problem_responses(404, 422, 503, notes={404: "No such report"}),
)
def get_report(report_id: ReportId) -> Response[Report]:
    require(router, "viewer")
    report = wiring.report_service().get(report_id)
    if report is None:
        raise not_found(f"Report {report_id}")
    headers = {"Cache-Control": "no-store"}  # the links are credentials for a few minutes
    if report.status == "PENDING":
        headers["Retry-After"] = "2"
    return json_response(200, report, headers)
