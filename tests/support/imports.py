"""Typed fakes of the import engine's side, for the cloud path's tests: the runs store (``ImportRuns``), the
import service (check, apply_chunk counted once, finish), a CSV file reader with byte offsets and an error
report, and a products format. Each honours its contract (``shared/services/import_jobs.py``'s Protocols
and the contracts in ``shared/dal/imports.py`` and ``shared/services/imports.py``)."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from shared.models.imports import (
    FormatName,
    ImportOptions,
    ImportRun,
    Kind,
    KindCounts,
    ProductRecord,
    RunStatus,
)
from shared.services.import_jobs import FileProblem, ReportWriter
from shared.transfer.records import BadEntry, Entry, Parsed, ReadOptions, Row


class FakeRuns:
    """``ImportRuns`` in memory: conditional saves, chunks counted once."""

    def __init__(self) -> None:
        self.runs: dict[str, ImportRun] = {}
        self.counted: set[tuple[str, int]] = set()

    def create(self, run: ImportRun) -> None:
        if run.import_id in self.runs:
            raise ValueError(f"run {run.import_id} exists")
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
    writes: int = 0
    finished: list[tuple[str, RunStatus, str | None]] = field(
        default_factory=list
    )  # the ImportFinished events

    def check(self, run: ImportRun, parsed: Iterable[Parsed], report: Any) -> FakeChecked:
        """As ImportService.check: reports bad entries, records counts and rows_total on the run."""
        counts: dict[str, KindCounts] = {}
        rows = 0
        for item in parsed:
            rows += len(item.rows)
            kind = item.kind or "products"
            have = counts.setdefault(kind, KindCounts())
            have.read += 1
            if isinstance(item, BadEntry):
                have.rejected += 1
                report.add(item.rows, item.errors)
        recorded = run.model_copy(
            update={"counts": counts, "rows_total": rows, "updated_at": run.updated_at + "c"}
        )
        assert self.runs.save(recorded, expected_updated_at=run.updated_at)
        return FakeChecked(recorded, sum(c.rejected for c in counts.values()))

    def apply_chunk(
        self, run: ImportRun, chunk: int, parsed: Iterable[Parsed], report: Any
    ) -> ImportRun | None:
        counts: dict[str, KindCounts] = {}
        rows = 0
        for item in parsed:  # as the engine: bad entries were counted and reported by check
            rows += len(item.rows)
            if isinstance(item, BadEntry):
                continue
            have = counts.setdefault(item.kind, KindCounts())
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
        ended = run.model_copy(update={"status": status, "problem": problem, "finished_at": run.updated_at})
        if not self.runs.save(ended, expected_updated_at=run.updated_at):
            raise RuntimeError("the run moved on")
        self.finished.append((run.import_id, status, problem))
        return ended


@dataclass
class CsvOpened:
    header: tuple[str, ...]
    encoding: str
    _lines: Iterator[tuple[int, int, bytes]]
    _digest: Any
    _stream: IO[bytes]

    def rows(self) -> Iterator[Row]:
        for line, start, raw in self._lines:
            yield _row(self.header, raw, self.encoding, line, start)

    def checksum(self) -> str:
        for chunk in iter(lambda: self._stream.read(65536), b""):  # what was not read (nothing, normally)
            self._digest.update(chunk)
        return str(self._digest.hexdigest())


def _row(header: Sequence[str], raw: bytes, encoding: str, line: int, start: int) -> Row:
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise FileProblem(
            f"line {line} is not {encoding}: save the file as UTF-8 and upload it again"
        ) from exc
    (cells,) = list(csv.reader([text]))
    if len(cells) != len(header):
        raise FileProblem(
            f"line {line} has {len(cells)} cells, the header {len(header)}: the file is cut short"
        )
    return Row(line=line, start=start, end=start + len(raw), cells=dict(zip(header, cells, strict=True)))


class CsvReading:
    """One CSV record per physical line (no quoted newlines: enough for these tests), UTF-8 only."""

    def open(self, stream: IO[bytes], container: str) -> CsvOpened:
        digest = hashlib.sha256()
        first = stream.readline()
        digest.update(first)
        try:
            header = tuple(next(csv.reader([first.decode("utf-8").rstrip("\r\n")])))
        except (UnicodeDecodeError, StopIteration) as exc:
            raise FileProblem("the header is not UTF-8 CSV") from exc

        def lines() -> Iterator[tuple[int, int, bytes]]:
            offset, number = len(first), 2
            for raw in iter(stream.readline, b""):
                digest.update(raw)
                if raw.strip():
                    yield number, offset, raw.rstrip(b"\r\n")
                offset += len(raw)
                number += 1

        return CsvOpened(header, "utf-8", lines(), digest, stream)

    def rows_between(
        self,
        data: bytes,
        *,
        container: str,
        header: Sequence[str],
        encoding: str,
        first_line: int,
        start: int,
    ) -> Iterator[Row]:
        offset, number = start, first_line
        for raw in io.BytesIO(data):
            if raw.strip():
                yield _row(header, raw.rstrip(b"\r\n"), encoding, number, offset)
            offset += len(raw)
            number += 1

    def report(self, stream: ReportWriter, container: str, header: Sequence[str]) -> CsvReport:
        return CsvReport(stream, header)


class CsvReport:
    def __init__(self, stream: ReportWriter, header: Sequence[str]) -> None:
        self._stream = stream
        self._header = list(header)
        self._count = 0

    @property
    def count(self) -> int:
        return self._count

    def add(self, rows: Sequence[Row], errors: Sequence[str]) -> None:
        text = io.StringIO()
        writer = csv.writer(text)
        if self._count == 0:
            writer.writerow([*self._header, "_errors"])
        for row in rows:
            writer.writerow([*(str(row.cells.get(c, "")) for c in self._header), "; ".join(errors)])
        self._stream.write(text.getvalue().encode())
        self._count += len(rows)


class ProductsFormat:
    """A products CSV: SKU, Name, Price; a row without a SKU or price is a bad entry."""

    name: FormatName = "oms-products"
    kind: Kind = "products"
    container = "csv"

    def required_columns(self) -> frozenset[str]:
        return frozenset({"SKU", "Name", "Price"})

    def entries(self, rows: Iterable[Row], options: ReadOptions) -> Iterator[Parsed]:
        for row in rows:
            sku, price = str(row.cells["SKU"]), str(row.cells["Price"])
            try:
                amount = Decimal(price)
            except InvalidOperation:
                yield BadEntry(
                    rows=(row,), errors=("Price: not an amount",), kind="products", key=sku or None
                )
                continue
            if not sku:
                yield BadEntry(rows=(row,), errors=("SKU: missing",), kind="products")
                continue
            record = ProductRecord(sku=sku, name=str(row.cells["Name"]), price=amount)
            yield Entry(kind="products", key=sku, record=record, rows=(row,))


def formats(name: FormatName) -> ProductsFormat:
    if name != "oms-products":
        raise KeyError(name)
    return ProductsFormat()


def products_csv(count: int, *, bad: Sequence[int] = ()) -> bytes:
    lines = ["SKU,Name,Price"]
    for n in range(count):
        lines.append(f"SKU-{n:05d},Product {n},{'oops' if n in bad else f'{n % 90 + 1}.50'}")
    return ("\r\n".join(lines) + "\r\n").encode()


def options(**values: Any) -> ImportOptions:
    return ImportOptions(format="oms-products", **values)
