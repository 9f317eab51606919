"""The named queries over the analytics export: the one place they are written. The stack makes each an
Athena NamedQuery in the analytics workgroup (``infra/constructs/analytics.py``); ``oms sql --query NAME``
runs the same text on DuckDB (``infra/analytics_sql.py``).

Written in the SQL both engines accept (Athena's Trino and DuckDB; tests run each on DuckDB): ANSI joins,
CTEs, CASE, CAST, ``substr``, ``count``/``sum``/``min``/``max``, ``round(double, n)``, ``date_trunc('week',
...)``, ``current_date`` and ``INTERVAL 'n' DAY``; no DuckDB-only syntax (no ``FILTER``, ``::``, ``GROUP BY
ALL``, ``QUALIFY``), no Trino-only functions (no ``date_add``, ``date_format``). The partition ``day`` is a
string (YYYY-MM-DD) in both: compared with strings, so Athena's partition projection prunes the days.

Money is per currency, never added across currencies. A cancelled order counts zero in the sales figures
(``WHERE NOT cancelled``); returns are in ``net_sales`` already.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NamedQuery:
    name: str  # oms sql --query NAME; the Athena named query's name
    description: str
    sql: str


REVENUE_BY_MONTH_AND_CHANNEL = NamedQuery(
    name="revenue-by-month-and-channel",
    description="Orders, gross, net and total sales per month, channel and currency (cancelled orders out)",
    sql="""\
SELECT
    substr(day, 1, 7) AS month,
    channel,
    currency,
    count(*) AS orders,
    sum(units) AS units,
    sum(gross_sales) AS gross_sales,
    sum(discounts) AS discounts,
    sum(returns) AS returns,
    sum(net_sales) AS net_sales,
    sum(total_sales) AS total_sales
FROM orders
WHERE NOT cancelled
GROUP BY substr(day, 1, 7), channel, currency
ORDER BY month, channel, currency""",
)

REPEAT_RATE_BY_COHORT = NamedQuery(
    name="repeat-rate-by-cohort",
    description="Customers by month of first order, and the share who ordered again (cancelled orders out)",
    sql="""\
WITH customers AS (
    SELECT customer_id, min(substr(day, 1, 7)) AS cohort, count(*) AS orders
    FROM orders
    WHERE customer_id IS NOT NULL AND NOT cancelled
    GROUP BY customer_id
)
SELECT
    cohort,
    count(*) AS customers,
    sum(CASE WHEN orders > 1 THEN 1 ELSE 0 END) AS repeat_customers,
    round(CAST(sum(CASE WHEN orders > 1 THEN 1 ELSE 0 END) AS DOUBLE) / count(*), 4) AS repeat_rate
FROM customers
GROUP BY cohort
ORDER BY cohort""",
)

STOCKOUTS_LAST_WEEK = NamedQuery(
    name="stockouts-last-week",
    description="SKUs that ran out of stock last week (ISO week, Monday to Sunday): on how many days",
    sql="""\
SELECT
    sku,
    count(*) AS days_out_of_stock,
    min(day) AS first_day,
    max(day) AS last_day
FROM stockouts
WHERE day >= CAST(CAST(date_trunc('week', current_date) - INTERVAL '7' DAY AS DATE) AS VARCHAR)
    AND day < CAST(CAST(date_trunc('week', current_date) AS DATE) AS VARCHAR)
GROUP BY sku
ORDER BY days_out_of_stock DESC, sku""",
)

NAMED_QUERIES: tuple[NamedQuery, ...] = (
    REVENUE_BY_MONTH_AND_CHANNEL,
    REPEAT_RATE_BY_COHORT,
    STOCKOUTS_LAST_WEEK,
)


def named_query(name: str) -> NamedQuery:
    for query in NAMED_QUERIES:
        if query.name == name:
            return query
    raise KeyError(f"no named query {name!r}: one of {', '.join(q.name for q in NAMED_QUERIES)}")
