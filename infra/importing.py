"""``oms import FILE --format FORMAT``: one file through the import engine (``shared.services.imports``),
with progress bars and a reconciliation at the end; ``oms import DIR --format oms``: an export directory
(``oms export``), its files in order (products, stock, customers, orders).

A run goes: begin (or resume: an unfinished run of the same file and options carries on after the rows
it wrote), check every row (a progress bar over the file's bytes), then, unless it is a dry run or
reject-file refused rows, apply (a progress bar over the rows), and finish. The rows refused go to
``NAME.errors.csv`` (or ``.jsonl``) next to the file, with an ``_errors`` column; none, no file.

Exit codes: 0 nothing was refused; 1 rows were refused (the reconciliation and the error report say
which); 2 the command could not run: a wrong format name, a file that cannot be read (its encoding, a
truncated file, the wrong columns), said in one sentence.
"""

from __future__ import annotations

import getpass
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol

from infra.description import Table
from shared.models.imports import KINDS, FormatName, ImportOptions, ImportRun, Kind, OnError, RunStatus

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

    from shared.services.imports import Checked, ImportService
    from shared.transfer.records import Format, Parsed, ReadOptions, Row

OK, REFUSED, UNUSABLE = 0, 1, 2
OMS_DIRECTORY = "oms"  # --format oms: an export directory


class Unusable(Exception):
    """The command cannot run on this input: one sentence for the person at the terminal (exit 2)."""


class Importer(Protocol):
    """What the command drives: ``shared.services.imports.ImportService``."""

    def begin(
        self,
        *,
        file_name: str,
        checksum: str | None,
        options: ImportOptions,
        source: Any,
        actor: str,
        import_id: str | None = None,
    ) -> ImportRun: ...

    def check(self, run: ImportRun, parsed: Iterable[Parsed], report: Any) -> Checked: ...

    def apply(
        self,
        run: ImportRun,
        parsed: Iterable[Parsed],
        report: Any,
        *,
        progress: Callable[[int], None] = ...,
    ) -> ImportRun: ...

    def finish(self, run: ImportRun, status: RunStatus, *, problem: str | None = None) -> ImportRun: ...


@dataclass(frozen=True)
class Request:
    path: Path
    format: str
    on_error: OnError = "reject-file"
    dry_run: bool = False
    channel: str | None = None
    location: str | None = None
    currency: str = "EUR"


# --- reading the file ---------------------------------------------------------------------------


def error_report_path(path: Path, container: str) -> Path:
    """Where the rows refused go: next to the file, ``NAME.errors.csv`` or ``NAME.errors.jsonl``."""
    return path.with_name(f"{path.name}.errors.{container}")


class _File:
    """One pass over the file: its rows, then its entries, counting rows and bytes as they go."""

    def __init__(self, path: Path, fmt: Format, options: ReadOptions) -> None:
        self.path = path
        self.format = fmt
        self.options = options
        self.rows = 0
        self.offset = 0

    def _rows(self, stream: IO[bytes]) -> Iterator[Row]:
        from shared.transfer.files import rows

        for row in rows(stream, self.format.container):
            self.rows += 1
            self.offset = row.end
            yield row

    def entries(self, stream: IO[bytes]) -> Iterator[Parsed]:
        return self.format.entries(self._rows(stream), self.options)


def checksum_of(path: Path) -> str:
    from shared.transfer.files import sha256_of

    with path.open("rb") as stream:
        return sha256_of(stream)


def check_file(path: Path, fmt: Format) -> None:
    """The file's encoding and (CSV) its columns: a ``FileProblem`` before any row is read."""
    from shared.transfer.files import sniff
    from shared.transfer.formats import check_header

    if fmt.container != "csv":
        return
    with path.open("rb") as stream:
        check_header(fmt, sniff(stream).header)


