"""The cloud path of an import: an upload announced by ``POST /imports``, then the work queue's messages.

    POST /imports        records the run (AWAITING_UPLOAD) and presigns a PUT for uploads/{id}/{file}
    the upload           S3 puts its ObjectCreated event on the import work queue
    the S3 event         ``ImportJobs.plan``: reads the file once (checksum, encoding, header, the format's
                         columns), checks every entry (``ImportService.check``: the error report goes to
                         errors/{id}.{csv|jsonl}), then either ends the run (a dry run: CHECKED; reject-file
                         with bad rows: REJECTED; an unreadable file: FAILED) or saves it RUNNING with
                         ``chunks_total`` and sends one message per chunk of whole record groups
    a chunk message      ``ImportJobs.apply``: a ranged GET of the chunk's bytes (If-Match the upload's
                         ETag as planned: a replaced upload fails the run), its entries written but those
                         the check refused (``ImportService.apply_chunk``, counted once per chunk; a chunk
                         report is noted in the run's ``error_chunks``); the chunk that completes the
                         count ends the run FINISHED (ImportFinished goes out)

The plan (the upload's ETag, the lines the check refused) is kept in plans/{id}.json for a redelivered
S3 event, which sends the chunks again without checking again.

Every step is safe to run twice (SQS delivers at least once, S3 may notify twice): a planner claims the run
with conditional saves (one planner wins), a chunk is counted once (``ImportRuns.count_chunk``) and its
entries are written idempotently by natural key. A planner that stopped after saving RUNNING leaves its
S3 event on the queue: the redelivery sends the chunks again, which changes nothing for those done.

The engine (``ImportService``) and the runs store are other modules'; this one sees them through the
Protocols below, which they satisfy (the tests' fakes too). Files are read by ``shared.transfer.files`` and
entries made by the formats of ``shared.transfer.formats``, as ``oms import`` reads them.
"""

from __future__ import annotations

import io
import json
from bisect import bisect_left
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import IO, Any, Literal, Protocol
from urllib.parse import unquote_plus

from pydantic import Field, ValidationError

from shared.dal.keys import IMPORT_UPLOADS_PREFIX, import_error_key, import_plan_key, import_upload_key
from shared.domain.moments import utc_text
from shared.models.common import StrictModel
from shared.models.imports import ImportOptions, ImportRun, RunStatus
from shared.services.import_uploads import utc_now
from shared.services.messages import Poison, RetryLater, describe, load
from shared.transfer.files import (
    MAX_LINE_BYTES,
    SAMPLE_BYTES,
    Encoding,
    ErrorReport,
    FileProblem,
    HashingReader,
    Readable,
    detect_encoding,
    sniff,
)
from shared.transfer.files import rows as read_rows
from shared.transfer.formats import check_header, format_of, group_of
from shared.transfer.records import Format, Parsed, ReadOptions, Row

# A chunk closes before it would pass either: ~1,000 rows write in well under a minute (the engine's
# transactions of up to 100 items, one per order), far inside the function's 900 s, and a redelivered
# chunk redoes little. The byte budget keeps a chunk of wide rows (long addresses) to a small ranged GET.
CHUNK_ROWS = 1000
CHUNK_BYTES = 4 * 1024 * 1024
SEND_BATCH = 10  # SendMessageBatch's limit
# The lines a chunk skips (the check refused their entries) travel in its message: a chunk holds at most
# CHUNK_ROWS rows (unless one record group is longer) and a row makes at most two entries, so ~2,000 lines;
# this bound keeps a message far inside SQS's 256 KiB. A file with more in one chunk (a product with tens of
# thousands of variant rows) fails its run at planning, with that said.
MAX_SKIPPED = 20_000
REPLACED = "the file was replaced during the import"
NOTE_ATTEMPTS = 20  # as many chunks as run at once (5) count meanwhile, a few times over

FINAL: frozenset[RunStatus] = frozenset({"FINISHED", "REJECTED", "CHECKED", "FAILED"})


# --- what the worker calls (the engine, the stores, the file reading: their Protocols) ----------------


