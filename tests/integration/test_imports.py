"""The import engine against moto: products, stock and customers written by the real writers through the
real runs store; idempotent re-import, a corrected file, resume after a crash, a dry run, both error
policies, the run's record and its ImportFinished event on the bus.

The entries are built here as a format makes them (``tests/support/imports.py``).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pytest

from infra.spec import CATALOG, CUSTOMERS, EVENTS, EVENTS_TAP, IMPORTS, ORDERS
from shared.aws import client
from shared.config import settings
from shared.dal import cursors
from shared.dal.catalog import CatalogStore, ProductState, ProductStore
from shared.dal.cursors import InvalidCursor
from shared.dal.customers import CustomerImportStore, CustomerStore
from shared.dal.events import EventPublisher
from shared.dal.imports import ImportRunStore, RunExists, RunNotFound
from shared.models.customers import CustomerPatch, CustomerRecord
from shared.models.events import IMPORTS_SOURCE
from shared.models.imports import FormatName, ImportOptions, ImportRun, Kind, KindCounts, OnError
from shared.models.orders import Address
from shared.services.import_writers import CustomerWriter, ProductWriter, standard_writers
from shared.services.import_writes import KindWriter, Provenance, Written
from shared.services.imports import ApplyRefused, ErrorReport, ImportService
from shared.services.order_imports import order_imports
from shared.transfer.files import ErrorReport as FileReport
from shared.transfer.files import rows
from shared.transfer.formats import format_of
from shared.transfer.records import Entry, Parsed, ReadOptions
from tests.support.imports import Lines, Report, bad, customer, product, stock
from tests.support.queues import take_all

WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}


class Requests:
    """Every DynamoDB request of the functions' shared client: (operation, tables)."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, frozenset[str]]] = []
        client("dynamodb").meta.events.register("before-parameter-build.dynamodb", self)

    def __call__(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        tables = {params["TableName"]} if "TableName" in params else set()
        tables |= set(params.get("RequestItems", {}))
        for action in params.get("TransactItems", []):
            tables |= {body["TableName"] for body in action.values()}
        self.seen.append((model.name, frozenset(tables)))

    def writes_to(self, *tables: str) -> list[str]:
        return [name for name, touched in self.seen if name in WRITES and touched & set(tables)]


@dataclass
class Engine:
    service: ImportService
    runs: ImportRunStore
    writers: dict[Kind, KindWriter]

    def run(
        self,
        file: Sequence[Parsed],
        *,
        on_error: OnError = "skip-rows",
        dry_run: bool = False,
        checksum: str = "sum-1",
        report: ErrorReport | None = None,
        format: FormatName = "oms-products",
        location: str = "default",
    ) -> ImportRun:
        """What ``oms import`` does: begin, check, apply unless refused or a dry run, finish."""
        report = report if report is not None else Report()
        options = ImportOptions(format=format, on_error=on_error, dry_run=dry_run, location=location)
        run = self.service.begin(
            file_name="shop.csv", checksum=checksum, options=options, source="cli", actor="cli:test"
        )
        checked = self.service.check(run, file, report)
        if dry_run:
            return self.service.finish(checked.run, "CHECKED")
        if on_error == "reject-file" and checked.rejected:
            return self.service.finish(checked.run, "REJECTED")
        return self.service.finish(self.service.apply(checked.run, file, report), "FINISHED")


@pytest.fixture
def engine(aws: Any) -> Engine:
    dynamodb = client("dynamodb")
    writers, checks = standard_writers(
        dynamodb, catalog_table=CATALOG.local_name, customers_table=CUSTOMERS.local_name
    )
    runs = ImportRunStore(dynamodb, IMPORTS.local_name)
    events = EventPublisher(client("events"), EVENTS.name, IMPORTS_SOURCE)
    return Engine(
        ImportService(runs, writers, checks, events, sleep=lambda _: None, batch_size=3), runs, writers
    )


def shop(**changes: Any) -> list[Parsed]:
    """A small shop: four products, stock at two locations, three customers."""
    lines = Lines()
    prices = {"TEE-S": "19.99", "TEE-M": "19.99", "MUG": "8.50", "CAP": "12.00", **changes.get("prices", {})}
    on_hand = {
        ("TEE-S", "default"): 10,
        ("TEE-S", "berlin"): 4,
        ("MUG", "default"): 7,
        **changes.get("stock", {}),
    }
    phones = {"ada@example.com": "+49 30 1234", **changes.get("phones", {})}
    file: list[Parsed] = [
        product(lines, sku, price, status="draft" if sku == "CAP" else "active")
        for sku, price in prices.items()
    ]
    file += [stock(lines, sku, n, location) for (sku, location), n in on_hand.items()]
    file += [
        customer(
            lines,
            email,
            name=email.split("@")[0].title(),
            phone=phones.get(email),
            accepts_email_marketing=email.startswith("ada"),
            addresses=[Address(line1="1 Main St", city="Berlin", country="DE")]
            if email.startswith("bo")
            else [],
        )
        for email in ("ada@example.com", "Bob@Example.com", "cy@example.com")
    ]
    return file


def catalog_item(sku: str) -> dict[str, Any]:
    item = boto3.client("dynamodb").get_item(
        TableName=CATALOG.local_name, Key={"pk": {"S": sku}, "sk": {"S": "SKU"}}
    )
    return item.get("Item", {})


def table_contents(*tables: str) -> dict[str, list[Any]]:
    """Every item of each table, sorted: a separate client, so the scans are not counted."""
    dynamodb = boto3.client("dynamodb")
    found: dict[str, list[Any]] = {}
    for table in tables:
        items = dynamodb.scan(TableName=table)["Items"]
        found[table] = sorted(items, key=lambda i: (i["pk"]["S"], i["sk"]["S"]))
    return found


def counts(run: ImportRun) -> dict[str, tuple[int, int, int, int, int]]:
    return {k: (c.read, c.created, c.updated, c.unchanged, c.rejected) for k, c in run.counts.items()}


def test_a_shop_imports_and_the_same_file_again_changes_nothing(engine: Engine) -> None:
    first = engine.run(shop())
    assert first.status == "FINISHED"
    assert counts(first) == {
        "products": (4, 4, 0, 0, 0),
        "stock": (3, 3, 0, 0, 0),
        "customers": (3, 3, 0, 0, 0),
    }
    assert catalog_item("TEE-S")["on_hand"] == {"N": "14"} and catalog_item("TEE-S")["on_hand@berlin"] == {
        "N": "4"
    }
    assert catalog_item("CAP")["status"] == {"S": "draft"} and catalog_item("CAP")["on_hand"] == {"N": "0"}
    before = table_contents(CATALOG.local_name, CUSTOMERS.local_name)

    requests = Requests()
    second = engine.run(shop(), checksum="sum-2")  # another run (the first one finished)
    assert second.import_id != first.import_id
    assert counts(second) == {
        "products": (4, 0, 0, 4, 0),
        "stock": (3, 0, 0, 3, 0),
        "customers": (3, 0, 0, 3, 0),
    }
    assert requests.writes_to(CATALOG.local_name, CUSTOMERS.local_name) == []
    assert table_contents(CATALOG.local_name, CUSTOMERS.local_name) == before


def test_a_corrected_file_updates_only_the_rows_that_differ(engine: Engine) -> None:
    engine.run(shop())
    ledger_before = [
        i for i in table_contents(CATALOG.local_name)[CATALOG.local_name] if i["sk"]["S"].startswith("MOVE#")
    ]

    requests = Requests()
    run = engine.run(
        shop(
            prices={"MUG": "9.00"}, stock={("TEE-S", "berlin"): 6}, phones={"cy@example.com": "+1 555 0100"}
        ),
        checksum="sum-2",
    )
    assert counts(run) == {
        "products": (4, 0, 1, 3, 0),
        "stock": (3, 0, 1, 2, 0),
        "customers": (3, 0, 1, 2, 0),
    }
    assert len(requests.writes_to(CATALOG.local_name, CUSTOMERS.local_name)) == 3  # one transaction per kind
    assert catalog_item("MUG")["price"] == {"N": "9.00"} and catalog_item("MUG")["on_hand"] == {"N": "7"}
    assert catalog_item("TEE-S")["on_hand@berlin"] == {"N": "6"} and catalog_item("TEE-S")["on_hand"] == {
        "N": "16"
    }
    ledger = [
        i for i in table_contents(CATALOG.local_name)[CATALOG.local_name] if i["sk"]["S"].startswith("MOVE#")
    ]
    assert len(ledger) == len(ledger_before) + 1  # the one count, in the ledger, from the import
    (new,) = [m for m in ledger if m not in ledger_before]
    assert new["source"] == {"S": "import"}

    customers = table_contents(CUSTOMERS.local_name)[CUSTOMERS.local_name]
    profiles = {i["email"]["S"]: i for i in customers if i["sk"]["S"] == "PROFILE"}
    assert profiles["cy@example.com"]["phone"] == {"S": "+1 555 0100"}
    assert profiles["ada@example.com"]["accepts_email_marketing"] == {"BOOL": True}
    assert set(profiles) == {"ada@example.com", "Bob@example.com", "cy@example.com"}  # one each, no twins


def test_a_product_import_never_touches_its_stock(engine: Engine) -> None:
    engine.run(shop())
    stock_before = {
        k: v for k, v in catalog_item("TEE-S").items() if k.startswith(("on_hand", "reserved", "available"))
    }
    engine.run(shop(prices={"TEE-S": "25.00"})[:4], checksum="sum-2")
    after = catalog_item("TEE-S")
    assert after["price"] == {"N": "25.00"}
    assert {
        k: v for k, v in after.items() if k.startswith(("on_hand", "reserved", "available"))
    } == stock_before


class Crashing:
    """A writer whose process dies after ``batches`` batches (before writing the next)."""

    def __init__(self, inner: KindWriter, batches: int) -> None:
        self.inner = inner
        self.left = batches

    def write(self, entries: Sequence[Entry], provenance: Provenance) -> list[Written]:
        if self.left == 0:
            raise RuntimeError("killed")
        self.left -= 1
        return self.inner.write(entries, provenance)


def test_an_interrupted_import_resumes_where_it_stopped(engine: Engine) -> None:
    lines = Lines()
    file: list[Parsed] = [product(lines, f"SKU-{n:02d}", f"{n}.00") for n in range(1, 11)]
    real = engine.writers["products"]
    engine.writers["products"] = Crashing(real, batches=2)  # 6 of 10 written (batches of 3)
    with pytest.raises(RuntimeError, match="killed"):
        engine.run(file)
    (stopped,) = engine.runs.page(None, 10)[0]
    assert (stopped.status, stopped.rows_done) == ("RUNNING", 6)
    assert counts(stopped)["products"] == (10, 6, 0, 0, 0)
    assert "price" not in catalog_item("SKU-07")

    engine.writers["products"] = real
    requests = Requests()
    run = engine.run(file)  # the same file and options: the same run, resumed
    assert run.import_id == stopped.import_id and run.status == "FINISHED"
    assert counts(run)["products"] == (10, 10, 0, 0, 0)  # nothing counted twice
    # Only the four products left were read and written.
    written = [t for name, t in requests.seen if name == "TransactWriteItems"]
    assert len(written) == 2
    assert all("price" in catalog_item(f"SKU-{n:02d}") for n in range(1, 11))


def test_a_batch_written_but_not_checkpointed_is_written_again_as_unchanged(engine: Engine) -> None:
    lines = Lines()
    file: list[Parsed] = [product(lines, f"SKU-{n}", "1.00") for n in range(1, 6)]
    service = engine.service
    run = service.begin(
        file_name="f.csv",
        checksum="s",
        options=ImportOptions(format="oms-products", on_error="skip-rows"),
        source="cli",
        actor="t",
    )
    run = service.check(run, file, Report()).run
    # The process wrote the last two, then died before its checkpoint.
    written = [e for e in file[3:5] if isinstance(e, Entry)]
    engine.writers["products"].write(written, Provenance(run.import_id, datetime.now(UTC)))
    run = service.apply(run, file, Report())
    assert counts(run)["products"] == (5, 3, 0, 2, 0)


def test_a_dry_run_changes_nothing_and_reports_every_bad_row(engine: Engine) -> None:
    engine.run(shop())
    before = table_contents(CATALOG.local_name, CUSTOMERS.local_name)
    lines = Lines()
    file: list[Parsed] = [
        product(lines, "NEW", "3.00"),  # 2
        stock(lines, "NEW", 5),  # 3: its product is in the file
        stock(lines, "NOPE", 1),  # 4: unknown SKU
        bad(lines, "Variant Price: not an amount", kind="products"),  # 5
        product(lines, "NEW", "4.00"),  # 6: twice
        product(lines, "MUG", "1.00"),  # 7: would update
        customer(lines, "ada@example.com", customer_id="someone-else"),  # 8: the email is another customer's
    ]
    report = Report()
    requests = Requests()
    run = engine.run(file, dry_run=True, report=report)

    assert run.status == "CHECKED"
    assert sorted(report.added) == [  # the live checks' refusals are found a batch later
        (4, ("unknown SKU: import the products first",)),
        (5, ("Variant Price: not an amount",)),
        (6, ("the SKU is also on line 2",)),
        (8, ("Email: belongs to another customer than customer_id",)),
    ]
    assert counts(run)["products"][4] == 2 and counts(run)["stock"][4] == 1
    assert requests.writes_to(CATALOG.local_name, CUSTOMERS.local_name) == []
    assert table_contents(CATALOG.local_name, CUSTOMERS.local_name) == before


def test_reject_file_imports_nothing_when_a_row_is_bad(engine: Engine) -> None:
    lines = Lines()
    file: list[Parsed] = [product(lines, "A", "1.00"), stock(lines, "GHOST", 3), product(lines, "B", "2.00")]
    report = Report()
    run = engine.run(file, on_error="reject-file", report=report)

    assert run.status == "REJECTED"
    assert report.lines() == [3]
    assert catalog_item("A") == {} and catalog_item("B") == {}
    with pytest.raises(ApplyRefused):
        engine.service.apply(run, file, Report())


def test_skip_rows_imports_the_good_rows_and_reports_the_bad_ones(engine: Engine) -> None:
    lines = Lines()
    file: list[Parsed] = [
        product(lines, "A", "1.00"),
        stock(lines, "GHOST", 3),  # refused by the writer
        bad(lines, kind="products"),
        stock(lines, "A", 2),
    ]
    report = Report()
    run = engine.run(file, on_error="skip-rows", report=report)

    assert run.status == "FINISHED"
    assert report.lines() == [3, 4]
    assert dict(report.added)[3] == ("unknown SKU: import the products first",)
    assert counts(run) == {"products": (2, 1, 0, 0, 1), "stock": (2, 1, 0, 0, 1)}
    assert catalog_item("A")["on_hand"] == {"N": "2"} and catalog_item("GHOST") == {}


def test_the_run_is_recorded_and_import_finished_goes_on_the_bus(engine: Engine) -> None:
    sqs = boto3.client("sqs")
    tap = sqs.get_queue_url(QueueName=EVENTS_TAP.local_name)["QueueUrl"]
    take_all(sqs, tap)
    lines = Lines()
    file: list[Parsed] = [
        product(lines, "A", "1.00"),
        bad(lines, kind="products"),
        customer(lines, "dee@example.com", name="Dee Doe"),
    ]
    run = engine.run(file)

    stored = engine.runs.get(run.import_id)
    assert stored == run
    assert (stored.status, stored.rows_total, stored.rows_done, stored.file_name) == (
        "FINISHED",
        3,
        3,
        "shop.csv",
    )
    assert stored.finished_at is not None and stored.checksum == "sum-1"
    assert counts(stored) == {"products": (2, 1, 0, 0, 1), "customers": (1, 1, 0, 0, 0)}
    assert engine.runs.page(None, 5)[0] == [stored]

    (event,) = [e for e in take_all(sqs, tap) if e["detail-type"] == "ImportFinished"]
    assert event["source"] == "oms.imports"
    detail = event["detail"]
    assert (detail["import_id"], detail["status"], detail["format"]) == (
        run.import_id,
        "FINISHED",
        "oms-products",
    )
    assert detail["counts"]["products"] == {
        "read": 2,
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "rejected": 1,
    }
    assert "dee@example.com" not in str(event) and "Dee" not in str(event) and "shop.csv" not in str(event)


def test_a_chunk_is_counted_once_on_the_table(engine: Engine) -> None:
    lines = Lines()
    chunk: list[Parsed] = [product(lines, "A", "1.00"), product(lines, "B", "2.00")]
    options = ImportOptions(format="oms-products", on_error="skip-rows")
    run = engine.service.begin(
        file_name="up.csv", checksum="u", options=options, source="upload", actor="staff:k"
    )
    run = engine.service.start(engine.service.check(run, chunk, Report()).run)
    after = engine.service.apply_chunk(run, 0, chunk, Report())
    assert after is not None and (after.rows_done, after.chunks_done) == (2, 1)
    assert counts(after)["products"] == (2, 2, 0, 0, 0)
    assert engine.service.apply_chunk(run, 0, chunk, Report()) is None
    assert counts(engine.runs.get(run.import_id))["products"] == (2, 2, 0, 0, 0)  # type: ignore[arg-type]
    assert engine.service.apply_chunk(run, 1, chunk, Report()) is not None  # another chunk counts
    assert counts(engine.runs.get(run.import_id))["products"] == (2, 2, 0, 2, 0)  # type: ignore[arg-type]


class ChangedAfterRead(ProductStore):
    """The catalog store, with a staff change of ``sku`` landing between the importer's first read and its
    write."""

    def __init__(self, sku: str, name: str, price: str) -> None:
        super().__init__(client("dynamodb"), CATALOG.local_name)
        self.change: tuple[str, str, str] | None = (sku, name, price)
        self.reads = 0

    def states(self, skus: Sequence[str]) -> dict[str, ProductState]:
        found = super().states(skus)
        self.reads += 1
        if self.change is not None:
            sku, name, price = self.change
            CatalogStore(client("dynamodb"), CATALOG.local_name).put_product(
                sku, name, Decimal(price), "staff"
            )
            self.change = None
        return found


@pytest.mark.parametrize(
    ("staff_price", "outcome"),
    [("3.00", "unchanged"), ("7.00", "updated")],
    ids=["changed-to-the-files", "changed-to-another"],
)
def test_a_product_changed_between_the_read_and_the_write_is_read_and_decided_again(
    aws: Any, staff_price: str, outcome: str
) -> None:
    catalog = CatalogStore(client("dynamodb"), CATALOG.local_name)
    catalog.put_product("A", "Product A", Decimal("1.00"), "before")
    store = ChangedAfterRead("A", "Product A", staff_price)
    lines = Lines()
    (written,) = ProductWriter(store, sleep=lambda _: None).write(
        [product(lines, "A", "3.00")], Provenance("imp", datetime.now(UTC))
    )
    assert written.outcome == outcome and store.reads == 2
    saved = catalog.get_product("A")
    assert saved is not None and saved.price == Decimal("3.00")


def test_a_customer_changed_between_the_read_and_the_write_is_read_and_decided_again(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine.run(shop())
    customers = CustomerStore(client("dynamodb"), CUSTOMERS.local_name)
    store = CustomerImportStore(client("dynamodb"), CUSTOMERS.local_name)
    real_profiles = store.profiles
    calls: list[int] = []

    def profiles(ids: Sequence[str]) -> dict[str, CustomerRecord]:
        found = real_profiles(ids)
        if not calls:  # staff correct the phone to the file's meanwhile
            (record,) = found.values()
            customers.patch(record, CustomerPatch(phone="+1 555 0199"), "2099-01-01T00:00:00.000000Z")
        calls.append(1)
        return found

    monkeypatch.setattr(store, "profiles", profiles)
    lines = Lines()
    (written,) = CustomerWriter(store, sleep=lambda _: None).write(
        [customer(lines, "cy@example.com", phone="+1 555 0199")], Provenance("imp", datetime.now(UTC))
    )
    assert written.outcome == "unchanged" and len(calls) == 2


def a_run(import_id: str, started_at: str, **changes: Any) -> ImportRun:
    values: dict[str, Any] = {
        "import_id": import_id,
        "file_name": "f.csv",
        "checksum": "sum",
        "options": ImportOptions(format="oms-stock", on_error="skip-rows"),
        "source": "cli",
        "actor": "cli:test",
        "status": "RUNNING",
        "started_at": started_at,
        "updated_at": started_at,
        **changes,
    }
    return ImportRun.model_validate(values)


def test_the_runs_store_lists_newest_first_and_finds_a_run_to_resume(aws: Any) -> None:
    runs = ImportRunStore(client("dynamodb"), IMPORTS.local_name)
    options = ImportOptions(format="oms-stock", on_error="skip-rows")
    runs.create(a_run("r1", "2026-12-01T00:00:00.000000Z", status="FINISHED"))
    runs.create(a_run("r2", "2026-12-02T00:00:00.000000Z"))
    runs.create(
        a_run("r3", "2026-12-03T00:00:00.000000Z", options=options.model_copy(update={"dry_run": True}))
    )
    runs.create(a_run("r4", "2026-12-04T00:00:00.000000Z", checksum="other"))
    with pytest.raises(RunExists):
        runs.create(a_run("r1", "2026-12-05T00:00:00.000000Z"))

    first, cursor = runs.page(None, 3)
    assert [r.import_id for r in first] == ["r4", "r3", "r2"] and cursor is not None
    rest, cursor = runs.page(cursor, 3)
    assert [r.import_id for r in rest] == ["r1"] and cursor is None
    with pytest.raises(InvalidCursor):
        runs.page(cursors.encode({"key": {"pk": "ORDER#x", "sk": "ORDER"}}), 3)

    found = runs.unfinished("sum", options)
    assert found is not None and found.import_id == "r2"  # not the finished one, the dry run or another file
    assert runs.unfinished("sum", options.model_copy(update={"location": "berlin"})) is None
    # A newer upload's run of the same file is never taken over by the command: its chunks finish it.
    runs.create(a_run("r5", "2026-12-05T00:00:00.000000Z", source="upload", chunks_total=4, rows_done=3))
    found = runs.unfinished("sum", options)
    assert found is not None and found.import_id == "r2"


def test_the_runs_store_keeps_the_chunks_with_a_report(aws: Any) -> None:
    runs = ImportRunStore(client("dynamodb"), IMPORTS.local_name)
    run = a_run("r1", "2026-12-01T00:00:00.000000Z")
    runs.create(run)
    noted = run.model_copy(update={"error_chunks": [0, 7], "updated_at": "2026-12-01T00:00:01.000000Z"})
    assert runs.save(noted, expected_updated_at=run.updated_at)
    assert runs.get("r1") == noted


def test_the_runs_store_saves_only_what_it_read_and_counts_a_chunk_once(aws: Any) -> None:
    runs = ImportRunStore(client("dynamodb"), IMPORTS.local_name)
    run = a_run("r1", "2026-12-01T00:00:00.000000Z", rows_total=10)
    runs.create(run)
    moved = run.model_copy(update={"updated_at": "2026-12-01T00:00:01.000000Z", "rows_done": 4})
    assert runs.save(moved, expected_updated_at=run.updated_at)
    assert not runs.save(run.model_copy(update={"rows_done": 9}), expected_updated_at=run.updated_at)
    assert runs.get("r1") == moved

    add = {"stock": KindCounts(created=2, unchanged=1, rejected=1)}
    counted = runs.count_chunk("r1", 7, add, {"EUR": Decimal("10.50")}, 3, "2026-12-01T00:00:02.000000Z")
    assert counted is not None
    assert (counted.rows_done, counted.chunks_done, counted.updated_at) == (
        7,
        1,
        "2026-12-01T00:00:02.000000Z",
    )
    assert counted.counts == {"stock": KindCounts(created=2, unchanged=1, rejected=1)}
    assert [(t.currency, t.in_file, t.written) for t in counted.totals] == [("EUR", 0, Decimal("10.50"))]
    assert runs.count_chunk("r1", 7, add, {"EUR": Decimal("10.50")}, 3, "later") is None
    again = runs.count_chunk("r1", 8, add, {}, 3, "2026-12-01T00:00:03.000000Z")
    assert again is not None and again.counts["stock"].created == 4 and again.chunks_done == 2
    assert runs.get("r1") == again
    with pytest.raises(RunNotFound):
        runs.count_chunk("nope", 1, add, {}, 1, "now")


FIXTURES = Path(__file__).parent.parent / "fixtures" / "shopify" / "csv"


def shopify_file(name: str, format: FormatName, location: str = "default") -> list[Parsed]:
    """A fixture file's entries, as the format reads them."""
    fmt = format_of(format)
    with (FIXTURES / name).open("rb") as stream:
        options = ReadOptions(channel=None, location=location, currency="USD")
        return list(fmt.entries(rows(stream, fmt.container), options))


def test_shopify_files_import_once_and_again_change_nothing(engine: Engine) -> None:
    files: list[tuple[str, FormatName, str]] = [
        ("products.csv", "shopify-products", "main-warehouse"),
        ("inventory.csv", "shopify-inventory", "default"),
        ("customers.csv", "shopify-customers", "default"),
    ]
    first: dict[str, ImportRun] = {}
    for name, format, location in files:
        out = io.BytesIO()
        report = FileReport(out, "csv")
        file = shopify_file(name, format, location)
        first[name] = engine.run(file, format=format, location=location, checksum=name, report=report)
        assert first[name].status == "FINISHED"
        if report.count:  # a row without a SKU (the canvas tote's): reported with its cells and why
            text = out.getvalue().decode("utf-8-sig")
            assert text.splitlines()[0].endswith(",_errors") and "canvas-tote" in text

        # The same file again: every entry unchanged, nothing written.
        requests = Requests()
        again = engine.run(
            shopify_file(name, format, location), format=format, location=location, checksum=name
        )
        assert again.import_id != first[name].import_id
        assert again.counts == {
            kind: c.model_copy(
                update={"unchanged": c.created + c.updated + c.unchanged, "created": 0, "updated": 0}
            )
            for kind, c in first[name].counts.items()
        }
        assert requests.writes_to(CATALOG.local_name, CUSTOMERS.local_name) == []

    products = counts(first["products.csv"])
    assert products["products"][1] == 5 and products["products"][4] == 1  # five variants, one row without SKU
    assert counts(first["inventory.csv"])["stock"][4] == 2  # the tote's two rows have no SKU
    assert counts(first["customers.csv"])["customers"][:2] == (3, 3)
    tee = catalog_item("TEE-M")
    assert tee["on_hand@main-warehouse"] == {"N": "20"} and tee["on_hand@downtown-store"] == {"N": "4"}


def test_a_shopify_order_export_through_the_engine_reconciles_and_imports_once(engine: Engine) -> None:
    """With the orders writer (the orders helper's) beside these: the products first, then the orders;
    the written money per currency is the file's, and the same file again writes nothing."""
    writer, _ = order_imports(
        client("dynamodb"),
        orders_table=ORDERS.local_name,
        catalog_table=CATALOG.local_name,
        customers_table=CUSTOMERS.local_name,
        settings=settings(),
    )
    engine.writers["orders"] = writer
    engine.run(
        shopify_file("products.csv", "shopify-products", "default"), format="shopify-products", checksum="p"
    )
    file = shopify_file("orders.csv", "shopify-orders")
    run = engine.run(file, format="shopify-orders", checksum="o")
    assert run.status == "FINISHED"
    orders = run.counts["orders"]
    # Orders with a line of the canvas tote (no SKU in the products file) are refused: unknown SKU.
    assert orders.read == 4 and orders.created >= 1 and orders.created + orders.rejected == orders.read
    (total,) = run.totals
    assert 0 < total.written <= total.in_file  # what was written, against the file's own totals

    requests = Requests()
    again = engine.run(shopify_file("orders.csv", "shopify-orders"), format="shopify-orders", checksum="o")
    assert again.counts["orders"].unchanged == orders.created
    assert again.counts["orders"].rejected == orders.rejected
    assert again.totals == run.totals  # an unchanged order is money in the OMS: reconciled the same
    assert requests.writes_to(ORDERS.local_name, CATALOG.local_name, CUSTOMERS.local_name) == []
