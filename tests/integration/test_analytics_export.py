"""The nightly analytics export against moto: the function writes each business day's orders, lines and
stock-out days to the analytics bucket; exporting again writes the same bytes (and a day whose orders
changed, only that day's new rows); DuckDB over the files copied from the bucket (what ``oms sql`` does)
adds up to exactly the daily counters' recount of the same orders, per currency (EUR, USD, GBP, with
cancellations, returns and refunds: tests/support/report_orders.py). ``oms analytics-export`` and ``oms
sql`` run against the embedded endpoint, as on the local stack."""

from __future__ import annotations

import contextlib
import io
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pytest

from infra import cli
from infra.analytics_sql import run, sync
from infra.local.moto_server import EmbeddedAws
from infra.local.resources import ensure_buckets, ensure_tables
from infra.local.workers import LambdaContext
from infra.spec import ANALYTICS_BUCKET, ANALYTICS_EXPORT, INVENTORY_STATS, ORDERS
from shared.analytics.layout import ORDERS_TABLE, TABLES
from shared.dal import keys
from shared.dal.analytics_export import AnalyticsFiles
from shared.dal.orders import order_item
from shared.reports.sales import parse_counter, recount
from tests.support.local_aws import local_aws
from tests.support.ports import free_port
from tests.support.report_orders import BERLIN, TIMEZONE, latest, refunded, versions

D = Decimal
FIRST, LAST = "2026-11-20", "2026-11-25"  # every day the fixture orders are placed, refunded or cancelled
DAYS = ["2026-11-20", "2026-11-21", "2026-11-22", "2026-11-23", "2026-11-24", "2026-11-25"]
AMOUNTS = ("gross", "discounts", "returns", "shipping", "taxes", "included_taxes")


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("OMS_TIMEZONE", TIMEZONE)
    with local_aws() as dynamodb:
        for order in latest():
            dynamodb.put_item(TableName=ORDERS.local_name, Item=order_item(order))
        put_stockout(dynamodb, "2026-11-23", "A", ["main", "backroom"])
        put_stockout(dynamodb, "2026-11-23", "S1", ["main"])
        put_stockout(dynamodb, "2026-11-24", "A", ["main"])
        yield dynamodb


def put_stockout(dynamodb: Any, day: str, sku: str, locations: list[str]) -> None:
    """A stock-out day as the inventory aggregates record it (INVENTORY_STATS)."""
    dynamodb.put_item(
        TableName=INVENTORY_STATS.local_name,
        Item={
            "pk": {"S": keys.stock_out_pk(day)},
            "sk": {"S": f"SKU#{sku}"},
            "sku": {"S": sku},
            "day": {"S": day},
            "locations": {"SS": locations},
        },
    )


def invoke(event: dict[str, Any]) -> dict[str, Any]:
    from functions.analytics_export import handler

    context = LambdaContext(ANALYTICS_EXPORT.name, 1024, 900, "test")
    answer: dict[str, Any] = handler.lambda_handler(event, context)
    return answer


def objects() -> dict[str, bytes]:
    s3 = boto3.client("s3")
    listed = s3.list_objects_v2(Bucket=ANALYTICS_BUCKET.local_name, Prefix="analytics/").get("Contents", [])
    return {
        o["Key"]: s3.get_object(Bucket=ANALYTICS_BUCKET.local_name, Key=o["Key"])["Body"].read()
        for o in listed
    }


def counted_totals() -> dict[str, dict[str, Decimal]]:
    """Per currency, what the daily counters add up to over DAYS: the recount of the orders."""
    totals: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for (day, what), fields in recount(latest(), BERLIN).items():
        counter = parse_counter(what)
        if day in DAYS and counter is not None and counter.kind == "TOTAL":
            for name, value in fields.items():
                totals[counter.currency][name] += value
    return totals


