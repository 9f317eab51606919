"""XLSX workbooks (xlsxwriter, imported only when a workbook is written: cold start matters).

Memory: the workbook is written in xlsxwriter's ``constant_memory`` mode, row by row, so a 100k-row
inventory never sits in memory as cells. That mode keeps each sheet's rows in scratch files until the
zip is assembled into ``out``; they go to a private temporary directory (Lambda: /tmp) that is removed
when the function returns, even on an error. ``out`` only needs ``write`` (and ``tell``/``seek`` if it
has them: zipfile uses them when available).

Cells: amounts and counts are Excel numbers (money with a ``#,##0.00`` format). Excel numbers are
doubles, so money becomes a float here and only here: the exact decimal values are in the CSV. Dates
are ISO text. Text goes through ``write_string`` (never a formula or a link) and still gets the CSV's
injection guard (a leading ``'`` before ``= + - @``, tab or CR), so the text is the same in both files.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from shared.models.reports import DailySales, InventoryReport
from shared.reports.render.output import Output
from shared.reports.render.rows import (
    FIGURE_COLUMNS,
    INVENTORY_COLUMNS,
    MONEY_COLUMNS,
    SKU_FIGURE_COLUMNS,
    Cell,
    Row,
    figures,
    guard,
    inventory_rows,
    sku_figures,
    statuses,
)

if TYPE_CHECKING:
    from shared.reports.tabular import TabularReport

MONEY_FORMAT = "#,##0.00"
INT_FORMAT = "#,##0"
DECIMAL_FORMAT = "#,##0.0"  # days_of_cover: one decimal
MAX_WIDTH = 60


class _Sheet:
    """One worksheet written top to bottom: bold frozen header, autofilter, widths from the content."""

    def __init__(
        self,
        workbook: Any,
        name: str,
        columns: Sequence[str],
        formats: dict[str, Any],
        money: frozenset[str] = MONEY_COLUMNS,
    ) -> None:
        self._ws = workbook.add_worksheet(name)
        self._columns = columns
        self._money = money
        self._formats = formats
        self._widths = [len(c) for c in columns]
        self.rows = 0
        for col, title in enumerate(columns):
            self._ws.write_string(0, col, title, formats["header"])
        self._ws.freeze_panes(1, 0)

    def write(self, values: Row) -> None:
        self.rows += 1
        for col, value in enumerate(values):
            shown = self._cell(self.rows, col, value)
            self._widths[col] = max(self._widths[col], len(shown))

    def _cell(self, row: int, col: int, value: Cell) -> str:
        """Writes one cell; returns roughly what Excel shows, for the column width."""
        ws, formats = self._ws, self._formats
        if value is None:
            return ""
        if isinstance(value, bool):  # before int: bool is an int
            ws.write_boolean(row, col, value)
            return "TRUE" if value else "FALSE"
        if isinstance(value, str):
            text = guard(value)
            ws.write_string(row, col, text)
            return text
        if isinstance(value, Decimal):
            money = self._columns[col] in self._money
            ws.write_number(row, col, float(value), formats["money" if money else "decimal"])
            return f"{value:,.2f}" if money else f"{value:,.1f}"
        ws.write_number(row, col, value, formats["int"])
        return f"{value:,}"

    def finish(self) -> None:
        """Autofilter over the data and column widths (set last: constant_memory allows it)."""
        self._ws.autofilter(0, 0, self.rows, len(self._columns) - 1)
        for col, width in enumerate(self._widths):
            self._ws.set_column(col, col, min(width + 2, MAX_WIDTH))


def _write(
    out: Output,
    properties: dict[str, str],
    sheets: Iterable[tuple[str, Sequence[str], Iterable[Row]]],
    money: Sequence[frozenset[str]] = (),
) -> int:
    """Writes the sheets (name, columns, rows) to out; returns the data rows over all sheets. ``money``:
    each sheet's money columns, in the sheets' order (default: MONEY_COLUMNS)."""
    import xlsxwriter

    total = 0
    with tempfile.TemporaryDirectory(prefix="xlsx-") as scratch:
        workbook = xlsxwriter.Workbook(
            out,
            {
                "constant_memory": True,
                "tmpdir": scratch,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
            },
        )
        workbook.set_properties({"author": "", "company": "", "manager": "", **properties})
        formats = {
            "header": workbook.add_format({"bold": True, "bottom": 1}),
            "money": workbook.add_format({"num_format": MONEY_FORMAT}),
            "int": workbook.add_format({"num_format": INT_FORMAT}),
            "decimal": workbook.add_format({"num_format": DECIMAL_FORMAT}),
        }
        for n, (name, columns, rows) in enumerate(sheets):
            sheet = _Sheet(workbook, name, columns, formats, money[n] if n < len(money) else MONEY_COLUMNS)
            for row in rows:
                sheet.write(row)
            sheet.finish()
            total += sheet.rows
        workbook.close()
    return total


def write_daily_sales(report: DailySales, out: Output) -> int:
    """Sheets Summary, By channel, By SKU (without the order-level columns: shipping, taxes, total
    sales, AOV), By status. Returns the data rows over all four sheets: the same count as the CSV,
    whose sections are these sheets."""
    d, cs = report.date, report.currencies
    sheets: list[tuple[str, Sequence[str], Iterable[Row]]] = [
        ("Summary", ("date", "currency", *FIGURE_COLUMNS), ((d, c.currency, *figures(c.totals)) for c in cs)),
        (
            "By channel",
            ("date", "currency", "channel", *FIGURE_COLUMNS),
            ((d, c.currency, ch.channel, *figures(ch.figures)) for c in cs for ch in c.by_channel),
        ),
        (
            "By SKU",
            ("date", "currency", "sku", *SKU_FIGURE_COLUMNS),
            ((d, c.currency, s.sku, *sku_figures(s.figures)) for c in cs for s in c.by_sku),
        ),
        (
            "By status",
            ("date", "status", "orders"),
            ((d, s, n) for s, n in statuses(report.orders_by_status)),
        ),
    ]
    properties = {
        "title": f"Daily sales {report.date} ({report.timezone})",
        "subject": "Daily sales",
        "comments": "Amounts per currency; Excel numbers are doubles, the CSV holds the exact values.",
    }
    return _write(out, properties, sheets)


def write_inventory(report: InventoryReport, out: Output) -> int:
    """Sheet Inventory, the CSV's columns; returns its data rows."""
    properties = {
        "title": f"Inventory {report.date} ({report.timezone})",
        "subject": "Inventory",
        "comments": f"Units sold and days of cover over {report.sales_from} to {report.sales_to}.",
    }
    return _write(out, properties, [("Inventory", INVENTORY_COLUMNS, inventory_rows(report))])


def write_tabular(report: TabularReport, out: Output) -> int:
    """A worksheet per sheet of an analytics report; returns the data rows over all of them."""
    properties = {
        "title": report.title,
        "subject": report.subtitle,
        "comments": "Amounts per currency; Excel numbers are doubles, the CSV holds the exact values.",
    }
    sheets = [(sheet.name, sheet.header, sheet.rows) for sheet in report.sheets]
    return _write(out, properties, sheets, [sheet.money for sheet in report.sheets])
