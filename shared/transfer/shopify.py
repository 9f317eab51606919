"""Shopify's CSV exports: products, inventory, customers and orders (one row per line item).

The column names are Shopify's own (see ``tests/fixtures/shopify/csv/README.md`` for where each
header comes from, and the README's "Importing and exporting: formats" for the whole mapping). Columns
a format does not read are ignored, ``_errors`` too (a corrected error report imports again). A cell
is trimmed; a ``'`` before a formula-like start is taken off (``files.unescape_formula``: the error
report escapes such cells). Every bad entry names Shopify's column, never the value.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from shared.currencies import ISO_4217
from shared.domain.customers import normalise_email
from shared.marketplaces.channel_documents import utc_time
from shared.marketplaces.documents import placeholder_email
from shared.marketplaces.money import parse_amount
from shared.marketplaces.shopify import CHANNEL, FALLBACK_NAME, OPEN_FINANCIAL
from shared.models.channels import ChannelOrder
from shared.models.imports import CustomerImport, FormatName, Kind, ProductRecord, StockRecord
from shared.models.orders import order_total
from shared.transfer.cells import CellError, build
from shared.transfer.files import row_problem, unescape_formula
from shared.transfer.records import BadEntry, Entry, Parsed, ReadOptions, Row

ZERO = Decimal("0.00")
NAME_LIMIT = 200
DEFAULT_OPTION = "Default Title"  # Shopify's option value of a product without options
NOT_STOCKED = "not stocked"  # an inventory cell of a variant not stocked at that location


def cell(row: Row, column: str) -> str:
    """A cell, trimmed ("" when the row has no such column), a formula escape taken off."""
    value = row.cells.get(column)
    if not value or not isinstance(value, str):
        return ""
    return (unescape_formula(value) if value[0] == "'" else value).strip()


def _money(row: Row, column: str) -> Decimal:
    return parse_amount(cell(row, column), column) if cell(row, column) else ZERO


def _required_money(row: Row, column: str) -> Decimal:
    if not cell(row, column):
        raise CellError([f"{column} is missing"])
    try:
        return parse_amount(cell(row, column), column)
    except ValueError as exc:
        raise CellError([str(exc)]) from None


def _whole(row: Row, column: str) -> int:
    text = cell(row, column)
    if not re.fullmatch(r"-?\d{1,9}", text):
        raise CellError([f"{column} is not a whole number"])
    number = int(text)
    if number < 0:
        raise CellError([f"{column} must not be negative"])
    return number


def _capped(text: str, limit: int = NAME_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def location_name(text: str) -> str:
    """A Shopify location's name as an OMS location name (``LOCATION_PATTERN``): accents dropped,
    lower case, every run of other characters a ``-`` ("Main Warehouse" -> "main-warehouse",
    "Café Nord #2" -> "cafe-nord-2"); empty when nothing is left."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9._]+", "-", plain).strip("-._")[:64].rstrip("-._")


def listing_of(name: str) -> str | None:
    """A line without a SKU, as a listing staff can map to one (``PUT /channels/{channel}/listings/{id}``:
    letters, digits, '.', '_', '-'): its ``Lineitem name`` as ``location_name`` makes a name ("Canvas Tote"
    -> "canvas-tote"). The order export holds no product or variant id to use instead."""
    return location_name(name) or None


class _CsvFormat:
    name: FormatName
    kind: Kind
    container = "csv"
    required: frozenset[str] = frozenset()

    def required_columns(self) -> frozenset[str]:
        return self.required


def _bad(rows: Iterable[Row], errors: Iterable[str], kind: Kind, key: str | None = None) -> BadEntry:
    return BadEntry(tuple(rows), tuple(dict.fromkeys(errors)), kind, key)


# --- products -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProductColumns:
    """The column names of one dialect of Shopify's product CSV."""

    handle: str
    title: str
    sku: str
    price: str
    status: str
    quantity: str
    options: tuple[str, str, str]
    images: frozenset[str]  # the columns an image-only row fills besides the handle
    image_prefix: str | None = None

    def required(self) -> frozenset[str]:
        return frozenset({self.handle, self.title, self.sku, self.price})


