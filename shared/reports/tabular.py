"""The shape every analytics report is built as: charts, then sheets of rows. Pure data, no rendering.

An analytics report (``sales_trends``, ``customer_behaviour``, ``inventory_performance``) is made by its
area's ``*_report`` function as a ``TabularReport``; ``shared.reports.render.tabular`` writes it as CSV
(every sheet, one section after another, with a ``section`` column), XLSX (a worksheet per sheet) and
HTML (the charts as inline SVG, then every sheet as a table).

Money in a sheet is a Decimal in a column named in ``Sheet.money`` (two decimals in every file); any
other Decimal keeps its own precision (a share, days of cover). Chart values are Decimals (or None: no
value for that point). Amounts in two currencies are never drawn on one scale: make one chart (or one
bar group) per currency.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from shared.reports.render.rows import MONEY_COLUMNS, Row
from shared.reports.render.svg import Group


@dataclass(frozen=True)
class Sheet:
    name: str  # the worksheet's name (at most 31 characters, no []:*?/\) and the CSV's section
    header: tuple[str, ...]
    rows: Sequence[Row]
    money: frozenset[str] = MONEY_COLUMNS  # the columns holding money


@dataclass(frozen=True)
class LineSeries:
    label: str  # the legend's text
    values: Sequence[Decimal | None]  # one per x label; None: no value there (a gap in the line)


@dataclass(frozen=True)
class LineChart:
    chart_id: str
    title: str
    x_label: str  # the axis title, e.g. "Month"
    y_label: str  # e.g. "Net sales (EUR)"
    x_labels: Sequence[str]
    series: Sequence[LineSeries]


@dataclass(frozen=True)
class BarChart:
    chart_id: str
    title: str
    groups: Sequence[Group]  # each group on its own scale (one per currency)


@dataclass(frozen=True)
class HeatMap:
    chart_id: str
    title: str
    row_label: str  # e.g. "First order month"
    column_label: str  # e.g. "Months after the first order"
    rows: Sequence[str]
    columns: Sequence[str]
    values: Sequence[Sequence[Decimal | None]]  # shares 0..1, one row per ``rows``; None: no cell


Chart = LineChart | BarChart | HeatMap


@dataclass(frozen=True)
class TabularReport:
    title: str  # e.g. "Sales trends 2026-01-01 to 2026-03-31"
    subtitle: str  # e.g. the business time zone and granularity
    notes: Sequence[str] = ()  # definitions the reader needs (shown under the title)
    charts: Sequence[Chart] = ()
    sheets: Sequence[Sheet] = field(default_factory=tuple)

    def rows(self) -> int:
        """The data rows over all sheets: what every file of the report says it holds."""
        return sum(len(sheet.rows) for sheet in self.sheets)
