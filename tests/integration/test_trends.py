"""Trends against moto: orders through the orders stream into the sharded day, week and month counters, read
back by GET /analytics/trends.

The exactness test builds three months of orders (two currencies, three channels, cancellations, returns,
refunds, taxes on top and included, business days in Europe/Berlin) and checks every figure of every
trend (day, week and month granularity; total, channel and SKU; clipped buckets; the previous period)
against a computation written here from the orders themselves, not with shared.reports.sales.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import urlencode

import pytest

from infra.spec import DAILY_SALES, ORDERS, SALES_AGGREGATES
from shared.dal.keys import ANALYTICS_SHARDS
from shared.dal.orders import order_item
from shared.dal.sales import SalesStore
from shared.models.orders import Order
from shared.models.trends import TrendFigures, Trends
from shared.reports.trends import TrendQuery
from shared.services.trends import TrendService
from tests.support.http import ApiClient
from tests.support.local_aws import local_aws
from tests.support.streams import StreamDriver
from tests.support.trend_orders import BERLIN, FIRST, LAST, TIMEZONE, build_orders

D = Decimal
CENT = D("0.01")


@pytest.fixture(scope="module")
def shop() -> Iterator[tuple[Any, list[Order], StreamDriver]]:
    """Three months of orders, through the stream into the counters (once for the module: slow)."""
    with pytest.MonkeyPatch.context() as patch, local_aws() as dynamodb:
        patch.setenv("OMS_TIMEZONE", TIMEZONE)
        orders, driver = drained(dynamodb)
        yield dynamodb, orders, driver


def store(dynamodb: Any) -> SalesStore:
    return SalesStore(dynamodb, DAILY_SALES.local_name)


# --- the independent computation ---------------------------------------------------------------

Fields = dict[str, Decimal]
# (business day, series kind, name, currency) -> fields; kind: total | channel | sku
Ledger = dict[tuple[dt.date, str, str, str], Fields]


def business_day(text: str) -> dt.date:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(BERLIN).date()


def ledger(orders: list[Order]) -> Ledger:
    """Every order's figures on the business days they happened, from the orders alone (the orders built
    here: distinct SKUs per order, returns valued at the line's net price per unit, refunds without
    lines, a cancellation taking back all the order had added, on its own day)."""
    book: Ledger = defaultdict(lambda: defaultdict(Decimal))
    for order in orders:
        so_far: dict[tuple[str, str], Fields] = defaultdict(lambda: defaultdict(Decimal))

        def add(
            day: dt.date, kind: str, name: str, fields: Fields, order: Order = order, so_far: Any = so_far
        ) -> None:
            for field, value in fields.items():
                book[(day, kind, name, order.currency)][field] += value
                so_far[(kind, name)][field] += value

        placed = business_day(order.placed_at or order.created_at)
        whole = {
            "orders": D(1),
            "units": D(sum(line.quantity for line in order.lines)),
            "gross": order.subtotal,
            "discounts": order.discount_total,
            "shipping": order.shipping_total,
            "taxes": order.tax_total,
            "included": order.tax_total if order.taxes_included else D(0),
        }
        add(placed, "total", "total", whole)
        add(placed, "channel", order.channel, whole)
        for line in order.lines:
            add(
                placed,
                "sku",
                line.sku,
                {
                    "orders": D(1),
                    "units": D(line.quantity),
                    "gross": line.line_total,
                    "discounts": line.discount,
                },
            )
        for record in order.returns:
            for back in record.lines:
                (line,) = [item for item in order.lines if item.sku == back.sku]
                value = ((line.line_total - line.discount) / line.quantity * back.quantity).quantize(CENT)
                day = business_day(record.returned_at)
                for kind, name in (("total", "total"), ("channel", order.channel), ("sku", back.sku)):
                    add(day, kind, name, {"returns": value})
        for paid in order.refunds:
            day = business_day(paid.refunded_at)
            for kind, name in (("total", "total"), ("channel", order.channel)):
                add(day, kind, name, {"returns": paid.amount})
        if order.status == "CANCELLED":
            day = business_day(order.history[-1].at)
            for (kind, name), fields in list(so_far.items()):
                add(day, kind, name, {field: -value for field, value in fields.items()})
    return book


def expected_figures(
    book: Ledger, first: str, last: str, kind: str, name: str, currency: str
) -> dict[str, Any]:
    total: Fields = defaultdict(Decimal)
    lo, hi = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    for (day, k, n, c), fields in book.items():
        if lo <= day <= hi and (k, n, c) == (kind, name, currency):
            for field, value in fields.items():
                total[field] += value
    net = total["gross"] - total["discounts"] - total["returns"]
    sku = kind == "sku"
    orders = int(total["orders"])
    return {
        "orders": orders,
        "units": int(total["units"]),
        "gross_sales": total["gross"],
        "discounts": total["discounts"],
        "returns": total["returns"],
        "net_sales": net,
        "shipping": None if sku else total["shipping"],
        "taxes": None if sku else total["taxes"],
        "total_sales": None if sku else net + total["shipping"] + total["taxes"] - total["included"],
        "average_order_value": (
            ((total["gross"] - total["discounts"]) / orders).quantize(CENT, rounding=ROUND_HALF_UP)
            if orders > 0
            else None
        ),
    }


def as_dict(figures: TrendFigures) -> dict[str, Any]:
    return {name: getattr(figures, name) for name in TrendFigures.model_fields}


def assert_exact(answer: Trends, book: Ledger, kind: str) -> int:
    """Every point of every series (and its previous bucket) equals the ledger; returns the points checked."""
    checked = 0
    for series in answer.series:
        for point in series.points:
            assert as_dict(point.figures) == expected_figures(
                book, point.first_day, point.last_day, kind, series.name, series.currency
            ), (series.name, series.currency, point.period)
            assert as_dict(point.previous) == expected_figures(
                book, point.previous_first_day, point.previous_last_day, kind, series.name, series.currency
            ), (series.name, series.currency, point.previous_period)
            checked += 1
    return checked


def drained(aws: Any) -> tuple[list[Order], StreamDriver]:
    histories = build_orders()
    for history in histories:
        for version in history:
            aws.put_item(TableName=ORDERS.local_name, Item=order_item(version))
    driver = StreamDriver(SALES_AGGREGATES)
    driver.drain(rounds=500)
    return [history[-1] for history in histories], driver


# --- the tests ---------------------------------------------------------------------------------


def test_every_trend_figure_equals_the_orders_over_three_months(shop: Any) -> None:
    aws, orders, driver = shop
    assert len(orders) > 150
    assert any(o.status == "CANCELLED" for o in orders) and any(o.returns for o in orders)
    assert any(o.refunds and o.status != "CANCELLED" for o in orders)
    assert {o.currency for o in orders} == {"EUR", "USD"}
    book = ledger(orders)
    service = TrendService(lambda: store(aws), TIMEZONE)
    d = dt.date.fromisoformat
    queries = [
        # clipped months at both ends; the previous months partly before the first order
        TrendQuery("month", "total", d("2026-07-10"), d("2026-08-31")),
        TrendQuery("month", "channel", d("2026-06-15"), d("2026-08-20")),
        TrendQuery("month", "sku", d("2026-07-01"), d("2026-08-31")),  # the top SKUs
        # weeks clipped to a Wednesday and a Thursday
        TrendQuery("week", "total", d("2026-07-15"), d("2026-08-20")),
        TrendQuery("week", "sku", d("2026-07-06"), d("2026-08-30"), skus=("KIT#1", "SKU-03")),
        TrendQuery("day", "total", d("2026-08-01"), d("2026-08-21")),
        TrendQuery("day", "channel", d("2026-07-25"), d("2026-08-03"), channel="shopify"),
        TrendQuery("week", "total", d("2026-07-01"), d("2026-08-31"), channel="web", currency="USD"),
    ]
    checked = 0
    for query in queries:
        answer = service.trends(query)
        kind = "channel" if query.by == "channel" or query.channel else query.by
        if query.channel and query.by == "total":
            # the total of one channel: compare with that channel's figures
            for series in answer.series:
                series.name = query.channel
        checked += assert_exact(answer, book, kind)
        assert answer.statistics.items_read > 0 and answer.statistics.requests > 0
    assert checked > 100
    # the series found are all the ledger has in the range: nothing is missed
    months = service.trends(TrendQuery("month", "channel", FIRST, LAST))
    assert {(s.currency, s.name) for s in months.series} == {
        (c, n) for (_, k, n, c) in book if k == "channel"
    }
    # a redelivery of every record adds nothing
    driver.replay()
    assert service.trends(TrendQuery("month", "channel", FIRST, LAST)).series == months.series


def test_the_top_skus_are_the_highest_net_sales_of_the_range(shop: Any) -> None:
    aws, orders, _ = shop
    book = ledger(orders)
    answer = TrendService(lambda: store(aws), TIMEZONE).trends(
        TrendQuery("week", "sku", dt.date(2026, 7, 1), dt.date(2026, 8, 31))
    )
    for currency in ("EUR", "USD"):
        net: dict[str, Decimal] = defaultdict(Decimal)
        for (day, kind, name, c), fields in book.items():
            if kind == "sku" and c == currency and dt.date(2026, 7, 1) <= day <= dt.date(2026, 8, 31):
                net[name] += fields["gross"] - fields["discounts"] - fields["returns"]
        top = [sku for sku, _ in sorted(net.items(), key=lambda item: (-item[1], item[0]))[:10]]
        assert [s.name for s in answer.series if s.currency == currency] == top
    assert answer.skus_chosen_by and "highest net sales" in answer.skus_chosen_by


def test_a_monthly_trend_reads_the_month_roll_ups(shop: Any) -> None:
    aws, _, _ = shop
    answer = TrendService(lambda: store(aws), TIMEZONE).trends(
        TrendQuery("month", "total", dt.date(2026, 7, 1), dt.date(2026, 8, 31))
    )
    # two months and the two before: one query per shard each, one item per currency and shard at most
    assert answer.statistics.requests == 4 * ANALYTICS_SHARDS
    assert answer.statistics.items_read <= 4 * ANALYTICS_SHARDS * 2


def trends(client: ApiClient, query: dict[str, Any]) -> Any:
    return client.get("/analytics/trends?" + urlencode(query, doseq=True))


def test_the_api_answers_with_its_statistics(shop: Any) -> None:
    viewer = ApiClient("dev-viewer-key")
    reply = trends(viewer, {"from": "2026-07-01", "to": "2026-08-31", "granularity": "month"})
    assert reply.status == 200, reply.json()
    body = reply.json()
    assert body["statistics"] == {
        "items_read": body["statistics"]["items_read"],
        "requests": 4 * ANALYTICS_SHARDS,
    }
    assert 0 < body["statistics"]["items_read"] <= 4 * ANALYTICS_SHARDS * 2
    assert [s["currency"] for s in body["series"]] == ["EUR", "USD"]
    point = body["series"][0]["points"][0]
    assert point["period"] == "2026-07" and point["previous_period"] == "2026-05"
    assert isinstance(point["figures"]["net_sales"], str)

    skus = trends(viewer, {"from": "2026-08-01", "to": "2026-08-02", "by": "sku", "sku": ["KIT#1", "SKU-01"]})
    assert skus.status == 200, skus.json()
    assert {s["name"] for s in skus.json()["series"]} <= {"KIT#1", "SKU-01"}

    for query, field in (
        ({"from": "2026-08-02", "to": "2026-08-01"}, "query.to"),
        ({"from": "2024-01-01", "to": "2026-08-01"}, "query.to"),
        ({"sku": "A"}, "query.sku"),
        ({"by": "sku", "sku": ["A"] * 11}, "query.sku"),
        ({"granularity": "year"}, "query.granularity"),
        ({"currency": "eur"}, "query.currency"),
        ({"to": "0001-01-05"}, "query.to"),  # its default from would be no date at all: never a 500
        ({"from": "9999-12-30"}, "query.from"),
    ):
        refused = trends(viewer, query)
        assert refused.status == 422, (query, refused.json())
        assert refused.header("Content-Type") == "application/problem+json"
        assert field in str(refused.json()), (query, refused.json())
