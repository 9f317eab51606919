"""The customer_behaviour report (issue 18): the months of the report's period from the customer aggregates,
as a TabularReport: the cohort table as a heat map, new against returning customers as lines, then the
sheets months, cohorts and channel mix. Customer ids at most, never a name (the top list is the API's only).
"""

from __future__ import annotations

from decimal import Decimal

from shared.models.customer_analytics import COHORT_MONTHS, CustomerBehaviour
from shared.models.reports import Report
from shared.reports.tabular import HeatMap, LineChart, LineSeries, Sheet, TabularReport
from shared.services.customer_stats import CustomerAnalytics, CustomerStatsReader

NOTES = (
    "An order counts when it has a customer and is not cancelled; its month is the business month it was "
    "placed in. Guest orders (no customer) are counted apart.",
    "New: first counted order in the month. Returning: ordered in the month and before it.",
    "Repeat purchase rate: customers of the month with 2 or more counted orders in all (as the orders "
    "stand now), divided by the month's customers.",
    "Days to second order: business days from a customer's first to second counted order, averaged over the "
    "customers whose second order fell in the month.",
    "Cohort: the customers whose first counted order fell in a month; each cell is the share of them who "
    f"ordered again in that later month (up to {COHORT_MONTHS} months after, within the period).",
)
MONTH_HEADER = (
    "month",
    "customers",
    "new_customers",
    "returning_customers",
    "orders",
    "guest_orders",
    "orders_per_customer",
    "repeat_customers",
    "repeat_purchase_rate",
    "second_orders",
    "average_days_to_second_order",
)


def customers_report(report: Report, stats: CustomerStatsReader) -> tuple[TabularReport, int]:
    """The figures of the months ``report.period_start`` to ``report.period_end`` touch, and items read."""
    first, last = report.period_start[:7], report.period_end[:7]
    figures = CustomerAnalytics(stats, None, report.timezone).behaviour(first, last)
    return tabular(figures, report.period_start, report.period_end), figures.statistics.items_read


def tabular(figures: CustomerBehaviour, start: str, end: str) -> TabularReport:
    months = figures.months
    offsets = min(COHORT_MONTHS, len(months) - 1) + 1
    columns = [str(n) for n in range(offsets)]
    heat_values: list[list[Decimal | None]] = []
    for cohort in figures.cohorts:
        shares: list[Decimal | None] = [m.share for m in cohort.months]
        heat_values.append(shares + [None] * (offsets - len(shares)))
    return TabularReport(
        title=f"Customer behaviour {figures.first_month} to {figures.last_month}",
        subtitle=f"Business months in {figures.timezone} (the period {start} to {end})",
        notes=NOTES,
        charts=(
            HeatMap(
                chart_id="cohorts",
                title="Share of each cohort ordering again, by months after the first order",
                row_label="First order month",
                column_label="Months after the first order",
                rows=[cohort.cohort for cohort in figures.cohorts],
                columns=columns,
                values=heat_values,
            ),
            LineChart(
                chart_id="new-returning",
                title="New and returning customers by month",
                x_label="Month",
                y_label="Customers",
                x_labels=[m.month for m in months],
                series=[
                    LineSeries("New customers", [Decimal(m.new_customers) for m in months]),
                    LineSeries("Returning customers", [Decimal(m.returning_customers) for m in months]),
                ],
            ),
        ),
        sheets=(
            Sheet(
                "months",
                MONTH_HEADER,
                [
                    (
                        m.month,
                        m.customers,
                        m.new_customers,
                        m.returning_customers,
                        m.orders,
                        m.guest_orders,
                        m.orders_per_customer,
                        m.repeat_customers,
                        m.repeat_purchase_rate,
                        m.second_orders,
                        m.average_days_to_second_order,
                    )
                    for m in months
                ],
            ),
            Sheet(
                "cohorts",
                ("cohort", "customers", *(f"month_{c}" for c in columns)),
                [
                    (cohort.cohort, cohort.customers, *values)
                    for cohort, values in zip(figures.cohorts, heat_values, strict=True)
                ],
            ),
            Sheet(
                "channel mix",
                ("month", "channel", "orders", "share"),
                [(m.month, c.channel, c.orders, c.share) for m in months for c in m.channels],
            ),
        ),
    )
