"""``oms recount`` against moto: after a day's counters are corrupted (or were never kept), the recount
makes ``daily_sales`` equal ``recount`` of the orders again, and a second run writes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from infra import cli
from infra.spec import DAILY_SALES, ORDERS, SALES_AGGREGATES
from shared.dal.keys import day_pk
from shared.dal.orders import order_item
from shared.dal.report_sources import OrderPeriods
from shared.dal.sales import SalesStore
from shared.reports.sales import daily_sales, recount, rows_of
from shared.services.recount import SalesRecount
from tests.support.local_aws import local_aws
from tests.support.report_orders import BERLIN, DAY, TIMEZONE, latest, versions
from tests.support.streams import StreamDriver

DAYS = ("2026-11-20", "2026-11-21", "2026-11-22", "2026-11-23", "2026-11-24")


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("OMS_TIMEZONE", TIMEZONE)
    with local_aws() as dynamodb:
        yield dynamodb


def store(dynamodb: Any) -> SalesStore:
    return SalesStore(dynamodb, DAILY_SALES.local_name)


def service(dynamodb: Any) -> SalesRecount:
    return SalesRecount(OrderPeriods(dynamodb, ORDERS.local_name), store(dynamodb), BERLIN)


def write_latest(dynamodb: Any) -> None:
    for history in versions().values():
        dynamodb.put_item(TableName=ORDERS.local_name, Item=order_item(history[-1]))


def expected(day: str) -> Any:
    return daily_sales(day, TIMEZONE, rows_of(recount(latest(), BERLIN), day))


def stored(dynamodb: Any, day: str) -> Any:
    return daily_sales(day, TIMEZONE, store(dynamodb).day(day))


def corrupt(dynamodb: Any) -> None:
    table = DAILY_SALES.local_name
    rows = store(dynamodb).day(DAY)
    assert rows, "the stream kept no counters for the day"
    total = next(r for r in rows if r.what.startswith("TOTAL#"))
    dynamodb.update_item(
        TableName=table,
        Key={"pk": {"S": day_pk(DAY)}, "sk": {"S": total.what}},
        UpdateExpression="ADD gross :x",
        ExpressionAttributeValues={":x": {"N": "999.99"}},
    )
    sku = next(r for r in rows if r.what.startswith("SKU#"))
    dynamodb.delete_item(TableName=table, Key={"pk": {"S": day_pk(DAY)}, "sk": {"S": sku.what}})
    dynamodb.put_item(
        TableName=table, Item={"pk": {"S": day_pk(DAY)}, "sk": {"S": "SKU#GHOST#EUR"}, "gross": {"N": "5"}}
    )


def test_recount_restores_corrupted_counters(aws: Any) -> None:
    for history in versions().values():
        for version in history:
            aws.put_item(TableName=ORDERS.local_name, Item=order_item(version))
    StreamDriver(SALES_AGGREGATES).drain()
    assert stored(aws, DAY) == expected(DAY)
    corrupt(aws)
    assert stored(aws, DAY) != expected(DAY)

    plans = list(service(aws).run(dt.date(2026, 11, 23), dt.date(2026, 11, 23)))

    (plan,) = plans
    assert plan.day == DAY and len(plan.put) == 2 and plan.delete == ("SKU#GHOST#EUR",)
    assert stored(aws, DAY) == expected(DAY)
    again = list(service(aws).run(dt.date(2026, 11, 23), dt.date(2026, 11, 23)))
    assert [p.changed for p in again] == [False]


def test_recount_builds_counters_the_stream_never_kept(aws: Any) -> None:
    write_latest(aws)  # as an import or a stack older than the counters leaves them: no counters at all
    assert all(not store(aws).day(day) for day in DAYS)

    recount_service = service(aws)
    plans = list(recount_service.run(dt.date(2026, 11, 20), dt.date(2026, 11, 24)))

    assert [p.day for p in plans] == list(DAYS)
    assert recount_service.orders_read == len(versions())
    for day in DAYS:
        assert stored(aws, day) == expected(day), day
    assert expected(DAY).currencies  # the comparison compares something


def test_a_short_lookback_misses_returns_of_orders_placed_before_it(aws: Any) -> None:
    write_latest(aws)
    narrow = SalesRecount(OrderPeriods(aws, ORDERS.local_name), store(aws), BERLIN, lookback_days=0)
    list(narrow.run(dt.date(2026, 11, 23), dt.date(2026, 11, 23)))
    assert stored(aws, DAY) != expected(DAY)  # o5 (placed the 20th) was returned on the day
    list(service(aws).run(dt.date(2026, 11, 23), dt.date(2026, 11, 23)))
    assert stored(aws, DAY) == expected(DAY)


def test_oms_recount_prints_each_day(
    aws: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_latest(aws)
    monkeypatch.setattr(cli, "_client", lambda args, service: boto3.client(service))

    code = cli.main(["recount", "--from", "2026-11-22", "--to", "2026-11-23", "--timezone", TIMEZONE])

    out = capsys.readouterr().out
    assert code == 0
    assert "2026-11-23: put " in out and "put TOTAL#EUR" in out
    assert "2 day(s) recounted" in out
    assert stored(aws, DAY) == expected(DAY)
    assert cli.main(["recount", "--from", "2026-11-22", "--to", "2026-11-23", "--timezone", TIMEZONE]) == 0
    assert "all unchanged" in capsys.readouterr().out
    assert cli.main(["recount", "--from", "2026-11-23", "--to", "2026-11-22"]) == 2
    assert "before" in capsys.readouterr().err
    assert not store(aws).day("2026-11-21")  # outside the range: untouched
