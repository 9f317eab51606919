"""Report renderers: the figures of shared.models.reports as CSV, XLSX and HTML files.

Pure: nothing is read, and nothing is written except to the binary ``out`` given (the XLSX writer's
scratch files aside, see render.xlsx), which is never closed. The XLSX and HTML writers are imported
only when used.
"""

from __future__ import annotations

from collections.abc import Iterable

from shared.models.reports import FORMATS, DailySales, ExportRow, FileFormat, InventoryReport, ReportType
from shared.reports.render import csv as _csv
from shared.reports.render.output import Output


def render(report: DailySales | InventoryReport, fmt: FileFormat, out: Output) -> int:
    """Writes the report as ``fmt`` to ``out``; returns its data rows.

    CSV: the lines without the header. XLSX: the data rows over all sheets (for daily_sales the same
    as the CSV, whose sections are the sheets). HTML: the CSV's count. ``fmt`` must be one of the
    report type's FORMATS (html is daily_sales only), else ValueError.
    """
    rtype: ReportType = "daily_sales" if isinstance(report, DailySales) else "inventory"
    if fmt not in FORMATS[rtype]:
        raise ValueError(f"{rtype} is not written as {fmt!r}: it is written as {', '.join(FORMATS[rtype])}")
    if fmt == "xlsx":
        from shared.reports.render import xlsx

        if isinstance(report, DailySales):
            return xlsx.write_daily_sales(report, out)
        return xlsx.write_inventory(report, out)
    if isinstance(report, DailySales):
        if fmt == "html":
            from shared.reports.render import html

            return html.write_daily_sales(report, out)
        return _csv.write_daily_sales(report, out)
    return _csv.write_inventory(report, out)


def write_export_csv(rows: Iterable[ExportRow], out: Output) -> int:
    """Streams an orders_export CSV: the EXPORT_COLUMNS header, then one line per row, handed to
    ``out.write`` in blocks of about 32 KiB as it goes (never the whole file in memory). Returns the
    rows written. Same CSV rules as every report: see render.csv."""
    return _csv.write_export(rows, out)


__all__ = ["render", "write_export_csv"]
