"""This OMS's own formats: exactly what ``oms export`` writes, read back with nothing lost.

    oms-products   CSV: sku, name, price, status, low_stock_threshold      key: the SKU
    oms-stock      CSV: sku, location, on_hand                              key: {sku}@{location}
    oms-customers  JSON Lines: one CustomerImport per line (customer_id)    key: the email, normalised
    oms-orders     JSON Lines: one whole Order per line                     key: {channel}#{external_id},
                   (``model_dump(mode="json")``)                                 or order#{order_id}

CSV files are UTF-8 with a BOM (a spreadsheet then reads them as UTF-8), ``\\r\\n`` line ends, every
cell formula-escaped (``files.escape_cell``) and unescaped on reading (``files.unescape_cell``), so
``=HYPERLINK(...)`` in a name comes back as it was, and is inert in the file. Money is a decimal
string (``19.99``); an empty ``low_stock_threshold`` is none. Columns other than these (``_errors``
of a corrected error report) are ignored; so is an ``_errors`` field in JSON Lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from shared.domain.customers import normalise_email
from shared.models.imports import CustomerImport, FormatName, Kind, ProductRecord, StockRecord
from shared.models.orders import Order
from shared.transfer.cells import CellError, build
from shared.transfer.files import (
    BOM,
    ERRORS_COLUMN,
    Writable,
    csv_line,
    jsonl_line,
    row_problem,
    unescape_cell,
)
from shared.transfer.records import BadEntry, Entry, Parsed, ReadOptions, Row

PRODUCT_COLUMNS = ("sku", "name", "price", "status", "low_stock_threshold")
STOCK_COLUMNS = ("sku", "location", "on_hand")


def _cell(row: Row, column: str) -> str:
    value = row.cells.get(column)
    return unescape_cell(value) if isinstance(value, str) else ""


def _bad(row: Row, errors: Iterable[str], kind: Kind, key: str | None = None) -> BadEntry:
    return BadEntry((row,), tuple(dict.fromkeys(errors)), kind, key)


def _whole(text: str, column: str) -> int:
    if not text.isdigit() or not text.isascii():
        raise CellError([f"{column} is not a whole number"])
    return int(text)


class _OmsFormat:
    name: FormatName
    kind: Kind
    container: str
    required: frozenset[str] = frozenset()

    def required_columns(self) -> frozenset[str]:
        return self.required

    def entries(self, rows: Iterable[Row], options: ReadOptions) -> Iterator[Parsed]:
        for row in rows:
            if (problem := row_problem(row)) is not None:
                yield _bad(row, [problem], self.kind)
                continue
            try:
                yield self.entry(row)
            except CellError as exc:
                yield _bad(row, exc.errors, self.kind, self.key_of(row))

    def entry(self, row: Row) -> Parsed:
        raise NotImplementedError

    def key_of(self, row: Row) -> str | None:
        return None


class OmsProducts(_OmsFormat):
    name: FormatName = "oms-products"
    kind: Kind = "products"
    container = "csv"
    required = frozenset(PRODUCT_COLUMNS)

    def entry(self, row: Row) -> Parsed:
        threshold = _cell(row, "low_stock_threshold").strip()
        data = {column: _cell(row, column) for column in ("sku", "name", "price", "status")}
        record = build(
            ProductRecord,
            {
                **data,
                "low_stock_threshold": _whole(threshold, "low_stock_threshold") if threshold else None,
            },
            {column: column for column in PRODUCT_COLUMNS},
        )
        return Entry("products", record.sku, record, (row,))

    def key_of(self, row: Row) -> str | None:
        return _cell(row, "sku") or None


class OmsStock(_OmsFormat):
    name: FormatName = "oms-stock"
    kind: Kind = "stock"
    container = "csv"
    required = frozenset(STOCK_COLUMNS)

    def entry(self, row: Row) -> Parsed:
        record = build(
            StockRecord,
            {
                "sku": _cell(row, "sku"),
                "location": _cell(row, "location"),
                "on_hand": _whole(_cell(row, "on_hand").strip(), "on_hand"),
            },
            {column: column for column in STOCK_COLUMNS},
        )
        return Entry("stock", stock_key(record), record, (row,))

    def key_of(self, row: Row) -> str | None:
        return f"{_cell(row, 'sku')}@{_cell(row, 'location')}"


def _fields(row: Row) -> dict[str, Any]:
    return {key: value for key, value in row.cells.items() if key != ERRORS_COLUMN}


class OmsCustomers(_OmsFormat):
    name: FormatName = "oms-customers"
    kind: Kind = "customers"
    container = "jsonl"

    def entry(self, row: Row) -> Parsed:
        record = build(CustomerImport, _fields(row), {})
        return Entry("customers", normalise_email(record.email), record, (row,))

    def key_of(self, row: Row) -> str | None:
        email = row.cells.get("email")
        return normalise_email(email) if isinstance(email, str) else None


class OmsOrders(_OmsFormat):
    name: FormatName = "oms-orders"
    kind: Kind = "orders"
    container = "jsonl"

    def entry(self, row: Row) -> Parsed:
        order = build(Order, _fields(row), {})
        return Entry("orders", order_key(order), order, (row,), ((order.currency, order.total),))

    def key_of(self, row: Row) -> str | None:
        channel, external_id, order_id = (row.cells.get(k) for k in ("channel", "external_id", "order_id"))
        if isinstance(channel, str) and isinstance(external_id, str):
            return f"{channel}#{external_id}"
        return f"order#{order_id}" if isinstance(order_id, str) else None


def stock_key(record: StockRecord) -> str:
    return f"{record.sku}@{record.location}"


def order_key(order: Order) -> str:
    """An order's natural key: its channel and external id, or its order id without one."""
    return f"{order.channel}#{order.external_id}" if order.external_id else f"order#{order.order_id}"


# --- writers ------------------------------------------------------------------------------------


def write_products(stream: Writable, records: Iterable[ProductRecord]) -> int:
    """The oms-products CSV of ``records``, streamed; the number of records written."""
    stream.write(BOM + csv_line(PRODUCT_COLUMNS))
    count = 0
    for record in records:
        threshold = record.low_stock_threshold
        stream.write(
            csv_line(
                [
                    record.sku,
                    record.name,
                    format(record.price, "f"),
                    record.status,
                    "" if threshold is None else str(threshold),
                ]
            )
        )
        count += 1
    return count


def write_stock(stream: Writable, records: Iterable[StockRecord]) -> int:
    """The oms-stock CSV of ``records``, streamed; the number of records written."""
    stream.write(BOM + csv_line(STOCK_COLUMNS))
    count = 0
    for record in records:
        stream.write(csv_line([record.sku, record.location, str(record.on_hand)]))
        count += 1
    return count


def write_customers(stream: Writable, records: Iterable[CustomerImport]) -> int:
    """The oms-customers JSON Lines of ``records``, streamed; the number of records written."""
    return _write_jsonl(stream, (record.model_dump(mode="json") for record in records))


def write_orders(stream: Writable, orders: Iterable[Order]) -> int:
    """The oms-orders JSON Lines of ``orders`` (each whole, as stored), streamed; the number written."""
    return _write_jsonl(stream, (order.model_dump(mode="json") for order in orders))


def _write_jsonl(stream: Writable, values: Iterable[Mapping[str, Any]]) -> int:
    count = 0
    for value in values:
        stream.write(jsonl_line(value))
        count += 1
    return count