class Checked(Protocol):
    """``shared.services.imports.Checked``: the run as ``check`` recorded it (counts, totals, rows_total)."""

    @property
    def run(self) -> ImportRun: ...

    @property
    def rejected(self) -> int: ...


class ImportEngine(Protocol):
    """What the worker calls of ``shared.services.imports.ImportService``."""

    def check(
        self,
        run: ImportRun,
        parsed: Iterable[Parsed],
        report: Any,
        *,
        rejected: Callable[[str, int], None] = ...,
    ) -> Checked: ...

    def apply_chunk(
        self,
        run: ImportRun,
        chunk: int,
        parsed: Iterable[Parsed],
        report: Any,
        *,
        skip: Mapping[str, Collection[int]] | None = None,
    ) -> ImportRun | None: ...

    def finish(self, run: ImportRun, status: RunStatus, *, problem: str | None = None) -> ImportRun: ...


class Runs(Protocol):
    """What this module calls of ``shared.dal.imports.ImportRuns``."""

    def get(self, import_id: str) -> ImportRun | None: ...

    def save(self, run: ImportRun, *, expected_updated_at: str) -> bool: ...


class ReportWriter(Protocol):
    """An S3 object written in parts (``shared.dal.report_files.MultipartWriter``): a binary stream."""

    def write(self, data: bytes) -> int: ...

    def finish(self) -> None: ...

    def abort(self) -> None: ...


class Objects(Protocol):
    """The imports bucket, as the worker uses it."""

    def open(self, key: str) -> IO[bytes]: ...

    def open_tagged(self, key: str) -> tuple[IO[bytes], str]:
        """The body and its ETag."""
        ...

    def read_range(self, key: str, start: int, end: int, etag: str | None = None) -> bytes | None:
        """None: the object is no longer the one of ``etag`` (replaced)."""
        ...

    def writer(self, key: str, content_type: str) -> ReportWriter: ...


class WorkQueue(Protocol):
    def send_batch(self, bodies: Sequence[str]) -> None:
        """At most ``SEND_BATCH`` bodies, all sent or an exception."""
        ...


# --- the messages ------------------------------------------------------------------------------------


class ChunkMessage(StrictModel):
    """One chunk of an upload's rows: bytes ``start`` to ``end`` (exclusive) of the file, whole record
    groups, the first on line ``first_line``. ``header`` and ``encoding`` are the file's, read once by the
    planner."""

    import_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    chunk: int = Field(ge=0)
    first_line: int = Field(ge=1)
    start: int = Field(ge=0)
    end: int = Field(ge=1)
    header: list[str] = Field(default_factory=list, max_length=1000)
    encoding: Encoding = "utf-8"
    # per kind, the first lines (within this chunk) of the entries the check refused: not written
    skip: dict[str, list[int]] = Field(default_factory=dict)
    # the upload's ETag when planned: the chunk reads that object only (a second PUT fails the run)
    etag: str | None = Field(default=None, max_length=200)


@dataclass(frozen=True)
class Upload:
    """An S3 ObjectCreated event's object under uploads/{import_id}/{file_name}."""

    bucket: str
    key: str
    import_id: str
    file_name: str


@dataclass(frozen=True)
class Ignored:
    """A message with nothing to do, and why (safe to log): S3's test event, a redelivery."""

    reason: str


Work = Upload | ChunkMessage | Ignored | Poison


def parse_work(body: str) -> Work:
    """What a message on the import work queue asks for. Only the structure is described in a Poison's
    reason, never a value (a key holds a file name)."""
    loaded = load(body)
    if isinstance(loaded, Poison):
        return loaded
    if not isinstance(loaded, dict):
        return Poison("body is not a JSON object")
    if loaded.get("Event") == "s3:TestEvent":  # S3 sends one when the notification is configured
        return Ignored("s3:TestEvent")
    if "Records" in loaded:
        return _upload(loaded["Records"])
    return _chunk(loaded)


def _chunk(loaded: dict[str, Any]) -> ChunkMessage | Poison:
    if "import_id" not in loaded or "chunk" not in loaded:
        return Poison("neither an S3 event nor an import chunk message")
    try:
        return ChunkMessage.model_validate(loaded)
    except ValidationError as exc:
        return Poison(f"chunk message: {describe(exc)}")


