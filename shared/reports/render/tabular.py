"""An analytics report (``shared.reports.tabular.TabularReport``) as CSV, XLSX or HTML.

* CSV: every sheet, one section after another, in the long format daily_sales uses: a ``section`` column
  (the sheet's name), then the union of the sheets' columns in the order they first appear (a cell a
  sheet does not have is empty). One header line, so any CSV reader loads the whole file.
* XLSX: a worksheet per sheet (``render.xlsx``).
* HTML: one self-contained page like daily_sales' (no external resource; a ``default-src 'none'``
  Content-Security-Policy): the title, the notes, each chart as inline SVG, then each sheet as a table.
  Every text from the data is escaped.

Each returns the data rows over all sheets, so every file of a report says the same.
"""

from __future__ import annotations

from decimal import Decimal
from html import escape

from shared.models.reports import FileFormat
from shared.reports.render import csv as _csv
from shared.reports.render.charts import heat_map, line_chart
from shared.reports.render.output import Output
from shared.reports.render.rows import Cell, Row, money
from shared.reports.render.svg import bar_chart
from shared.reports.tabular import BarChart, Chart, LineChart, Sheet, TabularReport

NO_DATA = "Nothing to show for this period."
CSP = "default-src 'none'; style-src 'unsafe-inline'"
STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; color: #222; margin: 2em auto; max-width: 75em; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.2em; margin-top: 1.6em; }
table { border-collapse: collapse; }
th, td { padding: 0.25em 0.6em; border-bottom: 1px solid #ccc; white-space: nowrap; }
th { text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.neg { color: #b00020; }
.note, .no-data { color: #555; }
.wide { overflow-x: auto; }
svg { max-width: 100%; height: auto; }
@media print { body { margin: 0; max-width: none; } section { break-inside: avoid; } }
"""


def csv_columns(sheets: list[Sheet]) -> tuple[str, ...]:
    """``section``, then every sheet's columns in the order they first appear."""
    seen: dict[str, None] = {}
    for sheet in sheets:
        for column in sheet.header:
            seen.setdefault(column, None)
    return ("section", *seen)


def csv_rows(sheets: list[Sheet], columns: tuple[str, ...]) -> list[Row]:
    where = {column: i for i, column in enumerate(columns)}
    rows: list[Row] = []
    for sheet in sheets:
        for row in sheet.rows:
            cells: list[Cell] = [None] * len(columns)
            cells[0] = sheet.name
            for column, value in zip(sheet.header, row, strict=True):
                cells[where[column]] = (
                    money(value) if column in sheet.money and isinstance(value, Decimal) else value
                )
            rows.append(tuple(cells))
    return rows


def _chart(chart: Chart) -> str:
    if isinstance(chart, LineChart):
        series = [(s.label, s.values) for s in chart.series]
        return line_chart(
            chart.chart_id, chart.title, chart.x_label, chart.y_label, chart.x_labels, series, NO_DATA
        )
    if isinstance(chart, BarChart):
        return bar_chart(chart.chart_id, chart.title, chart.groups, NO_DATA)
    return heat_map(
        chart.chart_id,
        chart.title,
        chart.row_label,
        chart.column_label,
        chart.rows,
        chart.columns,
        chart.values,
        NO_DATA,
    )


def _td(value: Cell, is_money: bool) -> str:
    if value is None:
        return "<td></td>"
    if isinstance(value, bool):
        return f"<td>{'yes' if value else 'no'}</td>"
    if isinstance(value, Decimal):
        shown = f"{money(value):,.2f}" if is_money else format(value, ",f")
        neg = ' class="num neg"' if value < 0 else ' class="num"'
        return f"<td{neg}>{escape(shown)}</td>"
    if isinstance(value, int):
        return f'<td class="num">{value:,}</td>'
    return f"<td>{escape(value)}</td>"


def _table(sheet: Sheet) -> str:
    if not sheet.rows:
        return f'<p class="no-data">{escape(NO_DATA)}</p>'
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in sheet.header)
    body = "".join(
        "<tr>" + "".join(_td(v, h in sheet.money) for h, v in zip(sheet.header, row, strict=True)) + "</tr>"
        for row in sheet.rows
    )
    return f'<div class="wide"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def document(report: TabularReport) -> str:
    title = escape(report.title)
    notes = "".join(f'<p class="note">{escape(note)}</p>' for note in report.notes)
    charts = "".join(f"<section><h2>{escape(c.title)}</h2>{_chart(c)}</section>" for c in report.charts)
    sheets = "".join(
        f'<section data-sheet="{escape(s.name)}"><h2>{escape(s.name)}</h2>{_table(s)}</section>'
        for s in report.sheets
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title><style>{STYLE}</style></head><body>"
        f'<header><h1>{title}</h1><p class="note">{escape(report.subtitle)}</p>{notes}</header>'
        f"{charts}{sheets}</body></html>\n"
    )


def write(report: TabularReport, fmt: FileFormat, out: Output) -> int:
    """Writes the report as ``fmt``; returns the data rows over all sheets."""
    if fmt == "xlsx":
        from shared.reports.render import xlsx

        return xlsx.write_tabular(report, out)
    if fmt == "html":
        out.write(document(report).encode("utf-8"))
        return report.rows()
    sheets = list(report.sheets)
    columns = csv_columns(sheets)
    return _csv.write_rows(columns, csv_rows(sheets, columns), out)