def resume_line(path: Path, fmt: Format, read: ReadOptions, rows_done: int) -> int:
    """The line a resumed run carries on from: the first entry past ``rows_done``, counted as
    ``ImportService.apply`` counts it (each entry's rows; a products row with stock is two entries)."""
    from shared.transfer.files import rows

    position, last = 0, 1
    with path.open("rb") as stream:
        for item in fmt.entries(rows(stream, fmt.container), read):
            position += len(item.rows)
            if item.rows:
                last = item.rows[-1].line
                if position > rows_done:
                    return item.rows[0].line
    return last + 1


# --- progress -----------------------------------------------------------------------------------


class Phase:
    """A progress bar on a terminal; one summary line per phase anywhere else."""

    def __init__(self, console: Console, name: str, total: float | None, unit: str, *, live: bool) -> None:
        self._console = console
        self._name = name
        self._total = total
        self._unit = unit
        self._live = live
        self._progress: Progress | None = None
        self._task: Any = None
        self._started = time.monotonic()
        self.rows = 0

    def __enter__(self) -> Phase:
        if self._live:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TaskProgressColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            columns: list[Any] = [TextColumn("[bold]{task.description}"), BarColumn()]
            columns += [MofNCompleteColumn()] if self._unit == "rows" else [TaskProgressColumn()]
            columns += [
                TextColumn("{task.fields[rows]} rows, {task.fields[rate]} rows/s"),
                TimeElapsedColumn(),
                TextColumn("elapsed,"),
                TimeRemainingColumn(),
                TextColumn("left"),
            ]
            self._progress = Progress(*columns, console=self._console, transient=False)
            self._progress.start()
            self._task = self._progress.add_task(self._name, total=self._total, rows=0, rate="-")
        return self

    def update(self, completed: float, rows: int) -> None:
        self.rows = rows
        if self._progress is not None:
            elapsed = max(time.monotonic() - self._started, 1e-6)
            self._progress.update(self._task, completed=completed, rows=rows, rate=f"{rows / elapsed:,.0f}")

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()
        elapsed = max(time.monotonic() - self._started, 1e-6)
        if not self._live and exc[0] is None:
            self._console.print(
                f"{self._name}: {self.rows} rows in {elapsed:.1f} s ({self.rows / elapsed:,.0f} rows/s)",
                highlight=False,
            )


# --- the reconciliation -------------------------------------------------------------------------


def reconciliation(run: ImportRun) -> Any:
    """The table that ends an import: per kind the rows' fate, per currency the file's total against
    what was written."""
    from rich.table import Table

    table = Table(title=f"Import {run.import_id}: {run.status}", title_justify="left")
    for column in ("kind", "read", "created", "updated", "unchanged", "rejected"):
        table.add_column(column, justify="left" if column == "kind" else "right")
    for kind in [k for k in KINDS if k in run.counts] + sorted(set(run.counts) - set(KINDS)):
        c = run.counts[kind]
        table.add_row(kind, *(str(n) for n in (c.read, c.created, c.updated, c.unchanged, c.rejected)))
    if not run.counts:
        table.add_row("(nothing read)", "0", "0", "0", "0", "0")
    return table


def money_table(run: ImportRun) -> Any | None:
    from rich.table import Table

    if not run.totals:
        return None
    table = Table(title="Money per currency", title_justify="left")
    for column in ("currency", "in the file", "written", "difference"):
        table.add_column(column, justify="left" if column == "currency" else "right")
    for total in run.totals:
        difference = total.in_file - total.written
        marker = "" if difference == 0 else " [bold red]!"
        table.add_row(
            total.currency, f"{total.in_file:.2f}", f"{total.written:.2f}", f"{difference:.2f}{marker}"
        )
    return table


def rejected(run: ImportRun) -> int:
    return sum(c.rejected for c in run.counts.values())


# --- one file -----------------------------------------------------------------------------------


def _options(request: Request, fmt: Format) -> ImportOptions:
    return ImportOptions(
        format=fmt.name,
        on_error=request.on_error,
        dry_run=request.dry_run,
        channel=request.channel,
        **({"location": request.location} if request.location else {}),
    )


