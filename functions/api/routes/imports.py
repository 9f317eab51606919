"""Import routes: staff announce a file and get where to upload it; any person lists the runs and reads one.

The upload's S3 event starts the import in the imports function (``shared/services/import_jobs.py``); the
run's record shows its progress (``chunks_done`` of ``chunks_total``, counts per kind) and, once it has
one, a link to the error report.
"""

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
    json_response,
    location,
    not_found,
    require,
)
from shared.models.common import described
from shared.models.imports import ImportIn, ImportRunDetail, ImportRunPage, ImportUpload
from shared.observability import logger, metrics
from shared.openapi import link, problem_responses
from shared.services.import_uploads import ImportKeyReused

router = Router()
ImportId = Annotated[
    str,
    Path(
        max_length=64,
        pattern=described(r"^[A-Za-z0-9_-]+$", "must be an import id: letters, digits, '_' or '-'"),
    ),
]


@router.post(
    "/imports",
    summary="Announce a file to import (staff): the answer holds a presigned PUT (1 hour) to upload it "
    "to; the upload starts the import (poll GET /imports/{import_id})",
    tags=["imports"],
    responses=problem_responses(
        503,
        success={
            201: "The run, AWAITING_UPLOAD, and where to upload the file (a retry with the same key: it)"
        },
        notes={422: "Invalid fields (an unknown format names the known ones), or an Idempotency-Key reused"},
        body=True,
        links={
            "GetImport": link(
                "GET", "/imports/{import_id}", "Follow the run", import_id="$response.body#/run/import_id"
            )
        },
    ),
)
def post_import(
    request: Annotated[ImportIn, Body()],
    idempotency_key: Annotated[
        str | None, idempotency_key_header("Retries with the same key return the run first announced")
    ] = None,
) -> Response[ImportUpload]:
    caller = require(router, "staff")
    try:
        announced = wiring.import_uploads().announce(
            request.file_name,
            request.options,
            actor=caller.actor,  # staff:alice: the person who announced it
            idempotency_key=idempotency_key,
        )
    except ImportKeyReused as exc:
        raise ProblemError(
            422,
            "idempotency-key-reused",
            "Idempotency-Key reused",
            "This Idempotency-Key was already used to announce another file or other options.",
        ) from exc
    run = announced.run
    body = ImportUpload(run=run, upload_url=announced.upload_url, expires_at=announced.expires_at)
    headers = {"Location": location(router, f"/imports/{run.import_id}"), "Cache-Control": "no-store"}
    if not announced.created:
        return json_response(201, body, {**headers, "Idempotent-Replayed": "true"})
    metrics.add_metric(name="ImportsAnnounced", unit=MetricUnit.Count, value=1)
    logger.info(
        "import announced", import_id=run.import_id, format=run.options.format, dry_run=run.options.dry_run
    )
    return json_response(201, body, headers)


@router.get(
    "/imports",
    summary="Import runs, newest first (viewer)",
    tags=["imports"],
    responses=problem_responses(400, 422, 503),
)
def list_imports(
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    next_token: Annotated[str | None, Query(max_length=2048)] = None,
) -> Response[ImportRunPage]:
    require(router, "viewer")
    try:
        items, token = wiring.import_uploads().page(next_token, limit)
    except InvalidCursor as exc:
        raise ProblemError(400, "invalid-next-token", "Bad Request", str(exc)) from exc
    return json_response(200, ImportRunPage(items=items, next_token=token))


@router.get(
    "/imports/<import_id>",
    summary="An import run (viewer): its status, progress and counts; a download link (10 minutes) for its "
    "error report when it has one",
    tags=["imports"],
    responses=problem_responses(404, 422, 503, notes={404: "No such import run"}),
)
def get_import(import_id: ImportId) -> Response[ImportRunDetail]:
    require(router, "viewer")
    run = wiring.import_uploads().get(import_id)
    if run is None:
        raise not_found(f"Import {import_id}")
    headers = {"Cache-Control": "no-store"}  # the link is a credential for a few minutes
    if run.status in ("AWAITING_UPLOAD", "VALIDATING", "RUNNING"):
        headers["Retry-After"] = "5"
    return json_response(200, run, headers)
