"""Out-of-stock days and units shipped per location, from the catalog stream (``inventory_events``).

* **Out of stock**: a product item whose available is 0 or less after a stock change marks that business
  day (the day of its ``stock_updated_at``) out of stock, and records the SKU as out of stock now; back
  above 0, that record goes. A product never stocked (no ``stock_updated_at``) is not tracked. The nightly
  roll-up (``shared.services.inventory_performance``) carries a SKU still out to the days without a change.
* **Shipped per location**: each shipment movement of the ledger adds its units to its day (``as_of``) and
  location once (a marker per movement in the same transaction: ``shared.dal.inventory_stats``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from shared.dal.inventory import stock_image
from shared.models.inventory import DEFAULT_LOCATION
from shared.reports.days import business_day


class StockStats(Protocol):
    """What the stream side writes (``shared.dal.inventory_stats.InventoryStatsStore``)."""

    def mark_out(self, sku: str, day: str, locations: Sequence[str]) -> None: ...

    def out_now(self, sku: str, day: str, locations: Sequence[str], sequence_number: str) -> bool: ...

    def back_in_stock(self, sku: str, sequence_number: str) -> None: ...

    def add_shipped(
        self, sku: str, day: str, location: str, units: int, ledger_sort_key: str, now: int
    ) -> bool: ...


def out_locations(image: Mapping[str, Any]) -> list[str]:
    """Where a SKU out of stock is out: its locations with nothing on hand; every location it has when
    all its units are held by orders (none is empty, yet none can sell)."""
    levels = stock_image(image).levels
    empty = sorted(name for name, level in levels.items() if (level.on_hand or 0) <= 0)
    return empty or sorted(levels) or [DEFAULT_LOCATION]


class StockRecorder:
    """The catalog stream's part: out-of-stock days and units shipped per location."""

    def __init__(self, stats: StockStats, tz: ZoneInfo, clock: Callable[[], float] = time.time) -> None:
        self._stats = stats
        self._tz = tz
        self._clock = clock

    def product_changed(
        self, sku: str, old: Mapping[str, Any] | None, new: Mapping[str, Any], sequence_number: str
    ) -> str | None:
        """ "out" when it recorded the SKU out of stock, "back" when back in stock, else None."""
        changed_at = new.get("stock_updated_at")
        if changed_at is None:
            return None  # never stocked
        day = business_day(str(changed_at), self._tz)
        out = stock_image(new).available <= 0
        was_out = old is not None and stock_image(old).available <= 0
        if out:
            before = (old or {}).get("stock_updated_at")
            if was_out and before is not None and business_day(str(before), self._tz) == day:
                return None  # still out, on a day already recorded
            locations = out_locations(new)
            self._stats.mark_out(sku, day, locations)
            self._stats.out_now(sku, day, locations, sequence_number)
            return "out"
        if was_out:
            self._stats.back_in_stock(sku, sequence_number)
            return "back"
        return None

    def movement_recorded(self, sku: str, ledger_sort_key: str, image: Mapping[str, Any]) -> int:
        """A ledger entry inserted: a shipment adds its units to its day and location, once. Returns the
        units added (0: not a shipment, or added before)."""
        if image.get("kind") != "shipment":
            return 0
        units = -int(image.get("change", 0))
        if units <= 0:
            return 0
        day = business_day(str(image["as_of"]), self._tz)
        added = self._stats.add_shipped(
            sku, day, str(image["location"]), units, ledger_sort_key, int(self._clock())
        )
        return units if added else 0
