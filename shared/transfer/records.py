"""What a format makes of a file's rows: entries to write, and bad entries to report.

A row is one CSV record (or one JSON Lines line): its first physical line number in the file (the header
is line 1), its byte range in the file, and its cells. Byte ranges let a chunk of the file be read again
alone (an S3 ranged GET) and let an interrupted run resume at a row.

An entry is one record to write, from one or more rows (a Shopify product's variants are one row each,
an order's lines are one row each: the rows of one order make one entry). Its ``key`` is the record's
natural key, unique within its kind: a file holding one key twice has a bad entry for the second.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from shared.models.channels import ChannelOrder
from shared.models.imports import CustomerImport, FormatName, Kind, ProductRecord, StockRecord
from shared.models.orders import Order

Record = ProductRecord | StockRecord | CustomerImport | ChannelOrder | Order


@dataclass(frozen=True)
class Row:
    line: int  # the physical line the record starts on (1 is the header of a CSV file)
    start: int  # byte offset of its first byte in the file
    end: int  # byte offset just after it
    cells: Mapping[str, Any]  # CSV: column -> text; JSON Lines: the parsed object


@dataclass(frozen=True)
class Entry:
    kind: Kind
    key: str
    record: Record
    rows: tuple[Row, ...]
    # The file's own money for this record, per currency (an order's Total): the reconciliation compares
    # it with what was written.
    file_totals: tuple[tuple[str, Decimal], ...] = ()


@dataclass(frozen=True)
class BadEntry:
    """Rows that make no valid record. Each error names the column (or field) and why, and never
    repeats a cell's value (values are personal data)."""

    rows: tuple[Row, ...]
    errors: tuple[str, ...]
    kind: Kind | None = None
    key: str | None = None


Parsed = Entry | BadEntry


@dataclass(frozen=True)
class ReadOptions:
    channel: str | None  # orders: the channel they are recorded on (None: the format's default)
    location: str  # products: where ``Variant Inventory Qty`` is on hand
    currency: str  # the catalog currency (OMS_CURRENCY): prices without a currency are in it


class Format(Protocol):
    name: FormatName
    kind: Kind
    container: str  # "csv" or "jsonl"

    def required_columns(self) -> frozenset[str]:
        """CSV: the columns a file of this format must have (a file without them is the wrong format)."""
        ...

    def entries(self, rows: Iterable[Row], options: ReadOptions) -> Iterator[Parsed]:
        """The file's entries, in file order, streaming: rows of one record are adjacent in the file."""
        ...
