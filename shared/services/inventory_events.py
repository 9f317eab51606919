"""Inventory events: what a change of a product item (the catalog stream) means: a StockLow event,
the low-stock flag, and the backorders its new stock may fill."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from shared.dal.inventory import stock_image
from shared.domain.inventory import low_stock_decision
from shared.domain.moments import utc_text
from shared.models.events import STOCK_LOW
from shared.services.backorders import FillReport


class LowStockFlags(Protocol):
    """What inventory events need of the inventory store: the low-stock flag."""

    def flag_low(self, sku: str, since: str) -> bool: ...

    def clear_low(self, sku: str) -> bool: ...


class Backorders(Protocol):
    """Fills the orders waiting for a SKU (``shared.services.backorders.BackorderFiller``)."""

    def fill(self, sku: str) -> FillReport: ...


class Publisher(Protocol):
    """Publishes one event (``shared.dal.events.EventPublisher``)."""

    def publish(self, detail_type: str, detail: dict[str, Any]) -> str: ...


@dataclass(frozen=True)
class ChangeReport:
    published: bool
    flag: str | None
    backorders: FillReport | None


class InventoryEvents:
    """What a change of a product item means: a StockLow event, the low-stock flag, backorders."""

    def __init__(
        self,
        inventory: LowStockFlags,
        backorders: Backorders,
        publisher: Publisher,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._inventory = inventory
        self._backorders = backorders
        self._publisher = publisher
        self._clock = clock

    def product_changed(
        self, sku: str, old: Mapping[str, Any] | None, new: Mapping[str, Any], *, change_id: str
    ) -> ChangeReport:
        before = stock_image(old) if old else None
        after = stock_image(new)
        decision = low_stock_decision(before, after)
        if decision.publish:
            # Published before the flag is written: a retry may publish twice (at least once, with
            # change_id to deduplicate on), but a crash can never lose the event.
            self._publisher.publish(
                STOCK_LOW,
                {
                    "sku": sku,
                    "location": decision.location,
                    "available": after.available,
                    "on_hand": after.on_hand,
                    "reserved": after.reserved,
                    "low_stock_threshold": after.threshold,
                    "location_on_hand": (
                        after.levels[decision.location].on_hand
                        if decision.location is not None and decision.location in after.levels
                        else None
                    ),
                    "locations": {name: level.on_hand for name, level in sorted(after.levels.items())},
                    "occurred_at": utc_text(self._clock()),
                    "change_id": change_id,
                },
            )
        if decision.flag == "set":
            self._inventory.flag_low(sku, utc_text(self._clock()))
        elif decision.flag == "clear":
            self._inventory.clear_low(sku)
        filled = None
        if after.available > 0 and (before is None or after.available > before.available):
            filled = self._backorders.fill(sku)
        return ChangeReport(decision.publish, decision.flag, filled)

    def started_waiting(self, sku: str) -> FillReport:
        """A backordered order joined the line: stock may have arrived while it was being recorded."""
        return self._backorders.fill(sku)
