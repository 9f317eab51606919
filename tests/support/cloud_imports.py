"""Typed fakes of the import engine's side, for the cloud path's tests: the runs store (``ImportRuns``) and
the import service (check, apply_chunk counted once, finish). Each honours its contract (the Protocols of
``shared/services/import_jobs.py``, ``shared/dal/imports.py`` and ``shared/services/imports.py``)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from shared.dal.imports import RunExists
from shared.models.imports import (
    ImportOptions,
    ImportRun,
    KindCounts,
    RunStatus,
)
from shared.transfer.records import BadEntry, Parsed


class FakeRuns:
    """``ImportRuns`` in memory: conditional saves, chunks counted once."""

    def __init__(self) -> None:
        self.runs: dict[str, ImportRun] = {}
        self.counted: set[tuple[str, int]] = set()

    def create(self, run: ImportRun) -> None:
        if run.import_id in self.runs:
            raise RunExists(run.import_id)
        self.runs[run.import_id] = run

    def get(self, import_id: str) -> ImportRun | None:
        return self.runs.get(import_id)

    def page(self, cursor: str | None, limit: int) -> tuple[list[ImportRun], str | None]:
        made = list(self.runs)  # insertion order breaks a tie within one millisecond
        ordered = sorted(
            self.runs.values(), key=lambda r: (r.started_at, made.index(r.import_id)), reverse=True
        )
        first = int(cursor or 0)
        rest = ordered[first + limit :]
        return ordered[first : first + limit], str(first + limit) if rest else None

    def save(self, run: ImportRun, *, expected_updated_at: str) -> bool:
        stored = self.runs.get(run.import_id)
        if stored is None or stored.updated_at != expected_updated_at:
            return False
        self.runs[run.import_id] = run
        return True

    def count_chunk(
        self,
        import_id: str,
        chunk: int,
        counts: Mapping[str, KindCounts],
        written: Mapping[str, Decimal],
        rows: int,
        now: str,
    ) -> ImportRun | None:
        if (import_id, chunk) in self.counted:
            return None
        self.counted.add((import_id, chunk))
        run = self.runs[import_id]
        total = dict(run.counts)
        for kind, add in counts.items():
            have = total.get(kind, KindCounts())
            total[kind] = KindCounts(
                **{f: getattr(have, f) + getattr(add, f) for f in KindCounts.model_fields}
            )
        run = run.model_copy(
            update={
                "counts": total,
                "rows_done": run.rows_done + rows,
                "chunks_done": run.chunks_done + 1,
                "updated_at": now,
            }
        )
        self.runs[import_id] = run
        return run


@dataclass(frozen=True)
class FakeChecked:
    run: ImportRun
    rejected: int


@dataclass
class FakeEngine:
    """``ImportService``'s check, apply_chunk and finish over ``FakeRuns``; writes go to ``written``."""

    runs: FakeRuns
    written: dict[str, Any] = field(default_factory=dict)
    refuse: set[str] = field(default_factory=set)  # keys its writers refuse (a chunk's report)
    writes: int = 0
    finished: list[tuple[str, RunStatus, str | None]] = field(
        default_factory=list
    )  # the ImportFinished events

    def check(
        self,
        run: ImportRun,
        parsed: Iterable[Parsed],
        report: Any,
        *,
        rejected: Callable[[str, int], None] = lambda kind, line: None,
    ) -> FakeChecked:
        """As ImportService.check: reports bad entries and a key again (telling ``rejected``), records
        counts and rows_total on the run."""
        counts: dict[str, KindCounts] = {}
        seen: set[tuple[str, str]] = set()
        rows = 0
        for item in parsed:
            rows += len(item.rows)
            kind = item.kind or "products"
            have = counts.setdefault(kind, KindCounts())
            have.read += 1
            if isinstance(item, BadEntry) or (kind, item.key) in seen:
                have.rejected += 1
                report.add(item.rows, item.errors if isinstance(item, BadEntry) else ("a key again",))
                rejected(kind, item.rows[0].line)
                continue
            seen.add((kind, item.key))
        recorded = run.model_copy(
            update={"counts": counts, "rows_total": rows, "updated_at": run.updated_at + "c"}
        )
        assert self.runs.save(recorded, expected_updated_at=run.updated_at)
        return FakeChecked(recorded, sum(c.rejected for c in counts.values()))

    def apply_chunk(
        self,
        run: ImportRun,
        chunk: int,
        parsed: Iterable[Parsed],
        report: Any,
        *,
        skip: Mapping[str, Collection[int]] | None = None,
    ) -> ImportRun | None:
        counts: dict[str, KindCounts] = {}
        rows = 0
        for item in parsed:  # as the engine: what check refused is skipped, any other bad entry refused
            rows += len(item.rows)
            kind = item.kind or "products"
            if item.rows[0].line in (skip or {}).get(kind, ()):
                continue
            if isinstance(item, BadEntry):
                counts.setdefault(kind, KindCounts()).rejected += 1
                report.add(item.rows, item.errors)
                continue
            have = counts.setdefault(item.kind, KindCounts())
            if item.key in self.refuse:
                have.rejected += 1
                report.add(item.rows, ("refused by the writer",))
                continue
            self.writes += 1
            before = self.written.get(item.key)
            self.written[item.key] = item.record
            if before is None:
                have.created += 1
            elif before == item.record:
                have.unchanged += 1
            else:
                have.updated += 1
        return self.runs.count_chunk(run.import_id, chunk, counts, {}, rows, run.updated_at + "+")

    def finish(self, run: ImportRun, status: RunStatus, *, problem: str | None = None) -> ImportRun:
        fresh = self.runs.get(run.import_id)
        if fresh is not None and fresh.updated_at != run.updated_at:  # as ImportService: end it as it is now
            run = fresh.model_copy(update={"error_report": run.error_report or fresh.error_report})
        ended = run.model_copy(update={"status": status, "problem": problem, "finished_at": run.updated_at})
        if not self.runs.save(ended, expected_updated_at=run.updated_at):
            raise RuntimeError("the run moved on")
        self.finished.append((run.import_id, status, problem))
        return ended


def products_csv(count: int, *, bad: Sequence[int] = ()) -> bytes:
    """An oms-products CSV (as ``oms export`` writes it); the rows numbered in ``bad`` have a price that is
    no amount."""
    lines = ["sku,name,price,status,low_stock_threshold"]
    for n in range(count):
        lines.append(f"SKU-{n:05d},Product {n},{'oops' if n in bad else f'{n % 90 + 1}.50'},active,")
    return ("\r\n".join(lines) + "\r\n").encode()


def options(**values: Any) -> ImportOptions:
    return ImportOptions(format="oms-products", **values)