def _upload(records: object) -> Upload | Poison:
    # An S3 notification carries one record per event (batch_size 1 keeps one message per invocation).
    if not isinstance(records, list) or len(records) != 1 or not isinstance(records[0], dict):
        return Poison("S3 event: Records is not a list of one record")
    record = records[0]
    name = str(record.get("eventName", ""))
    if record.get("eventSource") != "aws:s3" or not name.startswith("ObjectCreated:"):
        return Poison("S3 event: not an ObjectCreated event")
    s3 = record.get("s3")
    try:
        bucket = str(s3["bucket"]["name"])  # type: ignore[index]
        key = unquote_plus(str(s3["object"]["key"]))  # type: ignore[index]  # S3 URL-encodes keys
    except (KeyError, TypeError):
        return Poison("S3 event: no s3.bucket.name or s3.object.key")
    parts = key.split("/")
    if len(parts) != 3 or f"{parts[0]}/" != IMPORT_UPLOADS_PREFIX or not parts[1] or not parts[2]:
        return Poison("S3 event: the key is not uploads/{import_id}/{file_name}")
    return Upload(bucket=bucket, key=key, import_id=parts[1], file_name=parts[2])


CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}


# --- planning chunks ---------------------------------------------------------------------------------


@dataclass
class ChunkPlanner:
    """Watches a file's rows go by (in file order, as the format reads them) and cuts them into chunks
    that start only where a record group starts (``shared.transfer.formats.group_of``: an order's lines,
    a product handle's variant rows): a chunk parsed alone sees whole records, and no row is in two
    chunks (the ranges never overlap). A group longer than the budget is one chunk of its own.

    Rows, not entries, are watched: one row may make two entries (a Shopify product and its stock), and a
    variant row carries no Title (its group's first row does), so entry boundaries are no place to cut."""

    max_rows: int = CHUNK_ROWS
    max_bytes: int = CHUNK_BYTES
    chunks: list[tuple[int, int, int]] = field(default_factory=list)  # (first_line, start, end)
    rows: int = 0
    _open: tuple[int, int, int] | None = None
    _rows_in: int = 0
    _group: str | None = None

    def watch(self, fmt: Format, rows: Iterable[Row]) -> Iterator[Row]:
        """``rows`` passed through untouched; the chunks are complete once they have all gone by."""
        for row in rows:
            self._add(row, group_of(fmt, row))
            yield row
        self._close()

    def _add(self, row: Row, group: str | None) -> None:
        self.rows += 1
        if self._open is not None:
            _, start, _ = self._open
            full = self._rows_in >= self.max_rows or row.end - start > self.max_bytes
            if full and (group is None or group != self._group):  # a record's rows stay together
                self._close()
        if self._open is None:
            self._open = (row.line, row.start, row.end)
            self._rows_in = 1
        else:
            line, start, _ = self._open
            self._open = (line, start, row.end)
            self._rows_in += 1
        self._group = group

    def _close(self) -> None:
        if self._open is not None:
            self.chunks.append(self._open)
        self._open, self._rows_in, self._group = None, 0, None


def _skips(
    chunks: Sequence[tuple[int, int, int]], refused: Mapping[str, Collection[int]]
) -> list[dict[str, list[int]]]:
    """Per chunk, per kind, the refused first lines that lie in it (from its first line to the next's)."""
    ordered = {kind: sorted(lines) for kind, lines in refused.items()}
    skips: list[dict[str, list[int]]] = []
    for number, (first, _, _) in enumerate(chunks):
        following = chunks[number + 1][0] if number + 1 < len(chunks) else None
        skip: dict[str, list[int]] = {}
        for kind, lines in ordered.items():
            lo = bisect_left(lines, first)
            hi = len(lines) if following is None else bisect_left(lines, following)
            if hi > lo:
                skip[kind] = lines[lo:hi]
        skips.append(skip)
    return skips


def _later(run: ImportRun, now: datetime) -> str:
    """An ``updated_at`` after the run's (a conditional save's token must change)."""
    text = utc_text(now)
    if text > run.updated_at:
        return text
    return utc_text(datetime.fromisoformat(run.updated_at) + timedelta(microseconds=1))


