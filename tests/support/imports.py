"""Fakes and builders for the import engine's tests: entries as a format makes them, an error report, a
runs store in memory (``ImportRuns``), writers that answer as told and a publisher that keeps events."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from shared.models.imports import (
    CustomerImport,
    ImportOptions,
    ImportRun,
    KindCounts,
    ProductRecord,
    StockRecord,
)
from shared.services.import_writes import Provenance, WriteOutcome, Written
from shared.transfer.records import BadEntry, Entry, Parsed, Row


class Lines:
    """Hands out rows in file order: line 2 first (line 1 is the header), byte ranges adjacent."""

    def __init__(self) -> None:
        self.line = 2
        self.offset = 100

    def rows(self, n: int = 1) -> tuple[Row, ...]:
        made = []
        for _ in range(n):
            made.append(Row(self.line, self.offset, self.offset + 50, {}))
            self.line += 1
            self.offset += 50
        return tuple(made)


def product(lines: Lines, sku: str, price: str = "9.99", name: str | None = None, **more: Any) -> Entry:
    record = ProductRecord(sku=sku, name=name or f"Product {sku}", price=Decimal(price), **more)
    return Entry("products", sku, record, lines.rows())


def stock(lines: Lines, sku: str, on_hand: int, location: str = "default") -> Entry:
    record = StockRecord(sku=sku, location=location, on_hand=on_hand)
    return Entry("stock", f"{sku}#{location}", record, lines.rows())


def customer(lines: Lines, email: str, **more: Any) -> Entry:
    record = CustomerImport(email=email, **more)
    return Entry("customers", record.email, record, lines.rows())


def bad(lines: Lines, *errors: str, kind: Any = None, rows: int = 1) -> BadEntry:
    return BadEntry(lines.rows(rows), errors or ("Variant Price: not an amount",), kind=kind)


@dataclass
class Report:
    """``ErrorReport``: what was added, by first line."""

    added: list[tuple[int, tuple[str, ...]]] = field(default_factory=list)

    def add(self, rows: Sequence[Row], errors: Sequence[str]) -> None:
        self.added.append((rows[0].line, tuple(errors)))

    @property
    def count(self) -> int:
        return len(self.added)

    def lines(self) -> list[int]:
        return sorted(line for line, _ in self.added)


class MemoryRuns:
    """``ImportRuns`` in memory, with the DynamoDB store's conditions."""

    def __init__(self) -> None:
        self.runs: dict[str, ImportRun] = {}
        self.chunks: set[tuple[str, int]] = set()
        self.saves = 0

    def create(self, run: ImportRun) -> None:
        assert run.import_id not in self.runs
        self.runs[run.import_id] = run

    def get(self, import_id: str) -> ImportRun | None:
        return self.runs.get(import_id)

    def page(self, cursor: str | None, limit: int) -> tuple[list[ImportRun], str | None]:
        runs = sorted(self.runs.values(), key=lambda r: (r.started_at, r.import_id), reverse=True)
        return runs[:limit], None

    def save(self, run: ImportRun, *, expected_updated_at: str) -> bool:
        if self.runs[run.import_id].updated_at != expected_updated_at:
            return False
        self.runs[run.import_id] = run
        self.saves += 1
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
        if (import_id, chunk) in self.chunks:
            return None
        self.chunks.add((import_id, chunk))
        run = self.runs[import_id]
        merged = dict(run.counts)
        for kind, add in counts.items():
            have = merged.get(kind, KindCounts())
            merged[kind] = KindCounts(
                **{f: getattr(have, f) + getattr(add, f) for f in KindCounts.model_fields}
            )
        totals = {t.currency: t for t in run.totals}
        for currency, amount in written.items():
            if currency in totals:
                totals[currency] = totals[currency].model_copy(
                    update={"written": totals[currency].written + amount}
                )
        run = run.model_copy(
            update={
                "counts": merged,
                "totals": list(totals.values()),
                "rows_done": run.rows_done + rows,
                "chunks_done": run.chunks_done + 1,
                "updated_at": now,
            }
        )
        self.runs[import_id] = run
        return run

    def unfinished(self, checksum: str, options: ImportOptions) -> ImportRun | None:
        for run in self.runs.values():
            if (
                run.checksum == checksum
                and run.options == options
                and run.status in ("VALIDATING", "RUNNING")
            ):
                return run
        return None


class ScriptedWriter:
    """``KindWriter``: each entry's outcome from ``outcomes`` by key ("created" unless told), the
    batches it was handed; raises once ``fail_after`` batches were written."""

    def __init__(
        self,
        outcomes: Mapping[str, WriteOutcome] | None = None,
        *,
        money: Mapping[str, tuple[tuple[str, Decimal], ...]] | None = None,
        fail_after: int | None = None,
        log: list[str] | None = None,
    ) -> None:
        self.outcomes = dict(outcomes or {})
        self.money = dict(money or {})
        self.fail_after = fail_after
        self.batches: list[list[str]] = []
        self.provenances: list[Provenance] = []
        self.log = log if log is not None else []

    def write(self, entries: Sequence[Entry], provenance: Provenance) -> list[Written]:
        if self.fail_after is not None and len(self.batches) >= self.fail_after:
            raise RuntimeError("the writer's process died")
        self.batches.append([e.key for e in entries])
        self.provenances.append(provenance)
        self.log += [f"{e.kind}:{e.key}" for e in entries]
        written = []
        for entry in entries:
            outcome = self.outcomes.get(entry.key, "created")
            errors = ("refused by the writer",) if outcome == "rejected" else ()
            written.append(Written(entry, outcome, errors, self.money.get(entry.key, ())))
        return written

    def keys(self) -> list[str]:
        return [key for batch in self.batches for key in batch]


class ScriptedCheck:
    """``LiveCheck``: the errors of the keys in ``refuse``; the batches it was handed."""

    def __init__(self, refuse: Mapping[str, tuple[str, ...]] | None = None) -> None:
        self.refuse = dict(refuse or {})
        self.batches: list[list[str]] = []

    def check(self, entries: Sequence[Entry]) -> dict[str, tuple[str, ...]]:
        self.batches.append([e.key for e in entries])
        return {e.key: self.refuse[e.key] for e in entries if e.key in self.refuse}


@dataclass
class Published:
    """``Publisher``: the events put, in order."""

    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def publish(self, detail_type: str, detail: dict[str, Any], *, resources: tuple[str, ...] = ()) -> str:
        self.events.append((detail_type, detail))
        return f"event-{len(self.events)}"


def parsed_list(*items: Parsed) -> list[Parsed]:
    return list(items)