def _readable(path: Path, fmt: Format) -> str:
    """The file's SHA-256, once its encoding and (CSV) its columns are right; ``Unusable`` if not."""
    from shared.transfer.files import FileProblem

    if not path.is_file():
        raise Unusable(f"{path} is not a file")
    try:
        checksum = checksum_of(path)
        check_file(path, fmt)
    except OSError as exc:
        raise Unusable(f"{path} cannot be read: {exc.strerror or exc}") from None
    except FileProblem as exc:
        raise Unusable(f"{path.name}: {exc}") from None
    return checksum


def run_file(
    request: Request, importer_factory: Callable[[], Importer], console: Console, *, live: bool
) -> int:
    """Import one file; the exit code. ``Unusable`` for a file that cannot be imported at all (found
    before the stack is reached: ``importer_factory`` is called once the file is known to be readable)."""
    return import_file(request, importer_factory, console, live=live)[0]


def import_file(
    request: Request, importer_factory: Callable[[], Importer], console: Console, *, live: bool
) -> tuple[int, ImportRun]:
    """``run_file``, answering the run as it ended too."""
    from shared.transfer.files import ErrorReport, FileProblem
    from shared.transfer.formats import format_of
    from shared.transfer.records import ReadOptions

    try:
        fmt = format_of(request.format)
    except ValueError as exc:
        raise Unusable(str(exc)) from None
    path = request.path
    options = _options(request, fmt)
    checksum = _readable(path, fmt)
    read = ReadOptions(channel=options.channel, location=options.location, currency=request.currency)
    importer = importer_factory()
    run = importer.begin(
        file_name=path.name, checksum=checksum, options=options, source="cli", actor=f"cli:{_user()}"
    )
    if run.rows_done:
        console.print(f"resuming run {run.import_id} at line {resume_line(path, fmt, read, run.rows_done)}")
    else:
        dry = " (dry run)" if options.dry_run else ""
        console.print(f"run {run.import_id}: {path.name} as {fmt.name}{dry}")
    report_path = error_report_path(path, fmt.container)
    if run.rows_done and report_path.exists():
        # The rows the interrupted attempt's writers refused are in its report: keep it beside the new one.
        kept = report_path.with_name(f"{report_path.stem}.{run.import_id}-before-resume{report_path.suffix}")
        report_path.replace(kept)
        console.print(f"the interrupted attempt's refused rows: {kept}")
    with report_path.open("wb") as sink:
        report = ErrorReport(sink, fmt.container)
        try:
            run, status = _phases(importer, run, path, fmt, read, report, console, live=live)
        except FileProblem as exc:
            sink.close()
            _drop_empty(report_path, report.count)
            importer.finish(run, "FAILED", problem=str(exc))
            raise Unusable(f"{path.name}: {exc}") from None
    written = _drop_empty(report_path, report.count)
    if written:
        run = run.model_copy(update={"error_report": str(report_path)})
    run = importer.finish(run, status)
    _reconcile(run, console, report_path if written else None)
    return (REFUSED if rejected(run) or written else OK), run


def _phases(
    importer: Importer,
    run: ImportRun,
    path: Path,
    fmt: Format,
    read: ReadOptions,
    report: Any,
    console: Console,
    *,
    live: bool,
) -> tuple[ImportRun, RunStatus]:
    """Check, then (if the policy lets it) apply: the run after, and the status it ends with."""
    checked, run = _check(importer, run, path, fmt, read, report, console, path.stat().st_size, live=live)
    if run.options.dry_run:
        return run, "CHECKED"
    if run.options.on_error == "reject-file" and checked.rejected:
        return run, "REJECTED"
    return _apply(importer, run, path, fmt, read, report, console, checked.rows, live=live), "FINISHED"


def _reconcile(run: ImportRun, console: Console, report_path: Path | None) -> None:
    console.print(reconciliation(run))
    money = money_table(run)
    if money is not None:
        console.print(money)
    if report_path is not None:
        console.print(f"rows refused, with why: {report_path}")
    if run.status == "REJECTED":
        console.print("reject-file: nothing was imported; correct the rows (or use --on-error skip-rows)")
    elif run.status == "CHECKED":
        console.print("dry run: nothing was written")


