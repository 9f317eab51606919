"""The import engine: what ``oms import`` and the imports worker drive, whatever the format.

A run goes

    begin   a new run (VALIDATING), or the unfinished run of the same file and options (resume)
    check   every entry: the file's own checks (bad entries, a natural key twice, a kind this service
            has no writer for) and, under
            reject-file or a dry run, the writers' live checks; bad rows go to the error report
    apply   (not a dry run; under reject-file only when check refused nothing) batches of entries
            written by each kind's writer, the run checkpointed after each batch (RUNNING)
    finish  FINISHED, REJECTED, CHECKED or FAILED, and an ``ImportFinished`` event on the bus

or, in the cloud, ``apply_chunk`` per SQS message of rows, each chunk counted once (``count_chunk``).

Positions. ``rows_done`` counts the rows of the entries (not the file's lines: a CSV cell may span
lines) up to and including the last entry written; ``rows_total`` those of every entry. A row that makes
two entries (a Shopify product row with stock: its product and its count) counts once per entry, so every
entry has a position of its own and a checkpoint between the two never skips the second on resume. A
resumed ``apply`` skips every entry that ends at or before ``rows_done``: those were written (the writers
are idempotent by natural key, so a batch written but not checkpointed before a crash is written again
as "unchanged").

Rejections. A bad entry and a second entry of one key are reported by ``check`` (and skipped by
``apply`` without reporting them again). The live checks run in ``check`` under reject-file (nothing may
be written if anything would be refused) and in a dry run; under skip-rows the writer's own refusal at
write time is the check (reported once, by ``apply``), so the live data is read once.

Memory. The file is streamed (``parsed`` is an iterator), a batch at a time. The one thing that grows
is the set of natural keys seen (to find a key twice): one short string per entry.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from shared.dal.imports import ImportRuns
from shared.domain.moments import utc_text
from shared.models.events import IMPORT_FINISHED, ImportFinished
from shared.models.imports import (
    KINDS,
    CurrencyTotal,
    ImportOptions,
    ImportRun,
    Kind,
    KindCounts,
    ProductRecord,
    RunSource,
    RunStatus,
    StockRecord,
)
from shared.retry import MAX_ATTEMPTS, pause
from shared.services.import_writes import KindWriter, LiveCheck, Provenance, Written
from shared.transfer.formats import format_of
from shared.transfer.records import BadEntry, Entry, Parsed, Row

BATCH_SIZE = 100  # entries per batch: what a writer reads in one BatchGetItem and writes in one transaction
TERMINAL: frozenset[RunStatus] = frozenset({"FINISHED", "REJECTED", "CHECKED", "FAILED"})

KEY_NAMES: Mapping[Kind, str] = {
    "products": "SKU",
    "stock": "SKU and location",
    "customers": "email",
    "orders": "order",
}


class ErrorReport(Protocol):
    """``shared.transfer.files.ErrorReport``: the rows refused, each with why."""

    def add(self, rows: Sequence[Row], errors: Sequence[str]) -> None: ...


class Publisher(Protocol):
    """``shared.dal.events.EventPublisher`` (source ``oms.imports``)."""

    def publish(
        self, detail_type: str, detail: dict[str, Any], *, resources: tuple[str, ...] = ()
    ) -> str: ...


class ApplyRefused(RuntimeError):
    """``apply`` was asked for what the policy forbids: a dry run, a finished run, or a reject-file run
    whose check refused rows."""


class RunMoved(RuntimeError):
    """The run's record changed under this process (another worker on the same run): stop; running the
    import again resumes from the record."""


@dataclass(frozen=True)
class Checked:
    """What ``check`` found: per kind entries read and refused, the file's own totals per currency, the
    file's rows; ``run`` is the run as recorded after (its counts, totals and rows_total)."""

    run: ImportRun
    counts: dict[str, KindCounts]
    totals: dict[str, Decimal]
    rows: int

    @property
    def rejected(self) -> int:
        return sum(c.rejected for c in self.counts.values())


