"""Shopify export files of any size, shaped like the fixtures (tests/fixtures/shopify/csv: their headers,
their value formats), for the bench and the e2e tests.

``orders_csv`` writes a line-per-row order export: a mix of fulfilled, cancelled (voided), partially
fulfilled, refunded and open orders over past days, in a few currencies, each with a discount, shipping
and 8% tax, totals to the cent; it answers what each order should become (``ShopifyOrder``).
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

FIXTURES = Path(__file__).parents[1] / "fixtures" / "shopify" / "csv"
CENT = Decimal("0.01")
CURRENCIES = ("USD", "EUR", "GBP")
MIXES = ("fulfilled", "cancelled", "partial", "refunded", "open")


def header(name: str) -> list[str]:
    """The columns of a fixture file, in its order."""
    with (FIXTURES / name).open(encoding="utf-8-sig", newline="") as stream:
        return next(csv.reader(stream))


@dataclass(frozen=True)
class Variant:
    handle: str
    title: str
    size: str
    sku: str
    price: Decimal
    on_hand: int


@dataclass(frozen=True)
class ShopifyOrder:
    name: str
    mix: str  # one of MIXES
    currency: str
    created_at: dt.datetime  # aware: the file's time with its offset
    subtotal: Decimal
    discount: Decimal
    shipping: Decimal
    taxes: Decimal
    total: Decimal
    lines: tuple[tuple[str, int, Decimal], ...]  # sku, quantity, price

    @property
    def placed_at(self) -> str:
        """As the OMS stores it: UTC with microseconds."""
        return self.created_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def variants(count: int, *, on_hand: int = 1000) -> list[Variant]:
    """``count`` variants, three sizes to a handle."""
    sizes = ("S", "M", "L")
    found = []
    for n in range(count):
        handle = f"item-{n // 3:05d}"
        size = sizes[n % 3]
        price = (Decimal(5) + Decimal(n % 40) + Decimal("0.99")).quantize(CENT)
        found.append(Variant(handle, f"Item {n // 3}", size, f"SKU-{n:05d}", price, on_hand))
    return found


def _write(path: Path, columns: Sequence[str], rows: Iterator[dict[str, str]]) -> int:
    count = 0
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(columns), restval="", lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


def products_csv(path: Path, items: Sequence[Variant]) -> int:
    """A Shopify product CSV: one row per variant, the product's columns on its first row."""

    def rows() -> Iterator[dict[str, str]]:
        previous = None
        for v in items:
            first = v.handle != previous
            previous = v.handle
            row = {
                "Handle": v.handle,
                "Option1 Value": v.size,
                "Variant SKU": v.sku,
                "Variant Grams": "180",
                "Variant Inventory Tracker": "shopify",
                "Variant Inventory Qty": str(v.on_hand),
                "Variant Inventory Policy": "deny",
                "Variant Fulfillment Service": "manual",
                "Variant Price": f"{v.price:.2f}",
                "Variant Requires Shipping": "TRUE",
                "Variant Taxable": "TRUE",
                "Variant Weight Unit": "kg",
            }
            if first:
                row |= {
                    "Title": v.title,
                    "Body (HTML)": "<p>Generated</p>",
                    "Vendor": "Northwind Apparel",
                    "Published": "TRUE",
                    "Option1 Name": "Size",
                    "Gift Card": "FALSE",
                    "Status": "active",
                }
            yield row

    return _write(path, header("products.csv"), rows())


def inventory_csv(path: Path, items: Sequence[Variant], locations: Sequence[str]) -> int:
    """A Shopify inventory CSV: one row per variant and location."""

    def rows() -> Iterator[dict[str, str]]:
        for n, v in enumerate(items):
            for k, location in enumerate(locations):
                on_hand = v.on_hand + (n + k) % 7
                yield {
                    "Handle": v.handle,
                    "Title": v.title,
                    "Option1 Name": "Size",
                    "Option1 Value": v.size,
                    "SKU": v.sku,
                    "Location": location,
                    "Incoming": "0",
                    "Unavailable": "0",
                    "Committed": "0",
                    "Available": str(on_hand),
                    "On hand": str(on_hand),
                }

    return _write(path, header("inventory.csv"), rows())


