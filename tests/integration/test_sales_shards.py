"""The sales counters against moto: an order's change lands in its shard of the day, ISO week and month
(shared.dal.sales), and a change too large for one transaction is applied in chunks, each exactly once."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from infra.spec import DAILY_SALES, ORDERS, SALES_AGGREGATES
from shared.dal.keys import ANALYTICS_SHARDS, order_pk, period_pk, shard_of
from shared.dal.orders import order_item
from shared.dal.sales import SalesStore
from shared.models.orders import HistoryEntry, Order, OrderLine
from shared.reports.periods import Period
from shared.reports.sales import delta, recount, rolled_up
from tests.support.local_aws import local_aws
from tests.support.streams import StreamDriver
from tests.support.trend_orders import BERLIN, TIMEZONE, one_order

D = Decimal


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("OMS_TIMEZONE", TIMEZONE)
    with local_aws() as dynamodb:
        yield dynamodb


def store(dynamodb: Any) -> SalesStore:
    return SalesStore(dynamodb, DAILY_SALES.local_name)


def test_an_order_adds_to_its_shard_of_the_day_week_and_month(aws: Any) -> None:
    (history,) = [one_order(random.Random(1), "o-shard", dt.datetime(2026, 2, 4, 10, tzinfo=dt.UTC))[:1]]
    aws.put_item(TableName=ORDERS.local_name, Item=order_item(history[0]))
    StreamDriver(SALES_AGGREGATES).drain()
    shard = shard_of("o-shard")
    for pk in (
        period_pk("DAY", "2026-02-04", shard),
        period_pk("WEEK", "2026-W06", shard),
        period_pk("MONTH", "2026-02", shard),
    ):
        items = aws.query(
            TableName=DAILY_SALES.local_name,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": pk}},
        )["Items"]
        kinds = {item["sk"]["S"].split("#")[0] for item in items}
        assert kinds == (
            {"TOTAL", "CHANNEL", "SKU", "STATUS"} if pk.startswith("DAY#") else {"TOTAL", "CHANNEL", "SKU"}
        ), pk
    others = [s for s in range(ANALYTICS_SHARDS) if s != shard]
    assert not store(aws).stored(Period("DAY", "2026-02-04")).keys() - {shard}
    assert others


def big_order(order_id: str) -> Order:
    lines = [
        OrderLine(sku=f"BIG-{n:02d}", quantity=1, unit_price=D("2.00"), line_total=D("2.00"), discount=D(0))
        for n in range(50)
    ]
    at = "2026-03-31T10:00:00.000000Z"  # the last day of a month: day, week and month items
    return Order(
        order_id=order_id,
        status="CONFIRMED",
        channel="web",
        currency="EUR",
        lines=lines,
        subtotal=D("100.00"),
        total=D("100.00"),
        placed_at=at,
        created_at=at,
        updated_at=at,
        history=[HistoryEntry(status="CONFIRMED", at=at, actor="feed")],
    )


class FailingSecond:
    """A DynamoDB client whose second TransactWriteItems times out (after the first committed)."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.calls = 0

    def transact_write_items(self, **kwargs: Any) -> Any:
        self.calls += 1
        if self.calls == 2:
            raise TimeoutError("read timeout")
        return self.real.transact_write_items(**kwargs)


def test_a_change_too_large_for_one_transaction_is_applied_in_chunks_exactly_once(aws: Any) -> None:
    order = big_order("o-big")
    moved = delta(None, order, BERLIN)
    want = rolled_up(moved)
    assert len(want) + 1 > 100  # 50 SKUs, a total and a channel in a day, a week and a month, a status

    failing = SalesStore(FailingSecond(aws), DAILY_SALES.local_name)
    with pytest.raises(TimeoutError):
        failing.apply("o-big", "100", moved, 1_800_000_000)
    sales = store(aws)
    assert sales.apply("o-big", "100", moved, 1_800_000_000)  # the retry applies the missing chunk
    assert not sales.apply("o-big", "100", moved, 1_800_000_000)  # and a redelivery nothing

    markers = aws.query(
        TableName=DAILY_SALES.local_name,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": order_pk("o-big")}},
    )["Items"]
    assert sorted(item["sk"]["S"] for item in markers) == ["APPLIED", "APPLIED#2"]
    for period in (Period("DAY", "2026-03-31"), Period("WEEK", "2026-W14"), Period("MONTH", "2026-03")):
        stored = {row.what: dict(row.fields) for row in sales.rows(period)}
        assert stored == {what: fields for (p, what), fields in want.items() if p == period}, period


def test_seeded_counters_read_as_the_streams(aws: Any) -> None:
    """``SalesStore.seed`` (the bench's way in) lays down what the stream would: the same rows read back."""
    orders = [
        one_order(random.Random(n), f"o-seed-{n}", dt.datetime(2026, 5, 4 + n % 3, 9, tzinfo=dt.UTC))[0]
        for n in range(12)
    ]
    for order in orders:
        aws.put_item(TableName=ORDERS.local_name, Item=order_item(order))
    StreamDriver(SALES_AGGREGATES).drain()
    streamed = {
        p: store(aws).rows(p)
        for p in (Period("DAY", "2026-05-05"), Period("WEEK", "2026-W19"), Period("MONTH", "2026-05"))
    }
    for item in aws.scan(TableName=DAILY_SALES.local_name)["Items"]:  # the counters gone, as on a new table
        aws.delete_item(TableName=DAILY_SALES.local_name, Key={"pk": item["pk"], "sk": item["sk"]})
    assert not any(store(aws).rows(p) for p in streamed)
    by_shard: dict[int, list[Order]] = {}
    for order in orders:
        by_shard.setdefault(shard_of(order.order_id), []).append(order)
    sales = store(aws)
    for shard, group in by_shard.items():
        sales.seed(shard, recount(group, BERLIN))
    assert {p: sales.rows(p) for p in streamed} == streamed
    assert all(streamed.values())
