"""CSV files: RFC 4180 (``\\r\\n``, fields quoted only when needed, quotes doubled), UTF-8 WITHOUT a BOM.

No BOM: the files are for machines first (imports, scripts, BI tools), and a BOM breaks parsers that do
not expect it; Excel users open the XLSX. Amounts are plain decimal strings with 2 decimals, never
floats; None is an empty field, booleans are ``true``/``false``. Text from merchants and marketplaces
that starts with ``= + - @``, a tab or CR gets a leading ``'`` (OWASP CSV injection); numbers are
written as they are, so a negative net stays ``-12.50``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from decimal import Decimal

from shared.models.reports import EXPORT_COLUMNS, DailySales, ExportRow, InventoryReport
from shared.reports.render.output import Output
from shared.reports.render.rows import (
    DAILY_SALES_COLUMNS,
    INVENTORY_COLUMNS,
    Cell,
    Row,
    daily_sales_rows,
    export_row,
    guard,
    inventory_rows,
)

CHUNK = 32 * 1024  # bytes handed to out.write at a time (one long row may exceed it)


class _Utf8Sink:
    """What csv.writer writes to: encodes to UTF-8 and passes ~CHUNK-sized blocks to ``out.write``.

    Only ``out.write`` is used: ``out`` is never closed or flushed, so any writable binary object
    works (a file, BytesIO, an S3 multipart writer).
    """

    def __init__(self, out: Output) -> None:
        self._out = out
        self._buffer = bytearray()

    def write(self, text: str) -> int:
        self._buffer += text.encode("utf-8")
        if len(self._buffer) >= CHUNK:
            self.flush()
        return len(text)

    def flush(self) -> None:
        if self._buffer:
            self._out.write(bytes(self._buffer))
            self._buffer.clear()


def cell(value: Cell) -> str:
    """One cell as CSV text."""
    if value is None:
        return ""
    if isinstance(value, bool):  # before int: bool is an int
        return "true" if value else "false"
    if isinstance(value, str):
        return guard(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _write(header: Iterable[str], rows: Iterable[Row], out: Output) -> int:
    sink = _Utf8Sink(out)
    writer = csv.writer(sink, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    count = 0
    for row in rows:
        writer.writerow([cell(v) for v in row])
        count += 1
    sink.flush()
    return count


def write_rows(header: Iterable[str], rows: Iterable[Row], out: Output) -> int:
    """Any header and rows, by the same rules (the analytics reports'); returns the data rows written."""
    return _write(header, rows, out)


def write_daily_sales(report: DailySales, out: Output) -> int:
    """The long format of rows.daily_sales_rows; returns the data rows written."""
    return _write(DAILY_SALES_COLUMNS, daily_sales_rows(report), out)


def write_inventory(report: InventoryReport, out: Output) -> int:
    """One line per InventoryRow; returns the data rows written."""
    return _write(INVENTORY_COLUMNS, inventory_rows(report), out)


def write_export(rows: Iterable[ExportRow], out: Output) -> int:
    """EXPORT_COLUMNS, then one line per row, streamed: at most about CHUNK bytes are held at a time."""
    return _write(EXPORT_COLUMNS, (export_row(r) for r in rows), out)