def _shopify_time(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S %z")


def make_orders(
    count: int, items: Sequence[Variant], *, now: dt.datetime, seed: int = 15
) -> list[ShopifyOrder]:
    """``count`` orders placed over the 60 days before ``now``, the mixes in turn."""
    rng = random.Random(seed)
    zone = dt.timezone(dt.timedelta(hours=-5))
    made = []
    for n in range(count):
        mix = MIXES[n % len(MIXES)]
        currency = CURRENCIES[n % len(CURRENCIES)]
        created = (now - dt.timedelta(days=1 + n % 60, seconds=rng.randrange(86_000))).astimezone(zone)
        created = created.replace(microsecond=0)
        chosen = rng.sample(list(items), k=2 if mix == "partial" else 1 + n % 3)
        lines = tuple((v.sku, 1 + rng.randrange(3), v.price) for v in chosen)
        subtotal = sum((q * p for _, q, p in lines), Decimal(0))
        discount = (
            (subtotal * Decimal("0.10")).quantize(CENT, ROUND_HALF_UP) if n % 4 == 0 else Decimal("0.00")
        )
        shipping = Decimal("5.00") if n % 2 else Decimal("0.00")
        taxes = ((subtotal - discount) * Decimal("0.08")).quantize(CENT, ROUND_HALF_UP)
        total = subtotal - discount + shipping + taxes
        made.append(
            ShopifyOrder(
                f"#{10001 + n}", mix, currency, created, subtotal, discount, shipping, taxes, total, lines
            )
        )
    return made


_FINANCIAL = {
    "fulfilled": "paid",
    "cancelled": "voided",
    "partial": "paid",
    "refunded": "refunded",
    "open": "paid",
}
_FULFILMENT = {
    "fulfilled": "fulfilled",
    "cancelled": "unfulfilled",
    "partial": "partial",
    "refunded": "fulfilled",
    "open": "unfulfilled",
}


def _order_rows(order: ShopifyOrder, number: int) -> Iterator[dict[str, str]]:
    created = _shopify_time(order.created_at)
    later = _shopify_time(order.created_at + dt.timedelta(hours=20))
    for i, (sku, quantity, price) in enumerate(order.lines):
        if order.mix in ("fulfilled", "refunded") or (order.mix == "partial" and i == 0):
            line_status = "fulfilled"
        else:
            line_status = "pending"
        row = {
            "Name": order.name,
            "Created at": created,
            "Lineitem quantity": str(quantity),
            "Lineitem name": f"Item {sku}",
            "Lineitem price": f"{price:.2f}",
            "Lineitem sku": sku,
            "Lineitem requires shipping": "true",
            "Lineitem taxable": "true",
            "Lineitem fulfillment status": line_status,
            "Lineitem discount": "0.00",
        }
        if i == 0:
            row |= {
                "Email": f"buyer{number % 997}@example.com",
                "Financial Status": _FINANCIAL[order.mix],
                "Paid at": "" if order.mix == "cancelled" else created,
                "Fulfillment Status": _FULFILMENT[order.mix],
                "Fulfilled at": later if order.mix in ("fulfilled", "refunded") else "",
                "Accepts Marketing": "no",
                "Currency": order.currency,
                "Subtotal": f"{order.subtotal:.2f}",
                "Shipping": f"{order.shipping:.2f}",
                "Taxes": f"{order.taxes:.2f}",
                "Total": f"{order.total:.2f}",
                "Discount Code": "SAVE10" if order.discount else "",
                "Discount Amount": f"{order.discount:.2f}",
                "Shipping Method": "Standard",
                "Billing Name": f"Buyer {number % 997}",
                "Billing Address1": f"{number % 90 + 1} Example Street",
                "Billing City": "Brooklyn",
                "Billing Zip": "11201",
                "Billing Province": "NY",
                "Billing Country": "US",
                "Shipping Name": f"Buyer {number % 997}",
                "Shipping Street": f"{number % 90 + 1} Example Street",
                "Shipping Address1": f"{number % 90 + 1} Example Street",
                "Shipping City": "Brooklyn",
                "Shipping Zip": "11201",
                "Shipping Province": "NY",
                "Shipping Country": "US",
                "Cancelled at": later if order.mix == "cancelled" else "",
                "Payment Method": "Shopify Payments",
                "Refunded Amount": f"{order.total:.2f}" if order.mix == "refunded" else "0.00",
                "Vendor": "Northwind Apparel",
                "Outstanding Balance": "0.00",
                "Id": str(5_600_000_000_000 + number),
                "Source": "web",
                "Tax 1 Name": "Sales tax 8%",
                "Tax 1 Value": f"{order.taxes:.2f}",
            }
        yield row


def orders_csv(path: Path, orders: Sequence[ShopifyOrder]) -> int:
    """A Shopify order export of ``orders``, one row per line item; the rows written."""

    def rows() -> Iterator[dict[str, str]]:
        for number, order in enumerate(orders):
            yield from _order_rows(order, number)

    return _write(path, header("orders.csv"), rows())