def test_each_day_lands_in_its_own_objects(aws: Any) -> None:
    answer = invoke({"from": FIRST, "to": LAST})
    assert answer["days"] == DAYS
    assert answer["orders"] == len(latest()) and answer["stockouts"] == 3
    assert answer["lines"] == sum(len(o.lines) for o in latest())
    assert answer["items_read"] >= answer["orders"] + answer["stockouts"]
    stored = objects()
    assert sorted(stored) == sorted(t.key(day) for t in TABLES for day in DAYS)
    assert stored[ORDERS_TABLE.key("2026-11-22")][:2] == b"\x1f\x8b"  # gzip, even for a day without orders


def test_exporting_again_is_idempotent_and_a_changed_order_changes_only_its_day(aws: Any) -> None:
    invoke({"from": FIRST, "to": LAST})
    before = objects()
    invoke({"from": FIRST, "to": LAST})
    assert objects() == before  # the same bytes: no time in the gzip header, rows in the index's order
    o1 = versions()["o1"][-1]  # placed on the 23rd
    aws.put_item(
        TableName=ORDERS.local_name, Item=order_item(refunded(o1, "2026-11-26T10:00:00.000000Z", "5.00"))
    )
    invoke({"from": "2026-11-23", "to": "2026-11-23"})
    after = objects()
    changed = {key for key in after if after[key] != before[key]}
    assert changed == {ORDERS_TABLE.key("2026-11-23")}  # its lines did not change


def test_duckdb_over_the_export_equals_the_counters_recount(aws: Any, tmp_path: Path) -> None:
    invoke({"from": FIRST, "to": LAST})
    synced = sync(boto3.client("s3"), ANALYTICS_BUCKET.local_name, tmp_path)
    assert (synced.objects, synced.downloaded, synced.removed) == (3 * len(DAYS), 3 * len(DAYS), 0)
    result = run(
        tmp_path,
        """SELECT currency, count(*), sum(units), sum(returned_units), sum(gross_sales),
                  sum(discounts), sum(returns), sum(shipping), sum(taxes), sum(included_taxes),
                  sum(net_sales), sum(total_sales)
           FROM orders WHERE NOT cancelled GROUP BY currency ORDER BY currency""",
    )
    counted = counted_totals()
    assert [r[0] for r in result.rows] == sorted(counted) == ["EUR", "GBP", "USD"]
    for row in result.rows:
        c = counted[row[0]]
        assert row[1:4] == (c["orders"], c["units"], c["returned_units"])
        assert row[4:10] == tuple(c[name] for name in AMOUNTS)
        assert all(isinstance(v, Decimal) for v in row[4:])  # exact: never a float on the way
        net = c["gross"] - c["discounts"] - c["returns"]
        assert row[10] == net
        assert row[11] == net + c["shipping"] + c["taxes"] - c["included_taxes"]
    # the lines of the orders that count add up to their gross sales
    lines = run(
        tmp_path,
        "SELECT currency, sum(line_total), sum(quantity) FROM lines WHERE NOT cancelled "
        "GROUP BY currency ORDER BY 1",
    )
    assert [(r[0], r[1], r[2]) for r in lines.rows] == [
        (cur, counted[cur]["gross"], int(counted[cur]["units"])) for cur in ("EUR", "GBP", "USD")
    ]
    stockouts = run(tmp_path, "SELECT day, sku, locations FROM stockouts ORDER BY day, sku")
    assert stockouts.rows == [
        ("2026-11-23", "A", ["backroom", "main"]),
        ("2026-11-23", "S1", ["main"]),
        ("2026-11-24", "A", ["main"]),
    ]
    # nothing changed in the bucket: a second sync downloads nothing
    assert sync(boto3.client("s3"), ANALYTICS_BUCKET.local_name, tmp_path).downloaded == 0