# The template's header (``Handle``, ``Variant SKU``, ...), and the header Shopify's exports use since
# 2024 (``URL handle``, ``SKU``, ``Price``, ``Inventory quantity``, ...): see the fixture README.
CLASSIC = ProductColumns(
    handle="Handle",
    title="Title",
    sku="Variant SKU",
    price="Variant Price",
    status="Status",
    quantity="Variant Inventory Qty",
    options=("Option1 Value", "Option2 Value", "Option3 Value"),
    images=frozenset(),
    image_prefix="Image ",
)
CURRENT = ProductColumns(
    handle="URL handle",
    title="Title",
    sku="SKU",
    price="Price",
    status="Status",
    quantity="Inventory quantity",
    options=("Option1 value", "Option2 value", "Option3 value"),
    images=frozenset({"Product image URL", "Image position", "Image alt text"}),
)


def product_columns(header: Iterable[str]) -> ProductColumns:
    """The dialect of a product CSV, from its header (``URL handle``: the current one)."""
    return CURRENT if CURRENT.handle in set(header) else CLASSIC


class ShopifyProducts(_CsvFormat):
    """Shopify's product CSV: one row per variant, the rows of one product adjacent under its
    ``Handle``; the product's first row carries ``Title``, ``Status`` and the option names.

    Each variant with a ``Variant SKU`` is a product (key: the SKU) named ``Title - value1 / value2``
    from its option values, leaving out Shopify's ``Default Title`` (a product without options is
    named by its title alone); ``Variant Price``; ``Status`` lower-cased (blank: active). A row without
    a SKU is bad; a row holding only ``Handle`` and ``Image *`` cells (an extra image) is skipped.
    ``Variant Inventory Qty``, when the file has it and the cell is filled, is also a stock count at
    ``--location`` (key ``{sku}@{location}``), unless the variant itself is bad (no stock is recorded
    for a product that is not).

    Both headers Shopify has used are read: the template's (above) and the current export's, where the
    same columns are ``URL handle``, ``SKU``, ``Price``, ``Option1 value``..., ``Inventory quantity``
    and the image columns ``Product image URL``, ``Image position``, ``Image alt text``. Errors name
    the file's own columns.
    """

    name: FormatName = "shopify-products"
    kind: Kind = "products"
    required = CLASSIC.required()

    def missing_columns(self, header: Iterable[str]) -> list[str]:
        names = set(header)
        return sorted(product_columns(names).required() - names)

    def group_of(self, row: Row) -> str:
        """The product a row belongs to: its handle (a chunk never starts inside a product)."""
        return cell(row, product_columns(row.cells).handle)

    def entries(self, rows: Iterable[Row], options: ReadOptions) -> Iterator[Parsed]:
        handle, title, status = None, "", ""
        columns: ProductColumns | None = None
        for row in rows:
            if (problem := row_problem(row)) is not None:
                yield _bad([row], [problem], "products")
                continue
            if columns is None:
                columns = product_columns(row.cells)
            if cell(row, columns.handle) != handle:
                handle = cell(row, columns.handle)
                title, status = cell(row, columns.title), cell(row, columns.status)
            if _image_only(row, columns):
                continue
            yield from self._variant(row, columns, title, status, options)

    def _variant(
        self, row: Row, columns: ProductColumns, title: str, status: str, options: ReadOptions
    ) -> Iterator[Parsed]:
        sku = cell(row, columns.sku)
        if not sku:
            yield _bad([row], [f"{columns.sku} is missing"], "products")
            return
        if not title:
            yield _bad([row], [f"{columns.title} is missing (on the product's first row)"], "products", sku)
            return
        values = [cell(row, column) for column in columns.options]
        shown = [v for v in values if v and v != DEFAULT_OPTION]
        name = f"{title} - {' / '.join(shown)}" if shown else title
        try:
            product = build(
                ProductRecord,
                {
                    "sku": sku,
                    "name": _capped(name),
                    "price": _required_money(row, columns.price),
                    "status": status.lower() or "active",
                },
                {"sku": columns.sku, "name": columns.title, "price": columns.price, "status": columns.status},
            )
        except CellError as exc:
            yield _bad([row], exc.errors, "products", sku)  # its stock too: the row is reported once
            return
        yield Entry("products", sku, product, (row,))
        if cell(row, columns.quantity):
            yield _stock(row, sku, options.location, columns.quantity, columns.sku)


