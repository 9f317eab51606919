"""The formats, by name: ``format_of("shopify-orders")`` and the check that a file is of its format.

A CSV format names the columns its file must have (``required_columns``); a file without them is the
wrong format, refused before any row is read (a products CSV given as ``--format shopify-orders``
names the order columns it lacks). The README's "Importing and exporting: formats" lists each
format's columns and mapping.

``chunks`` cuts a file's rows into byte ranges to read alone (the cloud path's work messages), never
inside a record of several rows (a Shopify order's lines, a product's variants).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from shared.models.imports import FormatName
from shared.transfer.files import FileProblem
from shared.transfer.oms import OmsCustomers, OmsOrders, OmsProducts, OmsStock
from shared.transfer.records import Format, Row
from shared.transfer.shopify import ShopifyCustomers, ShopifyInventory, ShopifyOrders, ShopifyProducts

FORMATS: Mapping[FormatName, Format] = {
    fmt.name: fmt
    for fmt in (
        ShopifyProducts(),
        ShopifyInventory(),
        ShopifyCustomers(),
        ShopifyOrders(),
        OmsProducts(),
        OmsStock(),
        OmsCustomers(),
        OmsOrders(),
    )
}


def format_of(name: str) -> Format:
    """The format called ``name``; a ``ValueError`` listing the known names for any other."""
    fmt = FORMATS.get(name)  # type: ignore[call-overload]
    if fmt is None:
        raise ValueError(f"unknown format {name!r}: the formats are {', '.join(FORMATS)}")
    return fmt


def missing_columns(fmt: Format, header: Iterable[str]) -> list[str]:
    """The columns ``fmt`` needs that ``header`` lacks, sorted. A format that reads more than one
    header (Shopify's product CSV has had two) says itself, by a ``missing_columns(header)`` method."""
    own = getattr(fmt, "missing_columns", None)
    if callable(own):
        return list(own(header))
    return sorted(fmt.required_columns() - set(header))


def detect(header: Iterable[str]) -> list[FormatName]:
    """The CSV formats whose columns ``header`` has (a file's likely format), in registry order."""
    names = list(header)
    return [
        name for name, fmt in FORMATS.items() if fmt.container == "csv" and not missing_columns(fmt, names)
    ]


def check_header(fmt: Format, header: Iterable[str]) -> None:
    """A ``FileProblem`` when a CSV file's header lacks a column its format needs (naming them, and
    the format the file looks like, if any)."""
    if fmt.container != "csv":
        return
    names = list(header)
    missing = missing_columns(fmt, names)
    if missing:
        columns = "the column " if len(missing) == 1 else "the columns "
        likely = detect(names)
        hint = f" (it looks like a {' or '.join(likely)} file)" if likely else ""
        raise FileProblem(f"the file is not a {fmt.name} file: it lacks {columns}{', '.join(missing)}{hint}")


@dataclass(frozen=True)
class Chunk:
    """A byte range of a file holding whole records: ``rows(stream, container, header=..., first_line=
    first_line, base_offset=start, encoding=...)`` over ``file[start:end]`` reads them alone."""

    number: int  # 0, 1, ...
    first_line: int
    start: int
    end: int
    rows: int


def group_of(fmt: Format, row: Row) -> str | None:
    """The record a row belongs to, for a format whose records span rows (``group_of(row)``); None:
    every row is a record of its own."""
    own = getattr(fmt, "group_of", None)
    return own(row) if callable(own) else None


def chunks(fmt: Format, rows: Iterable[Row], size: int) -> Iterator[Chunk]:
    """The file's rows as ranges of about ``size`` rows each, cut only between records."""
    if size < 1:
        raise ValueError("a chunk holds at least one row")
    number, first, count, last_group = 0, None, 0, None
    end = 0
    for row in rows:
        group = group_of(fmt, row)
        if first is not None and count >= size and (group is None or group != last_group):
            yield Chunk(number, first.line, first.start, end, count)
            number, first, count = number + 1, None, 0
        if first is None:
            first = row
        count += 1
        end = row.end
        last_group = group
    if first is not None:
        yield Chunk(number, first.line, first.start, end, count)
