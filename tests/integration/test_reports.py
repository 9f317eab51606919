"""Reports against moto: orders through the orders stream into the daily counters, reports asked for over
the API and by the schedule, built from the reports stream into S3, read back as CSV and XLSX."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, quote, urlparse

import boto3
import pytest

from functions.reports import handler as reports_handler
from functions.reports import wiring as reports_wiring
from functions.sales_aggregates import wiring as sales_wiring
from infra.local.workers import LambdaContext
from infra.spec import ORDERS, REPORTS_BUCKET, REPORTS_FUNCTION, SALES_AGGREGATES
from shared.dal.orders import order_item
from shared.dal.report_files import MultipartWriter
from shared.reports.sales import daily_sales, recount, rows_of
from tests.support.http import ApiClient
from tests.support.local_aws import local_aws
from tests.support.report_orders import BERLIN, DAY, TIMEZONE, latest, line, placed, versions
from tests.support.streams import StreamDriver

SKU_MONEY = ("gross_sales", "discounts", "returns", "net_sales")  # a SKU row's amounts
# The reports function's clock is the real one: these dates are in the past for it.
TODAY = dt.datetime.now(BERLIN).date()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("OMS_TIMEZONE", TIMEZONE)
    with local_aws() as dynamodb:
        yield dynamodb


@pytest.fixture
def staff(aws: Any) -> ApiClient:
    return ApiClient("dev-staff-key")


@pytest.fixture
def sales(aws: Any) -> StreamDriver:
    return StreamDriver(SALES_AGGREGATES)


@pytest.fixture
def builds(aws: Any) -> StreamDriver:
    return StreamDriver(REPORTS_FUNCTION)


def write_versions(dynamodb: Any) -> None:
    """Every version of the test orders into the orders table, in order: the stream carries each."""
    for history in versions().values():
        for version in history:
            dynamodb.put_item(TableName=ORDERS.local_name, Item=order_item(version))


def download(report: dict[str, Any], fmt: str) -> bytes:
    (file,) = [f for f in report["files"] if f["format"] == fmt]
    body = boto3.client("s3").get_object(Bucket=REPORTS_BUCKET.local_name, Key=file["key"])["Body"].read()
    assert len(body) == file["bytes"]
    return bytes(body)


def csv_rows(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8"), newline="")))


def ask(staff: ApiClient, body: dict[str, Any], builds: StreamDriver) -> dict[str, Any]:
    reply = staff.post("/reports", body)
    assert reply.status == 202, reply.json()
    assert reply.json()["status"] == "PENDING"
    builds.drain()
    done = staff.get(f"/reports/{reply.json()['report_id']}")
    assert done.status == 200
    return dict(done.json())


def test_daily_sales_from_the_stream_equals_the_recount(
    aws: Any, staff: ApiClient, sales: StreamDriver, builds: StreamDriver
) -> None:
    write_versions(aws)
    sales.drain()

    report = ask(staff, {"type": "daily_sales", "date": DAY}, builds)

    assert report["status"] == "READY", report
    assert [f["format"] for f in report["files"]] == ["csv", "xlsx", "html"]
    assert all(
        f["key"] == f"reports/daily_sales/{DAY}/{report['report_id']}.{f['format']}" for f in report["files"]
    )
    expected = daily_sales(DAY, TIMEZONE, rows_of(recount(latest(), BERLIN), DAY))
    rows = csv_rows(download(report, "csv"))
    assert report["rows"] == len(rows)
    by_row = {(r["currency"], r["section"], r["key"]): r for r in rows}
    money = ("gross_sales", "discounts", "returns", "net_sales", "shipping", "taxes", "included_taxes")
    for currency in expected.currencies:
        sections = [("total", "", currency.totals)]
        sections += [("channel", c.channel, c.figures) for c in currency.by_channel]
        sections += [("sku", s.sku, s.figures) for s in currency.by_sku]
        for section, key, figures in sections:
            line_ = by_row[(currency.currency, section, key)]
            assert [Decimal(line_[m]) for m in money if section != "sku" or m in SKU_MONEY] == [
                getattr(figures, m) for m in money if section != "sku" or m in SKU_MONEY
            ], (section, key)
            assert (int(line_["orders"]), int(line_["units"]), int(line_["cancelled_orders"])) == (
                figures.orders,
                figures.units,
                figures.cancelled_orders,
            )
            if section != "sku":
                assert Decimal(line_["total_sales"]) == figures.total_sales
    # the figures the unit test pins by hand
    assert Decimal(by_row[("EUR", "total", "")]["net_sales"]) == Decimal("-3.50")
    gbp = by_row[("GBP", "total", "")]
    assert (gbp["gross_sales"], gbp["discounts"], gbp["returns"], gbp["net_sales"]) == (
        "126.00",
        "11.00",
        "44.00",
        "71.00",
    )
    assert (gbp["shipping"], gbp["taxes"], gbp["included_taxes"], gbp["total_sales"]) == (
        "15.00",
        "17.67",
        "6.67",
        "97.00",
    )
    assert by_row[("GBP", "sku", "S1")]["shipping"] == ""  # the order's, never a SKU's
    skus = {(r["currency"], r["key"]) for r in rows if r["section"] == "sku"}
    assert skus == {("EUR", "A"), ("EUR", "B"), ("GBP", "S1"), ("GBP", "S2"), ("USD", "C")}
    statuses = {r["key"]: int(r["orders"]) for r in rows if r["section"] == "status"}
    assert statuses == {
        "PENDING_PAYMENT": 1,
        "CONFIRMED": 3,
        "SHIPPED": 1,
        "CANCELLED": 1,
        "FULFILLED_BY_CHANNEL": 1,
    }
    html = download(report, "html").decode()
    assert html.count("<svg") >= 3


def test_a_redelivered_change_is_counted_once(aws: Any, sales: StreamDriver) -> None:
    write_versions(aws)
    sales.drain()
    once = sales_wiring.sales_store().day(DAY)

    sales.replay()  # every batch again, as after a timeout that had in fact committed

    assert sales_wiring.sales_store().day(DAY) == once
    assert daily_sales(DAY, TIMEZONE, once) == daily_sales(
        DAY, TIMEZONE, rows_of(recount(latest(), BERLIN), DAY)
    )


def test_the_xlsx_reads_back(aws: Any, staff: ApiClient, sales: StreamDriver, builds: StreamDriver) -> None:
    import openpyxl

    write_versions(aws)
    sales.drain()
    report = ask(staff, {"type": "daily_sales", "date": DAY}, builds)

    book = openpyxl.load_workbook(io.BytesIO(download(report, "xlsx")), read_only=True)
    summary = [row for row in book["Summary"].iter_rows(values_only=True)]
    header, *lines = summary
    by_currency = {
        row[header.index("currency")]: dict(zip(header, row, strict=False)) for row in lines if row[0]
    }

    def cell(currency: str, column: str) -> Decimal:
        return Decimal(str(by_currency[currency][column])).quantize(Decimal("0.01"))

    assert cell("EUR", "gross_sales") == Decimal("14.50")
    assert cell("USD", "gross_sales") == Decimal("21.75")
    assert (cell("GBP", "net_sales"), cell("GBP", "total_sales")) == (Decimal("71.00"), Decimal("97.00"))


def test_orders_export_lists_every_line_of_the_period_once(
    aws: Any, staff: ApiClient, builds: StreamDriver
) -> None:
    write_versions(aws)
    # o1 as stored before placed days were kept: only the by_day index has it
    legacy = order_item(versions()["o1"][-1])
    del legacy["placed_day"], legacy["placed_key"]
    aws.put_item(TableName=ORDERS.local_name, Item=legacy)

    report = ask(staff, {"type": "orders_export", "from": DAY, "to": DAY}, builds)

    assert report["status"] == "READY", report
    assert report["period"] == DAY
    rows = csv_rows(download(report, "csv"))
    # o1 (2 lines), o2 (placed 00:30 Berlin) and o3 (23:59:59.999 Berlin); not o4 (midnight, the next
    # day); g1 to g4 placed on the day, g2 although it arrived two days later; not g5 (placed earlier)
    assert sorted((r["order_id"], r["sku"]) for r in rows) == [
        ("g1", "S1"),
        ("g1", "S2"),
        ("g2", "S2"),
        ("g3", "S1"),
        ("g4", "S2"),
        ("o1", "A"),
        ("o1", "B"),
        ("o2", "A"),
        ("o3", "C"),
    ]
    g1 = [r for r in rows if r["order_id"] == "g1"]
    assert [(r["line"], r["line_discount"], r["subtotal"], r["total"]) for r in g1] == [
        ("1", "4.00", "50.00", "55.00"),
        ("2", "0.00", "", ""),
    ]
    assert (g1[0]["discount_total"], g1[0]["shipping_total"], g1[0]["tax_total"]) == ("9.00", "6.00", "8.00")
    g2 = next(r for r in rows if r["order_id"] == "g2")
    assert (g2["status"], g2["placed_at"], g2["created_at"], g2["business_date"]) == (
        "FULFILLED_BY_CHANNEL",
        "2026-11-23T07:00:00.000000Z",
        "2026-11-25T08:00:00.000000Z",
        DAY,
    )
    assert (g2["taxes_included"], g2["tax_total"], g2["total"]) == ("true", "6.67", "40.00")
    # summed down the columns, each order counts once: the day's orders' totals
    totals = sum(Decimal(r["total"]) for r in rows if r["currency"] == "GBP" and r["total"])
    assert totals == Decimal("141.00")  # 55 + 40 + 20 + 26
    o1 = next(r for r in rows if r["order_id"] == "o1")
    assert (o1["placed_at"], o1["subtotal"], o1["total"]) == (o1["created_at"], "25.50", "25.50")
    o2 = next(r for r in rows if r["order_id"] == "o2")
    assert (o2["status"], o2["business_date"], o2["currency"], o2["customer_id"]) == (
        "CANCELLED",
        DAY,
        "EUR",
        "cust-1",
    )
    assert (o2["quantity"], o2["unit_price"], o2["line_total"]) == ("1", "10.00", "10.00")
    assert list(rows[0]) == [
        "order_id", "external_id", "channel", "status", "placed_at", "created_at", "business_date",
        "customer_id", "currency", "line", "sku", "quantity", "unit_price", "line_total", "line_discount",
        "taxes_included", "subtotal", "discount_total", "shipping_total", "tax_total", "total",
    ]  # fmt: skip


def test_inventory_report_with_days_of_cover(
    aws: Any, staff: ApiClient, sales: StreamDriver, builds: StreamDriver
) -> None:
    assert (
        staff.put("/products/MUG", {"name": "Mug", "price": "8.50", "low_stock_threshold": 20}).status == 201
    )
    assert staff.put("/inventory/MUG", {"on_hand": 14}).status == 200
    assert staff.put("/products/TEE", {"name": "T-shirt", "price": "19.99"}).status == 201
    # 7 mugs sold three days ago: one a day over the window
    three_days_ago = dt.datetime.combine(TODAY - dt.timedelta(days=3), dt.time(12), BERLIN).astimezone(dt.UTC)
    at = three_days_ago.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    aws.put_item(
        TableName=ORDERS.local_name, Item=order_item(placed("m1", "web", "EUR", at, line("MUG", 7, "8.50")))
    )
    sales.drain()

    report = ask(staff, {"type": "inventory"}, builds)

    assert report["status"] == "READY", report
    assert report["period"] == TODAY.isoformat()
    rows = csv_rows(download(report, "csv"))
    mug = next(r for r in rows if r["sku"] == "MUG" and r["location"] == "ALL")
    assert (mug["on_hand"], mug["available"], mug["low_stock"], mug["units_sold"]) == (
        "14",
        "14",
        "true",
        "7",
    )
    assert mug["days_of_cover"] == "14.0"
    tee = next(r for r in rows if r["sku"] == "TEE" and r["location"] == "ALL")
    assert (tee["on_hand"], tee["units_sold"], tee["days_of_cover"]) == ("0", "0", "")


def test_the_schedule_asks_once_per_run(aws: Any, builds: StreamDriver) -> None:
    run = {"schedule": "daily-reports", "scheduled_time": "2026-11-24T00:00:00Z"}  # 01:00 in Berlin
    context = LambdaContext(REPORTS_FUNCTION.name, 1024, 900, "test")

    first = reports_handler.lambda_handler(run, context)
    again = reports_handler.lambda_handler(run, context)  # Scheduler retried the run

    assert (
        first
        == again
        == {"reports": ["daily_sales-2026-11-23-daily-reports", "inventory-2026-11-24-daily-reports"]}
    )
    builds.drain()
    reports, _ = reports_wiring.report_store().list(None, None, None, None, 10)
    assert sorted((r.type, r.period, r.status, r.source) for r in reports) == [
        ("daily_sales", "2026-11-23", "READY", "schedule"),
        ("inventory", "2026-11-24", "READY", "schedule"),
    ]


def test_download_links_expire_within_fifteen_minutes(
    aws: Any, staff: ApiClient, builds: StreamDriver
) -> None:
    report = ask(staff, {"type": "daily_sales", "date": DAY}, builds)

    for file in report["files"]:
        query = parse_qs(urlparse(file["download_url"]).query)
        assert int(query["X-Amz-Expires"][0]) <= 900
        assert file["expires_at"] > report["completed_at"]
    assert staff.get(f"/reports/{report['report_id']}").header("Cache-Control") == "no-store"


def test_asking_again_with_the_same_key_is_the_same_report(aws: Any, staff: ApiClient) -> None:
    body = {"type": "orders_export", "from": DAY, "to": DAY}
    first = staff.post("/reports", body, headers={"Idempotency-Key": "export-1"})
    again = staff.post("/reports", body, headers={"Idempotency-Key": "export-1"})
    other = staff.post(
        "/reports", {"type": "daily_sales", "date": DAY}, headers={"Idempotency-Key": "export-1"}
    )

    assert (first.status, again.status) == (202, 202)
    assert again.json()["report_id"] == first.json()["report_id"]
    assert again.header("Idempotent-Replayed") == "true"
    assert other.status == 422
    assert other.json()["type"] == "urn:oms:problem:idempotency-key-reused"


def test_listing_newest_period_first_by_type_and_range(aws: Any, staff: ApiClient) -> None:
    for day in ("2026-11-20", "2026-11-22", "2026-11-21"):
        assert staff.post("/reports", {"type": "daily_sales", "date": day}).status == 202
    assert (
        staff.post("/reports", {"type": "orders_export", "from": "2026-11-01", "to": "2026-11-21"}).status
        == 202
    )

    every = staff.get("/reports")
    sales_only = staff.get(
        "/reports", query={"type": "daily_sales", "from": "2026-11-21", "to": "2026-11-22"}
    )
    first_page = staff.get("/reports", query={"type": "daily_sales", "limit": "2"})
    second_page = staff.get(
        "/reports", query={"type": "daily_sales", "limit": "2", "next_token": first_page.json()["next_token"]}
    )

    assert [r["period_start"] for r in every.json()["items"]] == [
        "2026-11-22",
        "2026-11-21",
        "2026-11-20",
        "2026-11-01",
    ]
    assert [r["period"] for r in sales_only.json()["items"]] == ["2026-11-22", "2026-11-21"]
    assert [r["period"] for r in first_page.json()["items"] + second_page.json()["items"]] == [
        "2026-11-22", "2026-11-21", "2026-11-20",
    ]  # fmt: skip
    assert second_page.json()["next_token"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "daily_sales", "date": "2999-01-01"}, "body.date"),
        ({"type": "inventory", "date": "2020-01-01"}, "body.date"),
        ({"type": "orders_export", "from": "2026-11-01"}, "body"),
        ({"type": "orders_export", "from": "2026-11-02", "to": "2026-11-01"}, "body"),
        ({"type": "orders_export", "from": "2020-01-01", "to": "2026-11-01"}, "body"),
        ({"type": "weekly"}, "body.type"),
    ],
)
def test_a_bad_request_is_a_problem(aws: Any, staff: ApiClient, body: dict[str, Any], field: str) -> None:
    reply = staff.post("/reports", body)
    assert reply.status == 422
    assert reply.header("Content-Type") == "application/problem+json"
    assert any(error["field"].startswith(field) for error in reply.json()["errors"]), reply.json()


def test_channel_keys_may_not_see_reports(aws: Any) -> None:
    web = ApiClient("dev-web-key")
    assert web.post("/reports", {"type": "inventory"}).status == 403
    assert web.get("/reports").status == 403
    assert web.get("/reports/anything").status == 403


def test_a_report_that_cannot_be_built_fails_with_a_reason(
    aws: Any, staff: ApiClient, builds: StreamDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    boto3.client("s3").delete_bucket(Bucket=REPORTS_BUCKET.local_name)  # nowhere to write

    report = ask(staff, {"type": "daily_sales", "date": DAY}, builds)

    assert report["status"] == "FAILED"
    assert "could not be built" in report["reason"]
    assert report["files"] == []
    assert builds.responses[-1] == {"batchItemFailures": []}  # failed for staff to see, not retried


def test_a_large_file_goes_up_in_parts_and_reads_back_whole(aws: Any) -> None:
    s3 = boto3.client("s3")
    chunk = bytes(range(256)) * 4096  # 1 MiB
    with MultipartWriter(
        s3, REPORTS_BUCKET.local_name, "reports/test/big.bin", "application/octet-stream"
    ) as out:
        for _ in range(11):
            out.write(chunk)
    body = s3.get_object(Bucket=REPORTS_BUCKET.local_name, Key="reports/test/big.bin")["Body"].read()
    assert body == chunk * 11
    parts = s3.head_object(Bucket=REPORTS_BUCKET.local_name, Key="reports/test/big.bin", PartNumber=1)
    assert parts["PartsCount"] == 2  # 8 MiB, then the last 3


def test_a_failed_upload_is_aborted(aws: Any) -> None:
    s3 = boto3.client("s3")
    with (
        pytest.raises(RuntimeError),
        MultipartWriter(s3, REPORTS_BUCKET.local_name, "reports/test/x", "text/csv") as out,
    ):
        out.write(b"x" * (9 * 1024 * 1024))
        raise RuntimeError("the export broke")
    assert s3.list_multipart_uploads(Bucket=REPORTS_BUCKET.local_name).get("Uploads", []) == []
    assert "Contents" not in s3.list_objects_v2(Bucket=REPORTS_BUCKET.local_name, Prefix="reports/test/")


def test_skus_holding_a_separator_in_the_counters_and_the_reports(
    aws: Any, staff: ApiClient, sales: StreamDriver, builds: StreamDriver
) -> None:
    # "A#1" and "A" side by side: SKU#A%231#EUR and SKU#A#EUR are two counters, read back as two SKUs.
    for sku in ("A#1", "A"):
        assert staff.put(f"/products/{quote(sku, safe='')}", {"name": sku, "price": "2.00"}).status == 201
        assert staff.put(f"/inventory/{quote(sku, safe='')}", {"on_hand": 14}).status == 200
    day = TODAY - dt.timedelta(days=3)
    at = dt.datetime.combine(day, dt.time(12), BERLIN).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    order = placed("h1", "web", "EUR", at, line("A#1", 7, "2.00"), line("A", 1, "2.00"))
    aws.put_item(TableName=ORDERS.local_name, Item=order_item(order))
    sales.drain()

    inventory = ask(staff, {"type": "inventory"}, builds)
    daily = ask(staff, {"type": "daily_sales", "date": day.isoformat()}, builds)

    assert (inventory["status"], daily["status"]) == ("READY", "READY")
    totals = {r["sku"]: r for r in csv_rows(download(inventory, "csv")) if r["location"] == "ALL"}
    assert {sku: (r["on_hand"], r["units_sold"], r["days_of_cover"]) for sku, r in totals.items()} == {
        "A#1": ("14", "7", "14.0"),
        "A": ("14", "1", "98.0"),
    }
    by_sku = {r["key"]: r for r in csv_rows(download(daily, "csv")) if r["section"] == "sku"}
    assert {sku: (r["units"], r["gross_sales"]) for sku, r in by_sku.items()} == {
        "A#1": ("7", "14.00"),
        "A": ("1", "2.00"),
    }


def test_on_the_first_of_a_month_and_on_mondays_the_schedule_asks_for_the_analytics_reports(
    aws: Any, builds: StreamDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared.reports.tabular import Sheet, TabularReport

    def source(report: Any) -> tuple[TabularReport, int]:
        sheet = Sheet("Period", ("from", "to"), ((report.period_start, report.period_end),))
        return TabularReport(title=report.type, subtitle="", sheets=(sheet,)), 7

    for report_type in ("sales_trends", "customer_behaviour", "inventory_performance"):
        monkeypatch.setitem(reports_wiring.ANALYTICS, report_type, source)
    run = {"schedule": "daily-reports", "scheduled_time": "2026-05-31T23:00:00Z"}  # Monday 1 June, 01:00

    asked = reports_handler.lambda_handler(run, LambdaContext(REPORTS_FUNCTION.name, 1024, 900, "test"))

    assert asked["reports"][2:] == [
        "inventory_performance-2026-05-25_2026-05-31-daily-reports",
        "sales_trends-2026-05-01_2026-05-31-daily-reports",
        "customer_behaviour-2026-05-01_2026-05-31-daily-reports",
    ]
    builds.drain()
    store = reports_wiring.report_store()
    built = store.get("sales_trends-2026-05-01_2026-05-31-daily-reports")
    assert built is not None and built.status == "READY"
    assert [(f.format, f.rows) for f in built.files] == [("csv", 1), ("xlsx", 1), ("html", 1)]
    body = boto3.client("s3").get_object(Bucket=REPORTS_BUCKET.local_name, Key=built.files[0].key)["Body"]
    assert body.read().decode() == "section,from,to\r\nPeriod,2026-05-01,2026-05-31\r\n"


def test_an_analytics_report_with_no_source_fails_with_a_reason(
    aws: Any, staff: ApiClient, builds: StreamDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delitem(reports_wiring.ANALYTICS, "sales_trends", raising=False)

    report = ask(staff, {"type": "sales_trends", "from": "2026-01-01", "to": "2026-01-31"}, builds)

    assert report["status"] == "FAILED"
    assert "NoSource" in report["reason"]