def test_each_nightly_run_exports_its_day(aws: Any) -> None:
    # the runs at 02:00 and 02:40 in Berlin on the 24th (01:00 and 01:40 UTC): the 23rd, then the 21st
    answer = invoke(
        {"schedule": "analytics-export", "scheduled_time": "2026-11-24T01:00:00Z", "days_ago": "1"}
    )
    assert answer["days"] == ["2026-11-23"] and answer["orders"] == 7
    answer = invoke(
        {"schedule": "analytics-export", "scheduled_time": "2026-11-24T01:40:00Z", "days_ago": "3"}
    )
    assert answer["days"] == ["2026-11-21"]
    assert sorted(objects()) == sorted(t.key(d) for t in TABLES for d in ("2026-11-21", "2026-11-23"))


@pytest.mark.parametrize(
    "event",
    [
        {"from": "2026-11-25", "to": "2026-11-20"},
        {"from": "2026-01-01", "to": "2026-03-01"},
        {"from": "soon"},
    ],
)
def test_a_bad_range_exports_nothing_and_says_why(aws: Any, event: dict[str, Any]) -> None:
    answer = invoke(event)
    assert answer["error"] and answer["details"]
    assert objects() == {}


# --- oms analytics-export and oms sql against the embedded endpoint ---------------------------------

LOCAL = {"aws_access_key_id": "local", "aws_secret_access_key": "local", "region_name": "us-east-1"}


@pytest.fixture
def endpoint() -> Iterator[str]:
    aws = EmbeddedAws("127.0.0.1", free_port()).start()
    try:
        ensure_tables(boto3.client("dynamodb", endpoint_url=aws.url, **LOCAL), (ORDERS, INVENTORY_STATS))
        ensure_buckets(boto3.client("s3", endpoint_url=aws.url, **LOCAL), (ANALYTICS_BUCKET,))
        yield aws.url
    finally:
        aws.stop()


def oms(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.main(list(argv))
    return code, out.getvalue()


def test_oms_analytics_export_then_oms_sql(endpoint: str, tmp_path: Path) -> None:
    dynamodb = boto3.client("dynamodb", endpoint_url=endpoint, **LOCAL)
    for order in latest():
        dynamodb.put_item(TableName=ORDERS.local_name, Item=order_item(order))
    code, printed = oms(
        "analytics-export", "--endpoint", endpoint, "--from", FIRST, "--to", LAST, "--timezone", TIMEZONE
    )
    assert code == 0, printed
    assert "2026-11-23: 7 orders" in printed
    assert f"6 day(s) exported ({TIMEZONE}): {len(latest())} orders" in printed
    code, printed = oms(
        "sql",
        "--endpoint",
        endpoint,
        "--cache",
        str(tmp_path),
        "SELECT currency, sum(net_sales) AS net FROM orders WHERE NOT cancelled GROUP BY currency ORDER BY 1",
    )
    assert code == 0, printed
    counted = counted_totals()
    for currency, c in counted.items():
        net = c["gross"] - c["discounts"] - c["returns"]
        assert any(currency in line and f"{net:.2f}" in line for line in printed.splitlines()), printed
    code, printed = oms(
        "sql", "--endpoint", endpoint, "--cache", str(tmp_path), "--query", "repeat-rate-by-cohort"
    )
    assert code == 0 and "cohort" in printed and "2026-11" in printed, printed
    code, printed = oms("sql", "--endpoint", endpoint, "--list")
    assert code == 0 and "stockouts-last-week" in printed
    assert (
        oms("sql", "--endpoint", endpoint, "--cache", str(tmp_path), "--offline", "SELECT nope FROM orders")[
            0
        ]
        == 1
    )


def test_a_failed_export_leaves_the_days_object_as_it_was(aws: Any) -> None:
    invoke({"from": "2026-11-23", "to": "2026-11-23"})
    before = objects()

    class Broken(RuntimeError):
        pass

    files = AnalyticsFiles(boto3.client("s3"), ANALYTICS_BUCKET.local_name)
    with pytest.raises(Broken), files.writer(ORDERS_TABLE.key("2026-11-23")) as out:
        out.write(b'{"order_id":"half"}\n')
        raise Broken
    assert objects() == before
    assert not boto3.client("s3").list_multipart_uploads(Bucket=ANALYTICS_BUCKET.local_name).get("Uploads")