# --- the worker --------------------------------------------------------------------------------------

Outcome = Literal["planned", "checked", "rejected", "failed", "applied", "finished", "redelivered", "empty"]


@dataclass(frozen=True)
class Done:
    outcome: Outcome
    import_id: str
    chunks: int = 0


# Enough for any header: files refuses a line longer than MAX_LINE_BYTES anyway.
HEAD_BYTES = MAX_LINE_BYTES + SAMPLE_BYTES


class OpenedUpload:
    """An upload read once, front to back: its encoding and CSV header from its first bytes (which are
    read once, then handed on to the rows), its rows, and the SHA-256 of every byte read."""

    def __init__(self, stream: Readable, container: str) -> None:
        self._hashing = HashingReader(stream)
        self._head = _read_up_to(self._hashing, HEAD_BYTES)
        self.container = container
        self.encoding: Encoding
        self.header: tuple[str, ...]
        if container == "csv":
            head = sniff(io.BytesIO(self._head))
            self.encoding, self.header = head.encoding, head.header
        else:  # JSON Lines: no header; the encoding from the first bytes, as rows() would
            self.encoding, self.header = detect_encoding(self._head[:SAMPLE_BYTES]), ()

    def rows(self) -> Iterator[Row]:
        return read_rows(_Joined(self._head, self._hashing), self.container, encoding=self.encoding)

    def checksum(self) -> str:
        """The SHA-256 (hex) of the file, once ``rows()`` has been read to the end."""
        while self._hashing.read(SAMPLE_BYTES):  # nothing is left, unless the rows stopped early
            pass
        return self._hashing.hexdigest()


def _read_up_to(stream: Readable, size: int) -> bytes:
    parts, have = [], 0
    while have < size:
        part = stream.read(size - have)
        if not part:
            break
        parts.append(part)
        have += len(part)
    return b"".join(parts)


class _Joined:
    """``head`` and then the rest of ``stream``, as one readable stream."""

    def __init__(self, head: bytes, stream: Readable) -> None:
        self._head = head
        self._stream = stream

    def read(self, size: int = -1, /) -> bytes:
        if not self._head:
            return self._stream.read(size)
        if size < 0:  # everything
            part, self._head = self._head, b""
            return part + self._stream.read()
        part, self._head = self._head[:size], self._head[size:]  # a short read is a read
        return part