def _image_only(row: Row, columns: ProductColumns) -> bool:
    prefix = columns.image_prefix
    others = (
        column
        for column in row.cells
        if column != columns.handle
        and column not in columns.images
        and not (prefix and column.startswith(prefix))
    )
    return all(not cell(row, column) for column in others)


def _stock(row: Row, sku: str, location: str, column: str, sku_column: str) -> Parsed:
    key = f"{sku}@{location}"
    try:
        record = build(
            StockRecord,
            {"sku": sku, "location": location, "on_hand": _whole(row, column)},
            {"sku": sku_column, "location": "Location", "on_hand": column},
        )
    except CellError as exc:
        return _bad([row], exc.errors, "stock", key)
    return Entry("stock", key, record, (row,))


# --- inventory ----------------------------------------------------------------------------------

# The quantity columns, in the order they are looked for: the newer export's On hand (new) when
# filled, else its On hand (current); the older On hand; else Available (the "Only Available
# quantities" export, whose header may say "(not editable)"). The first the file has is read.
_QUANTITIES = ("On hand (current)", "On hand", "Available", "Available (not editable)")
_NEW_ON_HAND = "On hand (new)"


def _quantity_column(row: Row) -> str | None:
    if cell(row, _NEW_ON_HAND):
        return _NEW_ON_HAND
    return next((column for column in _QUANTITIES if column in row.cells), None)


class ShopifyInventory(_CsvFormat):
    """Shopify's inventory CSV: one row per variant and location. ``SKU``; ``Location`` made an OMS
    location name (``location_name``: "Main Warehouse" -> "main-warehouse"); the units on hand from
    ``On hand (new)`` when filled, else the first column the file has of ``On hand (current)``, ``On
    hand``, ``Available`` (a blank one is bad: Available is never taken for a blank On hand). A
    ``not stocked`` cell is skipped; a row without a SKU is bad. Key ``{sku}@{location}``."""

    name: FormatName = "shopify-inventory"
    kind: Kind = "stock"
    required = frozenset({"Handle", "SKU", "Location"})

    def entries(self, rows: Iterable[Row], options: ReadOptions) -> Iterator[Parsed]:
        for row in rows:
            if (problem := row_problem(row)) is not None:
                yield _bad([row], [problem], "stock")
                continue
            column = _quantity_column(row)
            if column is None:
                yield _bad([row], ["the file has no On hand or Available column"], "stock")
                continue
            if not cell(row, column):
                yield _bad([row], [f"{column} is missing"], "stock")
                continue
            if cell(row, column).lower() == NOT_STOCKED:
                continue
            sku = cell(row, "SKU")
            location = location_name(cell(row, "Location"))
            if not sku or not location:
                missing = [c for c, v in (("SKU", sku), ("Location", location)) if not v]
                yield _bad([row], [f"{c} is missing" for c in missing], "stock")
                continue
            yield _stock(row, sku, location, column, "SKU")


# --- customers ----------------------------------------------------------------------------------

_ADDRESS = "Default Address "
_ADDRESS_COLUMNS = {
    "line1": "Default Address Address1",
    "line2": "Default Address Address2",
    "city": "Default Address City",
    "region": "Default Address Province Code",
    "postal_code": "Default Address Zip",
    "country": "Default Address Country Code",
}


