"""Daily sales counters from the orders stream: one change of an order adds what it moved, once."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from shared.dal.sales import SalesStore
from shared.models.orders import order_from_item
from shared.reports.sales import delta


class SalesAggregator:
    def __init__(self, store: SalesStore, tz: ZoneInfo, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._tz = tz
        self._clock = clock

    def order_changed(
        self, sequence_number: str, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None
    ) -> int:
        """Apply one stream record (both images deserialised; None: absent). Returns the number of
        counters it moved: 0 when it moved none or was applied before."""
        before = order_from_item(dict(old)) if old else None
        after = order_from_item(dict(new)) if new else None
        moved = delta(before, after, self._tz)
        order = after or before
        if order is None or not moved:
            return 0
        return (
            len(moved) if self._store.apply(order.order_id, sequence_number, moved, int(self._clock())) else 0
        )