@dataclass
class _Tally:
    """Counts and written money of part of a run (a batch, a chunk), to add to the run's."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    written: dict[str, Decimal] = field(default_factory=dict)

    def count(self, kind: str, outcome: str, n: int = 1) -> None:
        kind_counts = self.counts.setdefault(kind, {})
        kind_counts[outcome] = kind_counts.get(outcome, 0) + n

    def money(self, written: Written) -> None:
        for currency, amount in written.money:
            self.written[currency] = self.written.get(currency, Decimal(0)) + amount

    def kind_counts(self) -> dict[str, KindCounts]:
        return {kind: KindCounts(**numbers) for kind, numbers in self.counts.items()}

    def added_to(self, run: ImportRun) -> tuple[dict[str, KindCounts], list[CurrencyTotal]]:
        counts = dict(run.counts)
        for kind, numbers in self.counts.items():
            current = counts.get(kind, KindCounts())
            counts[kind] = current.model_copy(
                update={name: getattr(current, name) + n for name, n in numbers.items()}
            )
        totals = {t.currency: t for t in run.totals}
        for currency, amount in self.written.items():
            total = totals.get(
                currency, CurrencyTotal(currency=currency, in_file=Decimal(0), written=Decimal(0))
            )
            totals[currency] = total.model_copy(update={"written": total.written + amount})
        return counts, [totals[c] for c in sorted(totals)]


def _kind(item: Parsed, options: ImportOptions) -> Kind:
    """An entry's kind; a bad entry that names none (a row too broken to say) is of the format's kind
    (a products file's rows are also its stock, but its broken rows count as products)."""
    if isinstance(item, BadEntry):
        return item.kind or format_of(options.format).kind
    return item.kind


class ImportService:
    def __init__(
        self,
        runs: ImportRuns,
        writers: Mapping[Kind, KindWriter],
        checks: Mapping[Kind, LiveCheck],
        events: Publisher,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
        sleep: Callable[[float], None] = time.sleep,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self._runs = runs
        self._writers = writers
        self._checks = checks
        self._events = events
        self._clock = clock
        self._new_id = new_id
        self._sleep = sleep
        self._batch_size = batch_size

    # --- begin ---------------------------------------------------------------------------------

    def begin(
        self,
        *,
        file_name: str,
        checksum: str | None,
        options: ImportOptions,
        source: RunSource,
        actor: str,
        import_id: str | None = None,
    ) -> ImportRun:
        """A new run; or the run ``import_id`` names (an upload's, announced by ``POST /imports``: now
        VALIDATING); or (not a dry run) the unfinished run of the same file and options, to resume."""
        now = utc_text(self._clock())
        if import_id is not None:
            existing = self._runs.get(import_id)
            if existing is not None:
                if existing.status != "AWAITING_UPLOAD":
                    return existing
                return self._save(
                    existing,
                    status="VALIDATING",
                    checksum=checksum or existing.checksum,
                    file_name=file_name,
                    started_at=now,
                )
        if checksum is not None and not options.dry_run:
            unfinished = self._runs.unfinished(checksum, options)
            if unfinished is not None:
                return unfinished
        run = ImportRun(
            import_id=import_id or self._new_id(),
            file_name=file_name,
            checksum=checksum,
            options=options,
            source=source,
            actor=actor,
            status="VALIDATING",
            started_at=now,
            updated_at=now,
        )
        self._runs.create(run)
        return run

    # --- check ---------------------------------------------------------------------------------

    def check(
        self,
        run: ImportRun,
        parsed: Iterable[Parsed],
        report: ErrorReport,
        *,
        rejected: Callable[[str, int], None] = lambda kind, line: None,
    ) -> Checked:
        """Read every entry; report what would be refused. Writes nothing but the run's record: its
        counts read and rejected (only on a run's first check: a resumed run keeps its own), the file's
        totals and rows_total. ``rejected(kind, first line)`` hears of every entry the file's own checks
        refuse (bad, a key again, a kind not imported here): the cloud path's chunks skip them."""
        options = run.options
        live = options.dry_run or options.on_error == "reject-file"
        tally = _Tally()
        totals: dict[str, Decimal] = {}
        seen: dict[tuple[Kind, str], int] = {}  # the first line of each key: the one set that grows
        product_skus: set[str] = set()  # products of this file: its stock entries may name them
        batch: list[Entry] = []
        rows = 0
        for item in parsed:
            rows += len(item.rows)
            kind = _kind(item, options)
            tally.count(kind, "read")
            line = item.rows[0].line if item.rows else 0
            if isinstance(item, BadEntry):
                report.add(item.rows, item.errors)
                tally.count(kind, "rejected")
                rejected(kind, line)
                continue
            for currency, amount in item.file_totals:
                totals[currency] = totals.get(currency, Decimal(0)) + amount
            first = seen.get((kind, item.key))
            if first is not None:
                report.add(item.rows, (f"the {KEY_NAMES[kind]} is also on line {first}",))
                tally.count(kind, "rejected")
                rejected(kind, line)
                continue
            seen[(kind, item.key)] = line
            if kind not in self._writers:
                report.add(item.rows, (f"{kind} cannot be imported here",))
                tally.count(kind, "rejected")
                rejected(kind, line)
                continue
            if isinstance(item.record, ProductRecord):
                product_skus.add(item.record.sku)
            if live:
                batch.append(item)
                if len(batch) >= self._batch_size:
                    self._live_check(batch, product_skus, report, tally)
                    batch = []
        if live and batch:
            self._live_check(batch, product_skus, report, tally)
        counts = tally.kind_counts()
        first_check = run.status == "VALIDATING" and run.rows_done == 0
        in_run = {t.currency: t for t in run.totals}
        recorded = self._save(
            run,
            counts=counts if first_check else run.counts,
            totals=[
                CurrencyTotal(
                    currency=currency,
                    in_file=totals.get(currency, Decimal(0)),
                    written=in_run[currency].written if currency in in_run else Decimal(0),
                )
                for currency in sorted(set(totals) | set(in_run))
            ],
            rows_total=rows,
        )
        return Checked(run=recorded, counts=counts, totals=totals, rows=rows)

    def _live_check(
        self, batch: Sequence[Entry], product_skus: set[str], report: ErrorReport, tally: _Tally
    ) -> None:
        for kind in KINDS:
            check = self._checks.get(kind)
            entries = [
                e
                for e in batch
                if e.kind == kind
                # A product of this same file is not live yet in a dry run: its stock is checked by the file.
                and not (isinstance(e.record, StockRecord) and e.record.sku in product_skus)
            ]
            if check is None or not entries:
                continue
            found = check.check(entries)
            for entry in entries:
                errors = found.get(entry.key)
                if errors:
                    report.add(entry.rows, errors)
                    tally.count(kind, "rejected")

    # --- apply ---------------------------------------------------------------------------------

    def start(self, run: ImportRun) -> ImportRun:
        """VALIDATING -> RUNNING, if the policy lets this run write at all (``ApplyRefused`` if not)."""
        if run.options.dry_run:
            raise ApplyRefused("a dry run writes nothing")
        if run.status not in ("VALIDATING", "RUNNING"):
            raise ApplyRefused(f"the run is {run.status}")
        if run.status == "RUNNING":
            return run  # resumed: the policy let it write when it started (a refusal since is the writer's)
        if run.options.on_error == "reject-file" and any(c.rejected for c in run.counts.values()):
            raise ApplyRefused("reject-file: the check refused rows, so nothing is imported")
        return self._save(run, status="RUNNING")

    def apply(
        self,
        run: ImportRun,
        parsed: Iterable[Parsed],
        report: ErrorReport,
        *,
        progress: Callable[[int], None] = lambda rows: None,
    ) -> ImportRun:
        """Write the file's entries in batches, checkpointing the run after each (``rows_done``, counts,
        written money). Entries ending at or before ``rows_done`` are skipped (a resumed run); bad entries
        and a key's second entry are skipped (``check`` reported them). ``progress`` gets the rows done."""
        run = self.start(run)
        seen: set[tuple[Kind, str]] = set()
        batch: list[Entry] = []
        position = 0
        for item in parsed:
            position += len(item.rows)
            if isinstance(item, BadEntry):
                continue
            key = (item.kind, item.key)
            if key in seen or item.kind not in self._writers:
                continue
            seen.add(key)
            if position <= run.rows_done:
                continue
            batch.append(item)
            if len(batch) >= self._batch_size:
                run = self._checkpoint(run, self._write(run, batch, report), position)
                progress(position)
                batch = []
        if batch or position > run.rows_done:
            run = self._checkpoint(run, self._write(run, batch, report), position)
            progress(position)
        return run

    def apply_chunk(
        self,
        run: ImportRun,
        chunk: int,
        parsed: Iterable[Parsed],
        report: ErrorReport,
        *,
        skip: Mapping[str, Collection[int]] | None = None,
    ) -> ImportRun | None:
        """Write one chunk of the file (the cloud path: one SQS message of rows) and count it once: the
        run after, or None when the chunk was counted already (a redelivery: its writes came to nothing
        new, the writers being idempotent). ``skip``: per kind, the first lines of the entries ``check``
        refused (bad, a key already met earlier in the file, even in another chunk): they were counted and
        reported then, and are not written. A bad entry the check did not see (it cannot happen when the
        chunk holds whole record groups) is reported and counted rejected here, never dropped."""
        if run.options.dry_run or run.status not in ("VALIDATING", "RUNNING"):
            raise ApplyRefused(f"the run is {'a dry run' if run.options.dry_run else run.status}")
        if (
            run.status == "VALIDATING"
            and run.options.on_error == "reject-file"
            and any(c.rejected for c in run.counts.values())
        ):
            raise ApplyRefused("reject-file: the check refused rows, so nothing is imported")
        skip = skip or {}
        tally = _Tally()
        seen: set[tuple[Kind, str]] = set()
        batch: list[Entry] = []
        rows = 0
        for item in parsed:
            rows += len(item.rows)
            kind = _kind(item, run.options)
            if (item.rows[0].line if item.rows else 0) in skip.get(kind, ()):
                continue
            if isinstance(item, BadEntry):
                report.add(item.rows, item.errors)
                tally.count(kind, "rejected")
                continue
            if (item.kind, item.key) in seen or item.kind not in self._writers:
                continue
            seen.add((item.kind, item.key))
            batch.append(item)
            if len(batch) >= self._batch_size:
                self._write(run, batch, report, tally)
                batch = []
        if batch:
            self._write(run, batch, report, tally)
        return self._runs.count_chunk(
            run.import_id, chunk, tally.kind_counts(), tally.written, rows, utc_text(self._clock())
        )

    def _write(
        self, run: ImportRun, batch: Sequence[Entry], report: ErrorReport, tally: _Tally | None = None
    ) -> _Tally:
        """One batch, kind by kind in import order (a file's products before their stock)."""
        tally = tally if tally is not None else _Tally()
        provenance = Provenance(run.import_id, datetime.fromisoformat(run.started_at))
        for kind in KINDS:
            entries = [entry for entry in batch if entry.kind == kind]
            if not entries:
                continue
            results = self._writers[kind].write(entries, provenance)
            if len(results) != len(entries):
                raise RuntimeError(f"the {kind} writer answered {len(results)} of {len(entries)} entries")
            for written in results:
                tally.count(kind, written.outcome)
                tally.money(written)
                if written.outcome == "rejected":
                    report.add(written.entry.rows, written.errors)
        return tally

    def _checkpoint(self, run: ImportRun, tally: _Tally, position: int) -> ImportRun:
        counts, totals = tally.added_to(run)
        return self._save(run, counts=counts, totals=totals, rows_done=position)

    # --- finish --------------------------------------------------------------------------------

    def finish(self, run: ImportRun, status: RunStatus, *, problem: str | None = None) -> ImportRun:
        """End the run (its ``error_report`` as the caller set it on ``run``) and publish ImportFinished.

        The event is published (retried with backoff) before the record is saved: a publish that fails
        leaves the run unfinished, so the caller's retry (the redelivered message that finishes it) ends
        it again and publishes; had the record been saved first, that retry would find the run ended and
        the event would never go out. A run already ended with this status is published again (at least
        once: consumers deduplicate on ``import_id``)."""
        if status not in TERMINAL:
            raise ValueError(f"{status} does not end a run")
        if run.status == status and run.finished_at is not None:
            self._publish(run)
            return run
        now = utc_text(self._clock())
        for attempt in range(MAX_ATTEMPTS):
            fresh = self._runs.get(run.import_id)
            if fresh is None:
                raise RunMoved(f"run {run.import_id} is gone")
            if fresh.updated_at != run.updated_at:  # it moved on meanwhile: end the run as it is now
                run = fresh.model_copy(update={"error_report": run.error_report or fresh.error_report})
            changes: dict[str, Any] = {
                "status": status,
                "finished_at": now,
                "updated_at": self._next_time(run),
            }
            if problem is not None:
                changes["problem"] = problem
            ended = run.model_copy(update=changes)
            self._publish(ended)
            if self._runs.save(ended, expected_updated_at=run.updated_at):
                return ended
            pause(attempt, self._sleep)
        raise RunMoved(f"run {run.import_id} kept changing")

    def _publish(self, run: ImportRun) -> None:
        event = ImportFinished(
            import_id=run.import_id,
            format=run.options.format,
            dry_run=run.options.dry_run,
            status=run.status,
            rows_done=run.rows_done,
            counts=run.counts,
            totals=run.totals,
            error_report=run.error_report,
            error_chunks=run.error_chunks,
            started_at=run.started_at,
            finished_at=run.finished_at or run.updated_at,
        )
        detail = event.model_dump(mode="json")
        for attempt in range(MAX_ATTEMPTS):
            try:
                self._events.publish(IMPORT_FINISHED, detail)
                return
            except Exception:
                if attempt + 1 == MAX_ATTEMPTS:
                    raise
                pause(attempt, self._sleep)

    # --- the run's record ----------------------------------------------------------------------

    def _save(self, run: ImportRun, **changes: Any) -> ImportRun:
        saved = run.model_copy(update={**changes, "updated_at": self._next_time(run)})
        if not self._runs.save(saved, expected_updated_at=run.updated_at):
            raise RunMoved(f"run {run.import_id} was changed by another process")
        return saved

    def _next_time(self, run: ImportRun) -> str:
        """Now; at least a microsecond after the run's last save (``save`` is conditional on it)."""
        now = utc_text(self._clock())
        return (
            now
            if now > run.updated_at
            else utc_text(datetime.fromisoformat(run.updated_at) + timedelta(microseconds=1))
        )