class ShopifyCustomers(_CsvFormat):
    """Shopify's customer CSV. Key: ``Email`` normalised (``normalise_email``); name ``First Name
    Last Name``; ``Phone``, else ``Default Address Phone``; ``Accepts Email Marketing`` yes/no; the
    default address when ``Default Address Address1`` is filled (its name is the customer's, with
    ``Default Address Company`` after it in brackets: the OMS address has no company field). A row
    without an email is bad."""

    name: FormatName = "shopify-customers"
    kind: Kind = "customers"
    required = frozenset({"Email", "First Name", "Last Name"})

    def entries(self, rows: Iterable[Row], options: ReadOptions) -> Iterator[Parsed]:
        for row in rows:
            if (problem := row_problem(row)) is not None:
                yield _bad([row], [problem], "customers")
                continue
            email = cell(row, "Email")
            if not email:
                yield _bad([row], ["Email is missing"], "customers")
                continue
            key = normalise_email(email)
            person = " ".join(p for p in (cell(row, "First Name"), cell(row, "Last Name")) if p)
            columns = {
                "email": "Email",
                "name": "First Name",
                "phone": "Phone",
                "accepts_email_marketing": "Accepts Email Marketing",
            }
            data: dict[str, Any] = {
                "email": email,
                "name": _capped(person) if person else None,
                "phone": cell(row, "Phone") or cell(row, "Default Address Phone") or None,
            }
            errors: list[str] = []
            consent = cell(row, "Accepts Email Marketing").lower()
            if consent in ("yes", "no"):
                data["accepts_email_marketing"] = consent == "yes"
            elif consent:
                errors.append("Accepts Email Marketing must be yes or no")
            if cell(row, "Default Address Address1"):
                company = cell(row, "Default Address Company")
                label = f"{person} ({company})" if person and company else person or company
                address = {field: cell(row, column) or None for field, column in _ADDRESS_COLUMNS.items()}
                data["addresses"] = [{"name": _capped(label) if label else None, **address}]
                columns.update({f"addresses.0.{f}": c for f, c in _ADDRESS_COLUMNS.items()})
                columns["addresses.0.name"] = "First Name"
            try:
                record = build(CustomerImport, data, columns)
            except CellError as exc:
                errors.extend(exc.errors)
            if errors:
                yield _bad([row], errors, "customers", key)
            else:
                yield Entry("customers", key, record, (row,))


# --- orders -------------------------------------------------------------------------------------

_SHIPPING_COLUMNS = {
    "name": "Shipping Name",
    "line1": "Shipping Address1",
    "line2": "Shipping Address2",
    "city": "Shipping City",
    "region": "Shipping Province",
    "postal_code": "Shipping Zip",
    "country": "Shipping Country",
}
_LINE_COLUMNS = {
    "sku": "Lineitem sku",
    "listing": "Lineitem name",
    "quantity": "Lineitem quantity",
    "unit_price": "Lineitem price",
    "discount": "Lineitem discount",
}


class ShopifyOrders(_CsvFormat):
    """Shopify's order export: one row per line item, the rows of one order adjacent under its
    ``Name`` (``#1001``), the first row carrying the order's own columns. One ``ChannelOrder`` per
    order on ``--channel`` (default ``shopify``), external id ``Name``.

    - Lines: ``Lineitem sku`` (blank: no SKU, ``Lineitem name`` as the listing for staff to map),
      ``Lineitem quantity``, ``Lineitem price`` (per unit, before discounts), ``Lineitem discount``.
    - Money, exact: ``Shipping``, ``Taxes`` (the order's tax), ``Discount Amount`` (every discount;
      what the lines' ``Lineitem discount`` do not hold is an order discount), ``Total`` (the channel
      total, and the file's total per ``Currency``, which must be an ISO 4217 code). The export has no
      taxes-included column: prices include tax when the lines, discounts and shipping alone make the
      ``Total`` and tax does not (a VAT store). Lines, discounts, shipping and tax that do not make
      ``Total`` are a bad entry saying by how much (``shared.models.orders.order_total``).
    - Status: ``Cancelled at`` set or ``Financial Status`` voided: cancelled. ``Fulfillment Status``
      fulfilled: shipped, with one shipment ``{Name}-F1`` of everything at ``Fulfilled at``; partial:
      open with a shipment ``{Name}-F1`` of the lines whose ``Lineitem fulfillment status`` is
      fulfilled. Otherwise open, or pending when ``Financial Status`` is pending (or any state the
      webhook adapter does not count as paid: ``shared.marketplaces.shopify.OPEN_FINANCIAL``).
    - ``Refunded Amount`` above zero: one refund ``{Name}-R1`` of it (a refunded or partially
      refunded order without one is bad).
    - ``Created at`` (``2026-11-02 10:15:40 -0500``) -> ``placed_at`` in UTC.
    - Customer: ``Email`` (blank: an address at ``shopify.invalid`` unique to the order, as the webhook
      adapter does), ``Billing Name`` else ``Shipping Name`` (else "Shopify customer"), ``Phone``
      else ``Billing Phone``; the ``Shipping *`` address columns (``Shipping Province`` is its code).
    """

    name: FormatName = "shopify-orders"
    kind: Kind = "orders"
    required = frozenset(
        {
            "Name",
            "Email",
            "Financial Status",
            "Fulfillment Status",
            "Currency",
            "Created at",
            "Lineitem quantity",
            "Lineitem price",
            "Lineitem sku",
            "Total",
        }
    )

    def group_of(self, row: Row) -> str:
        """The order a row belongs to: its ``Name`` (a chunk never starts inside an order)."""
        return cell(row, "Name")

    def entries(self, rows: Iterable[Row], options: ReadOptions) -> Iterator[Parsed]:
        channel = options.channel or CHANNEL
        return _groups(rows, "Name", lambda group: self._order(group, channel))

    def _order(self, group: list[Row], channel: str) -> Parsed:
        name = cell(group[0], "Name")
        key = f"{channel}#{name}"
        broken = [p for p in map(row_problem, group) if p is not None]
        if broken:
            return _bad(group, broken, "orders", key)
        if not name:
            return _bad(group, ["Name is missing"], "orders")
        try:
            order, total, currency = _channel_order(group, channel, name)
        except CellError as exc:
            return _bad(group, exc.errors, "orders", key)
        return Entry("orders", key, order, tuple(group), ((currency, total),))