def _drop_empty(path: Path, count: int) -> bool:
    if count:
        return True
    path.unlink(missing_ok=True)
    return False


def _check(
    importer: Importer,
    run: ImportRun,
    path: Path,
    fmt: Format,
    read: ReadOptions,
    report: Any,
    console: Console,
    size: int,
    *,
    live: bool,
) -> tuple[Checked, ImportRun]:
    file = _File(path, fmt, read)
    with Phase(console, "check", size, "bytes", live=live) as phase, path.open("rb") as stream:

        def watched() -> Iterator[Parsed]:
            for n, item in enumerate(file.entries(stream)):
                if n % 200 == 0:
                    phase.update(file.offset, file.rows)
                yield item
            phase.update(size, file.rows)

        checked = importer.check(run, watched(), report)
    return checked, checked.run


def _apply(
    importer: Importer,
    run: ImportRun,
    path: Path,
    fmt: Format,
    read: ReadOptions,
    report: Any,
    console: Console,
    rows: int,
    *,
    live: bool,
) -> ImportRun:
    file = _File(path, fmt, read)
    with Phase(console, "import", rows, "rows", live=live) as phase, path.open("rb") as stream:
        phase.update(run.rows_done, run.rows_done)
        return importer.apply(
            run, file.entries(stream), report, progress=lambda done: phase.update(done, done)
        )


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        return "unknown"


# --- an export directory ------------------------------------------------------------------------


def directory_files(directory: Path) -> list[tuple[Kind, Path, str | None]]:
    """The files of an export directory, in import order, each with its SHA-256 from the manifest
    (None without one: a directory put together by hand)."""
    from shared.services.exports import FILE_NAMES, MANIFEST, read_manifest

    found: list[tuple[Kind, Path, str | None]]
    if (directory / MANIFEST).is_file():
        try:
            manifest = read_manifest(directory)
            files = manifest["files"]
            found = [
                (kind, directory / files[kind]["file"], str(files[kind]["sha256"]))
                for kind in KINDS
                if kind in files
            ]
        except (ValueError, KeyError, TypeError) as exc:
            raise Unusable(f"{directory / MANIFEST} is not an export's manifest ({exc})") from None
    else:
        found = [
            (kind, directory / FILE_NAMES[kind], None)
            for kind in KINDS
            if (directory / FILE_NAMES[kind]).is_file()
        ]
    if not found:
        raise Unusable(
            f"{directory} holds no export (no manifest.json, none of {', '.join(FILE_NAMES.values())})"
        )
    for kind, path, sha256 in found:
        if not path.is_file():
            raise Unusable(f"the manifest names {path.name} ({kind}), which is not in {directory}")
        if sha256 is not None and checksum_of(path) != sha256:
            raise Unusable(
                f"{path.name} is not the file the export wrote (its SHA-256 differs from the manifest's)"
            )
    return found


def run_directory(
    request: Request, importer_factory: Callable[[], Importer], console: Console, *, live: bool
) -> int:
    """Every file of an export directory, in order; stops at the first that cannot be imported whole."""
    code = OK
    files = directory_files(request.path)
    built: list[Importer] = []

    def importer() -> Importer:
        if not built:
            built.append(importer_factory())
        return built[0]

    for kind, path, _ in files:
        console.rule(f"{kind}: {path.name}")
        name: FormatName = f"oms-{kind}"  # type: ignore[assignment]
        code = max(code, run_file(_with(request, path, name), importer, console, live=live))
        if code and request.on_error == "reject-file" and not request.dry_run:
            console.print(f"stopped after {path.name}: the files after it depend on it")
            return code
    return code


def _with(request: Request, path: Path, fmt: str) -> Request:
    return Request(
        path, fmt, request.on_error, request.dry_run, request.channel, request.location, request.currency
    )


