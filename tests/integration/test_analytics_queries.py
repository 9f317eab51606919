"""The named queries (infra/analytics_queries.py) on DuckDB over export files laid out as the export
writes them, with answers worked out by hand below. They are Athena's NamedQuery resources too: the SQL is
kept to what both engines accept (the module's docstring says what that is)."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from infra.analytics_queries import (
    NAMED_QUERIES,
    REPEAT_RATE_BY_COHORT,
    REVENUE_BY_MONTH_AND_CHANNEL,
    STOCKOUTS_LAST_WEEK,
    named_query,
)
from infra.analytics_sql import run
from shared.analytics.layout import ORDERS_TABLE, STOCKOUTS_TABLE, ExportTable

D = Decimal


def write(cache: Path, table: ExportTable, day: str, rows: list[dict[str, Any]]) -> None:
    path = cache / table.key(day)
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "ab") as out:
        for row in rows:
            out.write((json.dumps(row) + "\n").encode())


def order(
    order_id: str,
    channel: str,
    currency: str,
    customer: str | None,
    net: str,
    total: str,
    cancelled: bool = False,
) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "channel": channel,
        "currency": currency,
        "customer_id": customer,
        "units": 1,
        "gross_sales": net,
        "discounts": "0.00",
        "returns": "0.00",
        "net_sales": net,
        "total_sales": total,
        "cancelled": cancelled,
    }


# (day, order): c1 orders in October and again in November; c2's second order is cancelled (no repeat);
# c4's first order is cancelled, so its first counted order (its cohort) is in November; one guest order.
ORDERS = [
    ("2026-10-05", order("1", "web", "EUR", "c1", "10.00", "12.00")),
    ("2026-10-20", order("2", "web", "EUR", "c2", "5.00", "5.00")),
    ("2026-10-21", order("3", "pos", "USD", "c3", "7.50", "7.50")),
    ("2026-10-30", order("4", "web", "EUR", "c4", "100.00", "100.00", cancelled=True)),
    ("2026-11-02", order("5", "web", "EUR", "c1", "20.00", "21.00")),
    ("2026-11-04", order("6", "pos", "EUR", "c4", "3.00", "3.00")),
    ("2026-11-05", order("7", "web", "EUR", None, "1.00", "1.00")),
    ("2026-11-10", order("8", "web", "EUR", "c2", "9.99", "9.99", cancelled=True)),
]


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    for day, row in ORDERS:
        write(tmp_path, ORDERS_TABLE, day, [row])
    return tmp_path


def test_revenue_by_month_and_channel(cache: Path) -> None:
    result = run(cache, REVENUE_BY_MONTH_AND_CHANNEL.sql)
    assert result.columns[:5] == ["month", "channel", "currency", "orders", "units"]
    picked = [(r[0], r[1], r[2], r[3], r[8], r[9]) for r in result.rows]  # ..., net_sales, total_sales
    assert picked == [
        ("2026-10", "pos", "USD", 1, D("7.50"), D("7.50")),
        ("2026-10", "web", "EUR", 2, D("15.00"), D("17.00")),  # order 4 cancelled
        ("2026-11", "pos", "EUR", 1, D("3.00"), D("3.00")),
        ("2026-11", "web", "EUR", 2, D("21.00"), D("22.00")),  # order 8 cancelled
    ]


def test_repeat_rate_by_cohort(cache: Path) -> None:
    result = run(cache, REPEAT_RATE_BY_COHORT.sql)
    assert result.columns == ["cohort", "customers", "repeat_customers", "repeat_rate"]
    assert result.rows == [
        ("2026-10", 3, 1, 0.3333),  # c1 (again in November), c2 (its second cancelled), c3
        ("2026-11", 1, 0, 0.0),  # c4 (its October order cancelled)
    ]


def test_stockouts_last_week(tmp_path: Path) -> None:
    today = duckdb.sql("SELECT current_date").fetchall()[0][0]
    monday = today - dt.timedelta(days=today.weekday())
    last_monday = monday - dt.timedelta(days=7)

    def on(day: dt.date, *skus: str) -> None:
        write(tmp_path, STOCKOUTS_TABLE, day.isoformat(), [{"sku": s, "locations": ["main"]} for s in skus])

    on(last_monday, "A")
    on(last_monday + dt.timedelta(days=2), "A")
    on(last_monday + dt.timedelta(days=6), "B")  # last Sunday
    on(monday, "C")  # this week
    on(last_monday - dt.timedelta(days=1), "D")  # the week before
    result = run(tmp_path, STOCKOUTS_LAST_WEEK.sql)
    assert result.columns == ["sku", "days_out_of_stock", "first_day", "last_day"]
    sunday = (last_monday + dt.timedelta(days=6)).isoformat()
    assert result.rows == [
        ("A", 2, last_monday.isoformat(), (last_monday + dt.timedelta(days=2)).isoformat()),
        ("B", 1, sunday, sunday),
    ]


def test_every_named_query_runs_on_an_empty_export(tmp_path: Path) -> None:
    for query in NAMED_QUERIES:
        assert run(tmp_path, query.sql).rows == []
    assert named_query("repeat-rate-by-cohort") is REPEAT_RATE_BY_COHORT
    with pytest.raises(KeyError, match="one of"):
        named_query("nope")


@pytest.mark.parametrize("query", NAMED_QUERIES, ids=lambda q: q.name)
def test_no_duckdb_only_syntax(query: Any) -> None:
    """What Trino would refuse: DuckDB's casts, FILTER, GROUP BY ALL, QUALIFY, double-quoted strings."""
    sql = query.sql.upper()
    for construct in ("::", " FILTER (", "GROUP BY ALL", "QUALIFY", "DATE_ADD(", "STRFTIME", '"'):
        assert construct not in sql, construct