class ImportJobs:
    def __init__(
        self,
        runs: Runs,
        engine: ImportEngine,
        objects: Objects,
        queue: WorkQueue,
        currency: str,
        formats: Callable[[str], Format] = format_of,
        clock: Callable[[], datetime] = utc_now,
        planner: Callable[[], ChunkPlanner] = ChunkPlanner,
    ) -> None:
        self._runs = runs
        self._engine = engine
        self._objects = objects
        self._queue = queue
        self._formats = formats
        self._currency = currency
        self._clock = clock
        self._planner = planner

    def read_options(self, options: ImportOptions) -> ReadOptions:
        return ReadOptions(channel=options.channel, location=options.location, currency=self._currency)

    # An upload ---------------------------------------------------------------------------------------

    def plan(self, upload: Upload) -> Done | Ignored:
        run = self._runs.get(upload.import_id)
        if run is None or upload.file_name != run.file_name:
            return Ignored("an upload for no import run (or under another file name than the run's)")
        if run.status == "RUNNING":
            if run.chunks_total is not None and run.chunks_done < run.chunks_total:
                return self._resend(run)  # the planner stopped after saving: send the chunks again
            return Ignored("the run is already planned")
        if run.status not in ("AWAITING_UPLOAD", "VALIDATING"):
            return Ignored(f"the run is {run.status}")
        if run.status == "AWAITING_UPLOAD":
            claimed = run.model_copy(update={"status": "VALIDATING", "updated_at": utc_text(self._clock())})
            if not self._runs.save(claimed, expected_updated_at=run.updated_at):
                return Ignored("another planner took the run")
            run = claimed
        return self._check(run)

    def _resend(self, run: ImportRun) -> Done:
        """The chunks of a run planned before (the entries are not checked again); a run whose upload was
        replaced since (another PUT to its URL) fails."""
        fmt = self._formats(run.options.format)
        planner = self._planner()
        with self._objects.open(import_plan_key(run.import_id)) as stream:
            plan = json.loads(stream.read())
        refused = {kind: set(lines) for kind, lines in plan["refused"].items()}
        try:
            tagged, etag = self._objects.open_tagged(import_upload_key(run.import_id, run.file_name))
            if etag != plan["etag"]:
                tagged.close()
                return self._end(run, "FAILED", problem=REPLACED)
            with tagged as stream:
                opened = OpenedUpload(stream, fmt.container)
                for _ in fmt.entries(planner.watch(fmt, opened.rows()), self.read_options(run.options)):
                    pass
        except FileProblem as exc:  # it was read once: the object changed, or S3 misbehaved
            raise RetryLater(f"the upload cannot be read again: {exc}") from exc
        self._send(run, opened, planner, refused, etag)
        return Done("planned", run.import_id, len(planner.chunks))

    def _check(self, run: ImportRun) -> Done | Ignored:
        fmt = self._formats(run.options.format)
        planner = self._planner()
        report_key = import_error_key(run.import_id, fmt.container)
        writer = self._objects.writer(report_key, CONTENT_TYPES.get(fmt.container, "text/plain"))
        refused: dict[str, set[int]] = {}
        try:
            tagged, etag = self._objects.open_tagged(import_upload_key(run.import_id, run.file_name))
            with tagged as stream:
                opened = OpenedUpload(stream, fmt.container)
                check_header(fmt, opened.header)
                report = ErrorReport(writer, fmt.container, opened.header)
                parsed = fmt.entries(planner.watch(fmt, opened.rows()), self.read_options(run.options))
                checked = self._engine.check(
                    run, parsed, report, rejected=lambda kind, line: refused.setdefault(kind, set()).add(line)
                )
                checksum = opened.checksum()
        except FileProblem as exc:
            writer.abort()
            return self._end(run, "FAILED", problem=str(exc))
        except BaseException:
            writer.abort()
            raise
        if report.count:
            writer.finish()
        else:
            writer.abort()
        # As check recorded it; the checksum and the report's key are saved with the next save.
        run = checked.run.model_copy(
            update={"checksum": checksum, "error_report": report_key if report.count else None}
        )
        if run.options.dry_run:
            return self._end(run, "CHECKED")
        if checked.rejected and run.options.on_error == "reject-file":
            return self._end(run, "REJECTED")
        if not planner.chunks:
            return self._end(run, "FINISHED", outcome="empty")
        return self._start(run, opened, planner, refused, etag)

    def _start(
        self,
        run: ImportRun,
        opened: OpenedUpload,
        planner: ChunkPlanner,
        refused: dict[str, set[int]],
        etag: str,
    ) -> Done | Ignored:
        """The checked run RUNNING, and its chunks sent."""
        if any(sum(map(len, skip.values())) > MAX_SKIPPED for skip in _skips(planner.chunks, refused)):
            return self._end(run, "FAILED", problem="a record group of the file is too large to import")
        self._write_plan(run.import_id, refused, etag)  # before RUNNING: a planner's redelivery reads it
        running = run.model_copy(
            update={
                "status": "RUNNING",
                "chunks_total": len(planner.chunks),
                "chunks_done": 0,
                "updated_at": utc_text(self._clock()),
            }
        )
        if not self._runs.save(running, expected_updated_at=run.updated_at):
            return Ignored("another planner planned the run")
        self._send(running, opened, planner, refused, etag)
        return Done("planned", run.import_id, len(planner.chunks))

    def _end(
        self, run: ImportRun, status: RunStatus, *, problem: str | None = None, outcome: Outcome | None = None
    ) -> Done:
        self._engine.finish(run, status, problem=problem)
        named: dict[RunStatus, Outcome] = {"CHECKED": "checked", "REJECTED": "rejected", "FAILED": "failed"}
        return Done(outcome or named.get(status, "finished"), run.import_id)

    def _write_plan(self, import_id: str, refused: Mapping[str, Collection[int]], etag: str) -> None:
        """plans/{id}.json: the refused lines per kind and the upload's ETag, as planned."""
        writer = self._objects.writer(import_plan_key(import_id), "application/json")
        plan = {"etag": etag, "refused": {kind: sorted(lines) for kind, lines in refused.items()}}
        try:
            writer.write(json.dumps(plan).encode())
        except BaseException:
            writer.abort()
            raise
        writer.finish()

    def _send(
        self,
        run: ImportRun,
        opened: OpenedUpload,
        planner: ChunkPlanner,
        refused: Mapping[str, Collection[int]],
        etag: str,
    ) -> None:
        skips = _skips(planner.chunks, refused)
        bodies = [
            ChunkMessage(
                import_id=run.import_id,
                chunk=number,
                first_line=line,
                start=start,
                end=end,
                header=list(opened.header),
                encoding=opened.encoding,
                skip=skips[number],
                etag=etag,
            ).model_dump_json()
            for number, (line, start, end) in enumerate(planner.chunks)
        ]
        for first in range(0, len(bodies), SEND_BATCH):
            self._queue.send_batch(bodies[first : first + SEND_BATCH])

    # A chunk -----------------------------------------------------------------------------------------

    def _note_report(self, import_id: str, chunk: int) -> ImportRun | None:
        """Record on the run that this chunk wrote a report (``error_chunks``: GET /imports/{id} links
        it, ImportFinished names it); a conditional save, read again while other chunks count."""
        for _ in range(NOTE_ATTEMPTS):
            run = self._runs.get(import_id)
            if run is None or chunk in run.error_chunks:
                return run
            noted = run.model_copy(
                update={
                    "error_chunks": sorted([*run.error_chunks, chunk]),
                    "updated_at": _later(run, self._clock()),
                }
            )
            if self._runs.save(noted, expected_updated_at=run.updated_at):
                return noted
        raise RetryLater("the run kept changing while its chunk report was noted")

    def apply(self, message: ChunkMessage) -> Done | Ignored | Poison:
        run = self._runs.get(message.import_id)
        if run is None:
            return Poison("chunk message: no such import run")
        if run.status in FINAL:
            return Ignored(f"the run is {run.status}")
        if run.status != "RUNNING":
            raise RetryLater(f"the run is {run.status}, not yet RUNNING")
        if run.chunks_total is None or message.chunk >= run.chunks_total or message.end <= message.start:
            return Poison("chunk message: not a chunk of the run's plan")
        return self._write_chunk(run, message)

    def _write_chunk(self, run: ImportRun, message: ChunkMessage) -> Done:
        fmt = self._formats(run.options.format)
        data = self._objects.read_range(
            import_upload_key(run.import_id, run.file_name), message.start, message.end, message.etag
        )
        if data is None:  # another PUT replaced the upload: the ranges planned are not of this file
            return self._end(run, "FAILED", problem=REPLACED)
        rows = read_rows(
            io.BytesIO(data),
            fmt.container,
            header=message.header if fmt.container == "csv" else None,
            first_line=message.first_line,
            base_offset=message.start,
            encoding=message.encoding,
        )
        report_key = import_error_key(run.import_id, fmt.container, message.chunk)
        writer = self._objects.writer(report_key, CONTENT_TYPES.get(fmt.container, "text/plain"))
        try:
            report = ErrorReport(writer, fmt.container, message.header)
            counted = self._engine.apply_chunk(
                run,
                message.chunk,
                fmt.entries(rows, self.read_options(run.options)),
                report,
                skip={kind: frozenset(lines) for kind, lines in message.skip.items()},
            )
        except BaseException:
            writer.abort()
            raise
        if report.count:
            writer.finish()
            self._note_report(run.import_id, message.chunk)
        else:
            writer.abort()
        if counted is None:  # a redelivery: counted before. Its finish may not have happened: check.
            counted = self._runs.get(run.import_id)
            if counted is None or counted.status != "RUNNING":
                return Done("redelivered", run.import_id)
            outcome: Outcome = "redelivered"
        else:
            outcome = "applied"
        if counted.chunks_total is not None and counted.chunks_done >= counted.chunks_total:
            self._engine.finish(counted, "FINISHED")
            return Done("finished", run.import_id, counted.chunks_done)
        return Done(outcome, run.import_id, counted.chunks_done)
