"""Units per SKU: lines of the same SKU (an order's, a shipment's, a return's, a request's) summed.
Pure. The one place this sum is written; every caller passes the lines it means."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol


class SkuLine(Protocol):
    """Any line that names a SKU and a number of its units."""

    @property
    def sku(self) -> str: ...

    @property
    def quantity(self) -> int: ...


def units_by_sku(lines: Iterable[SkuLine]) -> dict[str, int]:
    """The units of each SKU across ``lines``, in the order the SKUs first appear."""
    totals: dict[str, int] = {}
    for line in lines:
        totals[line.sku] = totals.get(line.sku, 0) + line.quantity
    return totals


def left_to_ship(ordered: Iterable[SkuLine], shipped: Iterable[SkuLine]) -> dict[str, int]:
    """The units of each SKU ordered and not shipped yet (SKUs with none left are left out)."""
    sent = units_by_sku(shipped)
    return {sku: q - sent.get(sku, 0) for sku, q in units_by_sku(ordered).items() if q > sent.get(sku, 0)}