def run(request: Request, importer_factory: Callable[[], Importer], console: Console, *, live: bool) -> int:
    """``oms import``: a file, or (``--format oms``) an export directory. Prints one sentence and
    answers 2 when the input cannot be imported."""
    try:
        if request.format == OMS_DIRECTORY:
            if not request.path.is_dir():
                raise Unusable(f"--format oms imports an export directory; {request.path} is not one")
            return run_directory(request, importer_factory, console, live=live)
        if request.path.is_dir():
            raise Unusable(f"{request.path} is a directory: an export imports with --format oms")
        return run_file(request, importer_factory, console, live=live)
    except Unusable as exc:
        print(f"oms import: {exc}", file=sys.stderr)
        return UNUSABLE
    except _stopping_errors() as exc:  # the stack refused or went away: one sentence, no traceback
        print(f"oms import: {stopped(exc)}", file=sys.stderr)
        return UNUSABLE


def _stopping_errors() -> tuple[type[Exception], ...]:
    """What stops an import part-way without a bug of ours: a resumable end, not a traceback."""
    from botocore.exceptions import BotoCoreError, ClientError

    from shared.dal.dynamo import Throttled
    from shared.dal.imports import ImportStoreError
    from shared.services.import_writers import WriteFailed
    from shared.services.imports import RunMoved

    return (BotoCoreError, ClientError, Throttled, ImportStoreError, WriteFailed, RunMoved)


def stopped(exc: Exception) -> str:
    """What to tell the operator when the writes stopped part-way (throttled past the retries, the run
    changed elsewhere, the endpoint gone): what happened, and that running the same command resumes."""
    from botocore.exceptions import BotoCoreError, ClientError

    if isinstance(exc, ClientError):
        why = f"the stack refused a request ({exc.response.get('Error', {}).get('Code', 'error')})"
    elif isinstance(exc, BotoCoreError):
        why = f"the stack could not be reached ({type(exc).__name__})"
    else:
        why = f"the writes stopped ({type(exc).__name__}: {exc})"
    return f"{why}; nothing is lost: run the same command again to resume where it stopped"


# --- the composition ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Where:
    """Where an import writes: the tables, the bus, the catalog currency."""

    dynamodb: Any
    events: Any
    table_name: Callable[[Table], str]
    bus_name: str
    currency: str


def import_service(where: Where) -> ImportService:
    """``shared.services.imports.ImportService`` over the stack's tables, as the imports worker builds
    it: the runs in the imports table, a writer and a live check per kind, ImportFinished on the bus."""
    from dataclasses import replace

    from infra.spec import CATALOG, CUSTOMERS, IMPORTS, ORDERS
    from shared.config import settings
    from shared.dal.events import EventPublisher
    from shared.dal.imports import ImportRunStore
    from shared.models.events import IMPORTS_SOURCE
    from shared.services.import_writers import standard_writers
    from shared.services.imports import ImportService
    from shared.services.order_imports import order_imports

    db, name = where.dynamodb, where.table_name
    writers, checks = standard_writers(db, catalog_table=name(CATALOG), customers_table=name(CUSTOMERS))
    writers["orders"], checks["orders"] = order_imports(
        db,
        orders_table=name(ORDERS),
        catalog_table=name(CATALOG),
        customers_table=name(CUSTOMERS),
        settings=replace(settings(), currency=where.currency),
    )
    return ImportService(
        ImportRunStore(db, name(IMPORTS)),
        writers,
        checks,
        EventPublisher(where.events, where.bus_name, IMPORTS_SOURCE),
    )


def compose(args: Any) -> Importer:
    """The import service where ``oms`` points (the local stack, or AWS with --aws)."""
    from infra import cli
    from infra.spec import EVENTS

    where = Where(
        cli.client(args, "dynamodb"),
        cli.client(args, "events"),
        lambda table: cli.table_name(args, table),
        EVENTS.name,  # the same name on AWS and locally
        args.currency,
    )
    return import_service(where)
