"""The formats, by name: ``format_of("shopify-orders")`` and the check that a file is of its format.

A CSV format names the columns its file must have (``required_columns``); a file without them is the
wrong format, refused before any row is read (a products CSV given as ``--format shopify-orders``
names the order columns it lacks). The README's "Importing and exporting: formats" lists each
format's columns and mapping.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from shared.models.imports import FormatName
from shared.transfer.files import FileProblem
from shared.transfer.oms import OmsCustomers, OmsOrders, OmsProducts, OmsStock
from shared.transfer.records import Format
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
    """The columns ``fmt`` needs that ``header`` lacks, sorted."""
    return sorted(fmt.required_columns() - set(header))


def check_header(fmt: Format, header: Iterable[str]) -> None:
    """A ``FileProblem`` when a CSV file's header lacks a column its format needs."""
    if fmt.container != "csv":
        return
    missing = missing_columns(fmt, header)
    if missing:
        names = "the column " if len(missing) == 1 else "the columns "
        raise FileProblem(f"the file is not a {fmt.name} file: it lacks {names}{', '.join(missing)}")