def _groups(rows: Iterable[Row], column: str, make: Callable[[list[Row]], Parsed]) -> Iterator[Parsed]:
    """Adjacent rows with the same ``column`` as one group each (a broken row's cells may lack it)."""
    group: list[Row] = []
    for row in rows:
        if group and cell(row, column) != cell(group[0], column):
            yield make(group)
            group = []
        group.append(row)
    if group:
        yield make(group)


def _channel_order(group: list[Row], channel: str, name: str) -> tuple[ChannelOrder, Decimal, str]:
    first = group[0]
    errors: list[str] = []

    def read(reader: Callable[[], Any], default: Any = None) -> Any:
        try:
            return reader()
        except CellError as exc:
            errors.extend(exc.errors)
        except ValueError as exc:
            errors.append(str(exc))
        return default

    currency = cell(first, "Currency")
    if not currency:
        errors.append("Currency is missing")
    elif currency not in ISO_4217:
        errors.append("Currency is not an ISO 4217 currency code")
    shipping = read(lambda: _money(first, "Shipping"), ZERO)
    taxes = read(lambda: _money(first, "Taxes"), ZERO)
    discount = read(lambda: _money(first, "Discount Amount"), ZERO)
    total = read(lambda: _required_money(first, "Total"), ZERO)
    refunded = read(lambda: _money(first, "Refunded Amount"), ZERO)
    placed_at = read(lambda: utc_time(cell(first, "Created at") or None, "Created at"))
    if placed_at is None and not any("Created at" in e for e in errors):
        # Without it the order would count as placed today: history must keep its own day.
        errors.append("Created at is missing")
    fulfilled_at = read(lambda: utc_time(cell(first, "Fulfilled at") or None, "Fulfilled at"))
    cancelled_at = read(lambda: utc_time(cell(first, "Cancelled at") or None, "Cancelled at"))
    columns: dict[str, str] = {"currency": "Currency", "customer.email": "Email"}
    lines: list[dict[str, Any]] = []
    for n, row in enumerate(group):
        lines.append(
            {
                "sku": cell(row, "Lineitem sku") or None,
                "listing": None if cell(row, "Lineitem sku") else listing_of(cell(row, "Lineitem name")),
                "quantity": read(lambda: _whole(row, "Lineitem quantity"), 0),  # noqa: B023 - called at once
                "unit_price": read(lambda: _required_money(row, "Lineitem price"), ZERO),  # noqa: B023
                "discount": read(lambda: _money(row, "Lineitem discount"), ZERO),  # noqa: B023
            }
        )
        columns.update({f"lines.{n}.{field}": column for field, column in _LINE_COLUMNS.items()})
    if errors:
        raise CellError(errors)

    taxes_included, order_discount = _checked_money(lines, discount, shipping, taxes, total)
    status, shipments = _status(group, name, fulfilled_at)
    refunds: list[dict[str, Any]] = []
    financial = cell(first, "Financial Status").lower()
    if refunded > 0:
        refunds.append({"refund_id": f"{name}-R1", "amount": refunded})
    elif financial in ("refunded", "partially_refunded"):
        raise CellError([f"Refunded Amount is missing for a {financial} order"])
    address = None
    if cell(first, "Shipping Address1"):
        address = {field: cell(first, column) or None for field, column in _SHIPPING_COLUMNS.items()}
        columns.update({f"shipping_address.{f}": c for f, c in _SHIPPING_COLUMNS.items()})
    person = cell(first, "Billing Name") or cell(first, "Shipping Name") or FALLBACK_NAME
    body = {
        "channel": channel,
        "external_id": name,
        "status": status,
        "placed_at": placed_at,
        # The export's one time of a later change: a cancelled order was last changed when it was cancelled
        # (an import records the cancellation then, so the sales figures count it on that day).
        "version": cancelled_at,
        "customer": {
            "email": cell(first, "Email") or placeholder_email(CHANNEL, name),
            "name": _capped(person),
            "phone": cell(first, "Phone") or cell(first, "Billing Phone") or None,
        },
        "shipping_address": address,
        "currency": currency,
        "lines": lines,
        "shipping_total": shipping,
        "order_discount": order_discount,
        "tax_total": taxes,
        "taxes_included": taxes_included,
        "channel_total": total,
        "shipments": shipments,
        "refunds": refunds,
    }
    columns.update(
        {
            "external_id": "Name",
            "customer.name": "Billing Name",
            "customer.phone": "Phone",
            "lines": "Lineitem quantity",
            "shipments": "Lineitem fulfillment status",
            "shipments.0.shipped_at": "Fulfilled at",
            "refunds": "Refunded Amount",
        }
    )
    return build(ChannelOrder, body, columns), total, currency


