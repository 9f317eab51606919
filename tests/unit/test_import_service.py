"""The import engine's policy with fakes: what check reports, what apply writes and skips, checkpoints and
resume, chunks counted once, the error policies, and how a run ends."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from shared.models.imports import ImportOptions, ImportRun, Kind, KindCounts, OnError
from shared.services.imports import ApplyRefused, ImportService
from shared.transfer.records import Entry, Parsed
from tests.support.imports import (
    Lines,
    MemoryRuns,
    Published,
    Report,
    ScriptedCheck,
    ScriptedWriter,
    bad,
    customer,
    product,
    stock,
)


def ticking() -> Callable[[], datetime]:
    start = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
    seconds = itertools.count()
    return lambda: start + timedelta(seconds=next(seconds))


class Harness:
    def __init__(self, *, batch_size: int = 2, **writers: ScriptedWriter) -> None:
        self.runs = MemoryRuns()
        self.events = Published()
        self.writers: dict[Kind, ScriptedWriter] = {
            "products": writers.get("products", ScriptedWriter()),
            "stock": writers.get("stock", ScriptedWriter()),
            "customers": writers.get("customers", ScriptedWriter()),
        }
        self.checks: dict[Kind, ScriptedCheck] = {
            "products": ScriptedCheck(),
            "stock": ScriptedCheck(),
            "customers": ScriptedCheck(),
        }
        ids = (f"run-{n}" for n in itertools.count(1))
        self.service = ImportService(
            self.runs,
            self.writers,
            self.checks,
            self.events,
            clock=ticking(),
            new_id=lambda: next(ids),
            sleep=lambda _: None,
            batch_size=batch_size,
        )

    def begin(
        self, on_error: OnError = "skip-rows", *, dry_run: bool = False, checksum: str = "c1"
    ) -> ImportRun:
        options = ImportOptions(format="oms-products", on_error=on_error, dry_run=dry_run)
        return self.service.begin(
            file_name="products.csv", checksum=checksum, options=options, source="cli", actor="cli:test"
        )


def counts(run: ImportRun, kind: str) -> dict[str, int]:
    return run.counts.get(kind, KindCounts()).model_dump()


def test_check_reports_bad_entries_and_a_key_twice_and_counts_per_kind() -> None:
    h = Harness()
    lines = Lines()
    file: list[Parsed] = [
        product(lines, "A"),  # line 2
        bad(lines, "Variant Price: not an amount", kind="products"),  # line 3
        product(lines, "B"),  # line 4
        product(lines, "A", price="5.00"),  # line 5: A again
        stock(lines, "A", 3),  # line 6
        customer(lines, "x@example.com"),  # line 7
        bad(lines, rows=2),  # lines 8-9: no kind, the format's
    ]
    report = Report()
    checked = h.service.check(h.begin(), file, report)

    assert report.added == [
        (3, ("Variant Price: not an amount",)),
        (5, ("the SKU is also on line 2",)),
        (8, ("Variant Price: not an amount",)),
    ]
    assert checked.counts["products"] == KindCounts(read=5, rejected=3)
    assert checked.counts["stock"] == KindCounts(read=1)
    assert checked.counts["customers"] == KindCounts(read=1)
    assert checked.rows == 8 and checked.rejected == 3
    # Recorded on the run.
    assert checked.run.counts == checked.counts and checked.run.rows_total == 8
    assert h.runs.get(checked.run.import_id) == checked.run


def test_check_sums_the_files_totals_per_currency() -> None:
    h = Harness()
    lines = Lines()
    first = Entry("orders", "web#1", product(lines, "X").record, lines.rows(), (("EUR", Decimal("10.50")),))
    second = Entry("orders", "web#2", product(lines, "Y").record, lines.rows(), (("EUR", Decimal("1.25")),))
    third = Entry("orders", "web#3", product(lines, "Z").record, lines.rows(), (("USD", Decimal("3")),))
    checked = h.service.check(h.begin(), [first, second, third], Report())

    assert checked.totals == {"EUR": Decimal("11.75"), "USD": Decimal("3")}
    assert {t.currency: t.in_file for t in checked.run.totals} == checked.totals
    assert all(t.written == 0 for t in checked.run.totals)


@pytest.mark.parametrize(
    ("on_error", "dry_run", "live"),
    [("reject-file", False, True), ("skip-rows", True, True), ("skip-rows", False, False)],
)
def test_the_live_checks_run_under_reject_file_and_in_a_dry_run(
    on_error: OnError, dry_run: bool, live: bool
) -> None:
    h = Harness()
    h.checks["stock"].refuse["GONE#default"] = ("unknown SKU: import the products first",)
    lines = Lines()
    report = Report()
    run = h.begin(on_error, dry_run=dry_run)
    checked = h.service.check(run, [stock(lines, "GONE", 1), stock(lines, "HERE", 2)], report)

    assert bool(h.checks["stock"].batches) is live
    assert checked.counts["stock"].rejected == (1 if live else 0)
    assert report.added == ([(2, ("unknown SKU: import the products first",))] if live else [])


def test_stock_of_a_product_in_the_same_file_is_not_checked_against_the_live_catalog() -> None:
    h = Harness()
    lines = Lines()
    h.service.check(
        h.begin("reject-file"),
        [product(lines, "NEW"), stock(lines, "NEW", 5), stock(lines, "OLD", 1)],
        Report(),
    )
    assert h.checks["stock"].batches == [["OLD#default"]]


def test_apply_writes_batches_and_checkpoints_after_each() -> None:
    h = Harness(batch_size=2)
    lines = Lines()
    file: list[Parsed] = [product(lines, s) for s in "ABCDE"]
    run = h.service.check(h.begin(), file, Report()).run
    checkpoints: list[int] = []
    run = h.service.apply(run, file, Report(), progress=checkpoints.append)

    assert h.writers["products"].batches == [["A", "B"], ["C", "D"], ["E"]]
    assert checkpoints == [2, 4, 5]
    assert run.status == "RUNNING" and run.rows_done == 5
    assert counts(run, "products") == {"read": 5, "created": 5, "updated": 0, "unchanged": 0, "rejected": 0}
    assert h.runs.get(run.import_id) == run


def test_skip_rows_writes_the_good_entries_and_reports_the_writers_refusals() -> None:
    products = ScriptedWriter({"B": "updated", "C": "unchanged", "D": "rejected"})
    h = Harness(products=products)
    lines = Lines()
    file: list[Parsed] = [
        product(lines, "A"),
        bad(lines, kind="products"),
        product(lines, "B"),
        product(lines, "A"),
        product(lines, "C"),
        product(lines, "D"),
    ]
    report = Report()
    run = h.service.check(h.begin("skip-rows"), file, report).run
    run = h.service.apply(run, file, report)

    assert products.keys() == ["A", "B", "C", "D"]  # the bad one and A's second never reach the writer
    assert report.lines() == [3, 5, 7]  # each once: two by check, D by the writer
    assert counts(run, "products") == {"read": 6, "created": 1, "updated": 1, "unchanged": 1, "rejected": 3}


def test_a_batch_writes_products_before_stock_and_customers() -> None:
    log: list[str] = []
    h = Harness(
        batch_size=10,
        products=ScriptedWriter(log=log),
        stock=ScriptedWriter(log=log),
        customers=ScriptedWriter(log=log),
    )
    lines = Lines()
    file: list[Parsed] = [customer(lines, "c@example.com"), stock(lines, "A", 1), product(lines, "A")]
    run = h.service.check(h.begin(), file, Report()).run
    h.service.apply(run, file, Report())
    assert log == ["products:A", "stock:A#default", "customers:c@example.com"]


def test_written_money_is_added_to_the_runs_totals() -> None:
    orders = ScriptedWriter(money={"web#1": (("EUR", Decimal("10.50")),), "web#2": (("EUR", Decimal("2")),)})
    h = Harness()
    h.writers["orders"] = orders
    lines = Lines()
    file: list[Parsed] = [
        Entry("orders", "web#1", product(lines, "X").record, lines.rows(), (("EUR", Decimal("10.50")),)),
        Entry("orders", "web#2", product(lines, "Y").record, lines.rows(), (("EUR", Decimal("3")),)),
    ]
    run = h.service.check(h.begin(), file, Report()).run
    run = h.service.apply(run, file, Report())
    (total,) = run.totals
    assert (total.currency, total.in_file, total.written) == ("EUR", Decimal("13.50"), Decimal("12.50"))


def test_a_kind_without_a_writer_is_refused_not_dropped() -> None:
    h = Harness()
    lines = Lines()
    record = product(Lines(), "X").record
    file: list[Parsed] = [Entry("orders", "web#1", record, lines.rows()), product(lines, "A")]
    report = Report()
    checked = h.service.check(h.begin(), file, report)
    assert checked.counts["orders"] == KindCounts(read=1, rejected=1)
    assert report.added == [(2, ("orders cannot be imported here",))]
    run = h.service.apply(checked.run, file, report)
    assert counts(run, "orders")["rejected"] == 1 and report.lines() == [2]  # reported once
    assert h.writers["products"].keys() == ["A"]


@pytest.mark.parametrize("why", ["dry run", "reject-file", "finished"])
def test_apply_refuses_what_the_policy_forbids(why: str) -> None:
    h = Harness()
    h.checks["products"].refuse["B"] = ("no",)
    lines = Lines()
    file: list[Parsed] = [product(lines, "A"), product(lines, "B")]
    run = h.begin("reject-file" if why == "reject-file" else "skip-rows", dry_run=why == "dry run")
    run = h.service.check(run, file, Report()).run
    if why == "finished":
        run = h.service.finish(run, "FINISHED")
    with pytest.raises(ApplyRefused):
        h.service.apply(run, file, Report())
    with pytest.raises(ApplyRefused):
        h.service.apply_chunk(run, 0, file, Report())
    assert h.writers["products"].batches == []


def test_reject_file_with_nothing_refused_writes_everything() -> None:
    h = Harness()
    lines = Lines()
    file: list[Parsed] = [product(lines, "A"), product(lines, "B")]
    run = h.service.check(h.begin("reject-file"), file, Report()).run
    run = h.service.apply(run, file, Report())
    assert counts(run, "products")["created"] == 2


def test_an_interrupted_run_resumes_at_its_checkpoint_and_writes_nothing_twice() -> None:
    lines = Lines()
    file: list[Parsed] = [product(lines, s) for s in "ABCDEFG"]
    crashing = ScriptedWriter(fail_after=2)
    h = Harness(batch_size=2, products=crashing)
    run = h.service.check(h.begin(), file, Report()).run
    with pytest.raises(RuntimeError, match="died"):
        h.service.apply(run, file, Report())
    assert crashing.keys() == ["A", "B", "C", "D"]

    # Run again: the same file and options find the unfinished run, which resumes after D.
    again = ScriptedWriter()
    h.writers["products"] = again
    resumed = h.begin()
    assert resumed.import_id == run.import_id and resumed.status == "RUNNING" and resumed.rows_done == 4
    resumed = h.service.check(resumed, file, Report()).run
    assert counts(resumed, "products")["created"] == 4  # a second check leaves the counts as they were
    done = h.service.apply(resumed, file, Report())

    assert again.keys() == ["E", "F", "G"]
    assert counts(done, "products") == {"read": 7, "created": 7, "updated": 0, "unchanged": 0, "rejected": 0}
    # Another checksum (or options) is another run.
    assert h.begin(checksum="c2").import_id != run.import_id


def test_a_dry_run_is_never_resumed() -> None:
    h = Harness()
    first = h.begin(dry_run=True)
    assert h.begin(dry_run=True).import_id != first.import_id


def test_an_upload_announced_by_the_api_is_begun_under_its_own_id() -> None:
    h = Harness()
    options = ImportOptions(format="oms-products")
    announced = ImportRun(
        import_id="upload-1",
        file_name="p.csv",
        options=options,
        source="upload",
        actor="staff:k1",
        status="AWAITING_UPLOAD",
        started_at="2026-12-06T08:00:00.000000Z",
        updated_at="2026-12-06T08:00:00.000000Z",
    )
    h.runs.create(announced)
    run = h.service.begin(
        file_name="p.csv",
        checksum="abc",
        options=options,
        source="upload",
        actor="staff:k1",
        import_id="upload-1",
    )
    assert (run.import_id, run.status, run.checksum) == ("upload-1", "VALIDATING", "abc")
    assert h.runs.get("upload-1") == run


def test_a_chunk_is_counted_once() -> None:
    h = Harness(products=ScriptedWriter({"B": "unchanged", "C": "rejected"}))
    lines = Lines()
    chunk: list[Parsed] = [
        product(lines, "A"),
        product(lines, "B"),
        bad(lines, kind="products"),
        product(lines, "C"),
    ]
    refused: dict[str, set[int]] = {}
    checked = h.service.check(
        h.begin(), chunk, Report(), rejected=lambda kind, line: refused.setdefault(kind, set()).add(line)
    )
    run = h.service.start(checked.run)

    report = Report()
    after = h.service.apply_chunk(run, 3, chunk, report, skip=refused)
    assert after is not None
    assert counts(after, "products") == {"read": 4, "created": 1, "updated": 0, "unchanged": 1, "rejected": 2}
    assert (after.rows_done, after.chunks_done) == (4, 1)
    assert report.lines() == [5]  # the writer's refusal; the bad row was check's to report

    assert h.service.apply_chunk(run, 3, chunk, Report()) is None  # redelivered
    assert h.runs.get(run.import_id) == after


def test_a_chunk_skips_a_key_the_check_refused_in_another_chunk() -> None:
    h = Harness()
    lines = Lines()
    first: list[Parsed] = [product(lines, "A")]
    second: list[Parsed] = [product(lines, "A"), product(lines, "B")]  # A again: line 3, a duplicate
    refused: dict[str, set[int]] = {}
    checked = h.service.check(
        h.begin(), first + second, Report(), rejected=lambda k, line: refused.setdefault(k, set()).add(line)
    )
    assert refused == {"products": {3}}
    run = h.service.start(checked.run)
    h.service.apply_chunk(run, 0, first, Report(), skip=refused)
    after = h.service.apply_chunk(run, 1, second, Report(), skip=refused)
    assert h.writers["products"].keys() == ["A", "B"]  # line 3's A is never written: line 2's stands
    assert after is not None and counts(after, "products")["rejected"] == 1  # as check counted it


def test_a_bad_entry_the_check_did_not_refuse_is_reported_and_counted_not_dropped() -> None:
    h = Harness()
    lines = Lines()
    run = h.service.start(h.service.check(h.begin(), [product(lines, "A")], Report()).run)
    report = Report()
    after = h.service.apply_chunk(run, 0, [bad(lines, kind="products")], report)
    assert after is not None and counts(after, "products")["rejected"] == 1
    assert report.lines() == [3]


def test_finish_records_the_end_and_publishes_import_finished_without_personal_data() -> None:
    h = Harness()
    lines = Lines()
    file: list[Parsed] = [product(lines, "A"), bad(lines, kind="products")]
    run = h.service.check(h.begin(), file, Report()).run
    run = h.service.apply(run, file, Report()).model_copy(update={"error_report": "s3://b/errors/run-1.csv"})
    ended = h.service.finish(run, "FINISHED")

    assert ended.status == "FINISHED" and ended.finished_at is not None
    assert h.runs.get(run.import_id) == ended
    ((detail_type, detail),) = h.events.events
    assert detail_type == "ImportFinished"
    assert detail["import_id"] == run.import_id and detail["status"] == "FINISHED"
    assert detail["counts"]["products"] == {
        "read": 2,
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "rejected": 1,
    }
    assert detail["error_report"] == "s3://b/errors/run-1.csv"
    assert "products.csv" not in str(detail) and "file_name" not in detail


def test_finish_wins_over_a_concurrent_save_and_keeps_the_error_report() -> None:
    h = Harness()
    run = h.begin()
    moved = run.model_copy(update={"updated_at": "2026-12-06T10:00:00.000000Z", "chunks_done": 3})
    h.runs.runs[run.import_id] = moved  # another worker counted chunks meanwhile
    ended = h.service.finish(run.model_copy(update={"error_report": "s3://b/e.csv"}), "REJECTED", problem="x")

    assert (ended.status, ended.chunks_done, ended.error_report, ended.problem) == (
        "REJECTED",
        3,
        "s3://b/e.csv",
        "x",
    )
    assert h.runs.get(run.import_id) == ended and len(h.events.events) == 1


def test_finish_refuses_a_status_that_ends_nothing() -> None:
    h = Harness()
    with pytest.raises(ValueError):
        h.service.finish(h.begin(), "RUNNING")


def test_a_publish_that_fails_is_retried() -> None:
    h = Harness()
    attempts: list[Any] = []

    def flaky(detail_type: str, detail: dict[str, Any], *, resources: tuple[str, ...] = ()) -> str:
        attempts.append(detail_type)
        if len(attempts) < 3:
            raise RuntimeError("throttled")
        return "id"

    h.events.publish = flaky  # type: ignore[method-assign]
    h.service.finish(h.begin(), "CHECKED")
    assert attempts == ["ImportFinished"] * 3


def test_a_publish_that_fails_for_good_leaves_the_run_unfinished_so_the_retry_publishes() -> None:
    h = Harness()
    run = h.begin()

    def down(detail_type: str, detail: dict[str, Any], *, resources: tuple[str, ...] = ()) -> str:
        raise RuntimeError("EventBridge is unavailable")

    published = h.events.publish
    h.events.publish = down  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        h.service.finish(run, "CHECKED")
    stored = h.runs.get(run.import_id)
    assert stored is not None and stored.status == "VALIDATING"  # the retry will find it unfinished

    h.events.publish = published  # type: ignore[method-assign]
    ended = h.service.finish(stored, "CHECKED")
    assert ended.status == "CHECKED" and [t for t, _ in h.events.events] == ["ImportFinished"]


def test_a_reject_file_run_refused_by_a_writer_after_it_started_still_resumes() -> None:
    lines = Lines()
    file: list[Parsed] = [product(lines, s) for s in "ABCD"]
    h = Harness(batch_size=2, products=ScriptedWriter({"A": "rejected"}, fail_after=1))
    run = h.service.check(h.begin("reject-file"), file, Report()).run
    with pytest.raises(RuntimeError, match="died"):
        h.service.apply(run, file, Report())
    h.writers["products"] = ScriptedWriter()
    resumed = h.begin("reject-file")
    assert resumed.status == "RUNNING" and counts(resumed, "products")["rejected"] == 1
    done = h.service.apply(resumed, file, Report())
    assert counts(done, "products") == {"read": 4, "created": 3, "updated": 0, "unchanged": 0, "rejected": 1}


def test_the_file_is_streamed_a_batch_at_a_time() -> None:
    """Entries are read as they are written: never more than a batch ahead of the writer."""
    writer = ScriptedWriter()
    h = Harness(batch_size=10, products=writer)
    lines = Lines()
    ahead: list[int] = []

    def file() -> Iterator[Parsed]:
        for n in range(95):
            ahead.append(n - len(writer.keys()))  # read but not yet written
            yield product(lines, f"S{n}")

    run = h.service.check(h.begin(), file(), Report()).run
    lines.line = 2
    ahead.clear()
    h.service.apply(run, file(), Report())
    assert len(writer.keys()) == 95 and max(ahead) == 10 - 1
