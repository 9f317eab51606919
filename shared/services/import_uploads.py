"""The staff side of the cloud import path: ``POST /imports`` records a run AWAITING_UPLOAD and presigns
the upload's PUT; ``GET /imports`` and ``GET /imports/{id}`` read the runs (the latter with a presigned GET of
the error report). What happens once the file is uploaded is ``shared.services.import_jobs``'s (the imports
function); the API function never loads it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from shared.dal.keys import IMPORT_ERRORS_PREFIX, import_error_key, import_upload_key
from shared.domain.moments import utc_text
from shared.models.imports import ImportOptions, ImportRun, ImportRunDetail


def utc_now() -> datetime:
    return datetime.now(UTC)


class RunRecords(Protocol):
    """What the API calls of ``shared.dal.imports.ImportRuns``."""

    def create(self, run: ImportRun) -> None: ...

    def get(self, import_id: str) -> ImportRun | None: ...

    def page(self, cursor: str | None, limit: int) -> tuple[list[ImportRun], str | None]: ...


UPLOAD_LINK_SECONDS = 3600
ERROR_LINK_SECONDS = 600
_IDS = uuid.UUID("0b7f3c9a-5a8e-4d0c-9f3e-6c1d2a4b8e71")  # namespace of import ids made from keys


class Presigner(Protocol):
    def upload_url(self, key: str, expires_s: int) -> str: ...

    def download_url(self, key: str, expires_s: int, filename: str) -> str: ...


class ImportKeyReused(ValueError):
    """An Idempotency-Key already announced another file or other options."""


@dataclass(frozen=True)
class Announced:
    run: ImportRun
    upload_url: str | None  # None: a replay of a run past AWAITING_UPLOAD (its file is in; no new PUT)
    expires_at: str | None
    created: bool


class ImportUploads:
    """``POST /imports``, ``GET /imports``, ``GET /imports/{id}``: the staff side of the cloud path."""

    def __init__(
        self,
        runs: RunRecords,
        links: Presigner,
        clock: Callable[[], datetime] = utc_now,
        new_id: Callable[[], str] | None = None,
    ) -> None:
        self._runs = runs
        self._links = links
        self._clock = clock
        self._new_id = new_id

    def announce(
        self, file_name: str, options: ImportOptions, *, actor: str, idempotency_key: str | None = None
    ) -> Announced:
        """Record a run AWAITING_UPLOAD and presign its upload. With an idempotency key: the run that key
        first announced (also when a concurrent request with the key recorded it first), or
        ImportKeyReused when it announced another file or options. A replay presigns a fresh upload only
        while the run is AWAITING_UPLOAD: once the file is in, a second PUT would replace the file a
        running import reads."""
        from shared.dal.imports import RunExists  # the store's typed failure (loaded with the store)

        if idempotency_key:
            import_id = str(uuid.uuid5(_IDS, f"{actor}\n{idempotency_key}"))
        else:
            import_id = self._new_id() if self._new_id else str(uuid.uuid4())
        now = self._clock()
        run = self._runs.get(import_id) if idempotency_key else None
        created = run is None
        if run is None:
            fresh = ImportRun(
                import_id=import_id,
                file_name=file_name,
                options=options,
                source="upload",
                actor=actor,
                status="AWAITING_UPLOAD",
                started_at=utc_text(now),
                updated_at=utc_text(now),
            )
            try:
                self._runs.create(fresh)
                run = fresh
            except RunExists:  # a concurrent request with the same key recorded it first: a replay
                run = self._runs.get(import_id) if idempotency_key else None
                if run is None:
                    raise
                created = False
        if not created and (run.file_name, run.options) != (file_name, options):
            raise ImportKeyReused(f"import {import_id} announced another file or other options")
        if run.status != "AWAITING_UPLOAD":
            return Announced(run=run, upload_url=None, expires_at=None, created=created)
        url = self._links.upload_url(import_upload_key(run.import_id, run.file_name), UPLOAD_LINK_SECONDS)
        expires = utc_text(now + timedelta(seconds=UPLOAD_LINK_SECONDS))
        return Announced(run=run, upload_url=url, expires_at=expires, created=created)

    def page(self, cursor: str | None, limit: int) -> tuple[list[ImportRun], str | None]:
        return self._runs.page(cursor, limit)

    def get(self, import_id: str) -> ImportRunDetail | None:
        """The run, with presigned GETs of its error reports (expire in 10 minutes) when it has some: the
        check's (``error_report_url``) and, in ``error_report_urls``, it and each chunk's."""
        run = self._runs.get(import_id)
        if run is None:
            return None
        detail = ImportRunDetail(**run.model_dump())
        container = _container(run) if run.error_chunks else ""
        keys = [import_error_key(run.import_id, container, n) for n in run.error_chunks]
        if run.error_report and run.error_report.startswith(IMPORT_ERRORS_PREFIX):
            keys.insert(0, run.error_report)
        elif not keys:
            return detail  # none, or an `oms import` run's report, on the machine that ran it
        urls = [self._links.download_url(key, ERROR_LINK_SECONDS, key.rsplit("/", 1)[-1]) for key in keys]
        checked = bool(run.error_report and run.error_report.startswith(IMPORT_ERRORS_PREFIX))
        return detail.model_copy(
            update={
                "error_report_url": urls[0] if checked else None,
                "error_report_urls": urls,
                "error_report_expires_at": utc_text(self._clock() + timedelta(seconds=ERROR_LINK_SECONDS)),
            }
        )


def _container(run: ImportRun) -> str:
    """The file's container (csv or jsonl): its format's, as the worker names its reports. Loaded only for
    a run with chunk reports: the API function does not load the formats otherwise."""
    from shared.transfer.formats import format_of

    return format_of(run.options.format).container
