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


def units_left(ordered: Iterable[SkuLine], shipped: Iterable[SkuLine]) -> dict[str, int]:
    """The units of each SKU ``ordered`` that ``shipped`` has not taken yet (SKUs with none left are
    absent): what an order still has to ship, so what it holds reserved while it does."""
    done = units_by_sku(shipped)
    return {
        sku: q - done.get(sku, 0)
        for sku, q in units_by_sku(line for line in ordered if line.quantity > 0).items()
        if q > done.get(sku, 0)
    }