def _checked_money(
    lines: list[dict[str, Any]], discount: Decimal, shipping: Decimal, taxes: Decimal, total: Decimal
) -> tuple[bool, Decimal]:
    """Whether prices include tax, and the order discount (``Discount Amount`` less the lines' own);
    a ``CellError`` when the money does not make ``Total``."""
    gross = sum((line["unit_price"] * line["quantity"] for line in lines), ZERO)
    order_discount = discount - sum((line["discount"] for line in lines), ZERO)
    if order_discount < 0:
        raise CellError(["Discount Amount is less than the sum of Lineitem discount"])
    with_tax = order_total(gross, discount, shipping, taxes, taxes_included=False)
    without_tax = order_total(gross, discount, shipping, taxes, taxes_included=True)
    if with_tax == total:
        return False, order_discount
    if without_tax == total:
        return True, order_discount
    raise CellError(
        [
            f"Total differs by {total - with_tax:+} from the lines (Lineitem price x Lineitem quantity) "
            "less Discount Amount plus Shipping and Taxes"
        ]
    )


def _status(group: list[Row], name: str, fulfilled_at: str | None) -> tuple[str, list[dict[str, Any]]]:
    first = group[0]
    financial = cell(first, "Financial Status").lower()
    fulfillment = cell(first, "Fulfillment Status").lower()
    if cell(first, "Cancelled at") or financial == "voided":
        return "cancelled", []
    if fulfillment == "fulfilled":
        return "shipped", [{"shipment_ref": f"{name}-F1", "lines": None, "shipped_at": fulfilled_at}]
    status = "open" if financial in OPEN_FINANCIAL else "pending"
    shipped = [
        (cell(row, "Lineitem sku"), _whole(row, "Lineitem quantity"))
        for row in group
        if cell(row, "Lineitem sku") and cell(row, "Lineitem fulfillment status").lower() == "fulfilled"
    ]
    if fulfillment == "partial" and shipped:
        return status, [{"shipment_ref": f"{name}-F1", "lines": shipped, "shipped_at": fulfilled_at}]
    return status, []


__all__ = [
    "ShopifyCustomers",
    "ShopifyInventory",
    "ShopifyOrders",
    "ShopifyProducts",
    "cell",
    "location_name",
]
