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
from shared.dal.keys import day_pk, period_pk
from shared.dal.orders import order_item
from shared.dal.report_sources import OrderPeriods
from shared.dal.sales import SalesStore
from shared.models.orders import Order
from shared.reports.days import day_range
from shared.reports.periods import Period
from shared.reports.sales import daily_sales, recount, rolled_up, rows_of
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
    """A total added to in one shard, a SKU's counter lost from another, a ghost counter in the day's
    unsharded partition (as written before the shards: daily_sales still reads it)."""
    table = DAILY_SALES.local_name
    shards = store(dynamodb).stored(Period("DAY", DAY))
    assert shards, "the stream kept no counters for the day"
    assert None not in shards  # the stream writes the sharded partitions only
    shard, total = next(
        (s, r) for s, rows in sorted(shards.items()) for r in rows if r.what.startswith("TOTAL#")
    )
    dynamodb.update_item(
        TableName=table,
        Key={"pk": {"S": period_pk("DAY", DAY, shard)}, "sk": {"S": total.what}},
        UpdateExpression="ADD gross :x",
        ExpressionAttributeValues={":x": {"N": "999.99"}},
    )
    shard, sku = next((s, r) for s, rows in sorted(shards.items()) for r in rows if r.what.startswith("SKU#"))
    dynamodb.delete_item(
        TableName=table, Key={"pk": {"S": period_pk("DAY", DAY, shard)}, "sk": {"S": sku.what}}
    )
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

    # The day, its ISO week and its month, each moved whole into shard 0 (the stream spread them over
    # the orders' shards), the ghost deleted from the unsharded partition.
    assert [(p.kind, p.day) for p in plans] == [("DAY", DAY), ("WEEK", "2026-W48"), ("MONTH", "2026-11")]
    day_plan = plans[0]
    assert (None, "SKU#GHOST#EUR") in day_plan.stale
    assert all(shard != 0 for shard, _ in day_plan.stale)
    assert store(aws).stored(Period("DAY", DAY)).keys() == {0}
    assert stored(aws, DAY) == expected(DAY)
    week = rolled_up(recount(latest(), BERLIN))
    for period in (Period("WEEK", "2026-W48"), Period("MONTH", "2026-11")):
        want = sorted((what, fields) for (p, what), fields in week.items() if p == period)
        assert [(r.what, dict(r.fields)) for r in store(aws).rows(period)] == want
        assert want
    again = list(service(aws).run(dt.date(2026, 11, 23), dt.date(2026, 11, 23)))
    assert [p.changed for p in again] == [False, False, False]


def test_recount_builds_counters_the_stream_never_kept(aws: Any) -> None:
    write_latest(aws)  # as an import or a stack older than the counters leaves them: no counters at all
    assert all(not store(aws).day(day) for day in DAYS)

    recount_service = service(aws)
    plans = list(recount_service.run(dt.date(2026, 11, 20), dt.date(2026, 11, 24)))

    assert [p.day for p in plans] == [*DAYS, "2026-W47", "2026-W48", "2026-11"]
    assert recount_service.orders_read == len(versions())
    for day in DAYS:
        assert stored(aws, day) == expected(day), day
    assert expected(DAY).currencies  # the comparison compares something


class Spy:
    """The orders' store, saying which placed range the recount asked for."""

    def __init__(self, orders: OrderPeriods) -> None:
        self.orders = orders
        self.asked: list[tuple[str, str]] = []

    def placed_between(self, start: str, end: str) -> Iterator[Order]:
        self.asked.append((start, end))
        return self.orders.placed_between(start, end)


def test_the_lookback_counts_back_from_the_first_month_or_week_the_range_touches(aws: Any) -> None:
    """The roll-ups of the month (and ISO week) holding --from are counted from all their days, so the
    orders are read from the first of them minus the lookback: a day's returns of an order placed
    earlier in the month (o5, placed the 20th, returned the 23rd) are counted even with no lookback."""
    write_latest(aws)
    spy = Spy(OrderPeriods(aws, ORDERS.local_name))
    narrow = SalesRecount(spy, store(aws), BERLIN, lookback_days=0)
    list(narrow.run(dt.date(2026, 11, 23), dt.date(2026, 11, 23)))
    assert spy.asked == [day_range(dt.date(2026, 11, 1), dt.date(2026, 11, 30), BERLIN)]
    assert stored(aws, DAY) == expected(DAY)
    spy.asked.clear()
    wide = SalesRecount(spy, store(aws), BERLIN, lookback_days=10)
    list(wide.run(dt.date(2026, 11, 23), dt.date(2026, 11, 23)))
    assert spy.asked == [day_range(dt.date(2026, 10, 22), dt.date(2026, 11, 30), BERLIN)]


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


def test_a_week_or_month_not_ended_is_left_to_the_stream(aws: Any) -> None:
    """A recount on a live shop: the stream adds to this week's and this month's items while the recount
    reads, so it never replaces them (it would lose those changes); it says which it left alone."""
    write_latest(aws)
    recount_service = service(aws)

    plans = list(
        recount_service.run(dt.date(2026, 11, 20), dt.date(2026, 11, 24), today=dt.date(2026, 11, 25))
    )

    assert [p.day for p in plans] == [*DAYS, "2026-W47"]  # the days and the week that ended on the 22nd
    assert [p.label for p in recount_service.open_periods] == ["2026-W48", "2026-11"]
    assert store(aws).rows(Period("MONTH", "2026-11")) == []  # untouched
