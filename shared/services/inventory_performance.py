"""Inventory performance: the nightly roll-up and the figures read back (GET /analytics/inventory, the
inventory_performance report). Out-of-stock days and units shipped come from the catalog stream
(``shared.services.stock_stats``).

* **The nightly roll-up** (``inventory_rollup``): the units sold of each of the last ``REROLL_DAYS``
  days, from the daily sales counters (SET: a re-roll writes the same, a late change lands), and every
  SKU still out of stock marked on each day since it ran out (at most ``REROLL_DAYS`` back) up to today:
  a SKU that stays at 0 without a stock change counts on those days too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol
from zoneinfo import ZoneInfo

from shared.models.inventory_analytics import InventoryPerformance, SkuPerformance, Statistics
from shared.reports.days import today
from shared.reports.inventory_performance import FutureDay, Settings, SkuHistory, StockNow, performance

if TYPE_CHECKING:
    from shared.reports.sales import CounterRow

REROLL_DAYS = 7


class RollupStats(Protocol):
    """What the roll-up writes and reads (``shared.dal.inventory_stats.InventoryStatsStore``)."""

    def mark_out(self, sku: str, day: str, locations: Sequence[str]) -> None: ...

    def set_sold(self, day: str, units_by_sku: Mapping[str, int]) -> int: ...

    def out_of_stock_now(self) -> list[tuple[str, str, list[str]]]: ...


class DailyUnits(Protocol):
    """Units sold per SKU on a business day (the daily sales counters, all currencies)."""

    def units_sold(self, day: str) -> dict[str, int]: ...


@dataclass(frozen=True)
class RollupReport:
    days: list[str]
    sold_items: int
    out_of_stock: int  # SKUs out of stock now, carried forward
    out_marks: int


class InventoryRollup:
    """The nightly roll-up (functions/inventory_rollup)."""

    def __init__(self, stats: RollupStats, sales: DailyUnits, reroll_days: int = REROLL_DAYS) -> None:
        self._stats = stats
        self._sales = sales
        self._reroll_days = reroll_days

    def run(self, on: dt.date) -> RollupReport:
        """Roll up the ``reroll_days`` days before ``on`` (the run's business day); carry every SKU out of
        stock to ``on``."""
        days = [(on - dt.timedelta(days=n)).isoformat() for n in range(self._reroll_days, 0, -1)]
        written = sum(self._stats.set_sold(day, self._sales.units_sold(day)) for day in days)
        marks = 0
        out = self._stats.out_of_stock_now()
        for sku, since, locations in out:
            first = max(dt.date.fromisoformat(since), on - dt.timedelta(days=self._reroll_days))
            for n in range((on - first).days + 1):
                self._stats.mark_out(sku, (first + dt.timedelta(days=n)).isoformat(), locations)
                marks += 1
        return RollupReport(days=days, sold_items=written, out_of_stock=len(out), out_marks=marks)


class SalesDays(Protocol):
    """The daily sales counters of a day (``shared.dal.sales.SalesStore``)."""

    def day(self, day: str) -> list[CounterRow]: ...


class SalesUnits:
    """Units sold per SKU on a day: placed minus cancelled minus returned, every currency
    (``shared.reports.sales.net_units_by_sku`` over the daily sales counters)."""

    def __init__(self, sales: SalesDays) -> None:
        self._sales = sales

    def units_sold(self, day: str) -> dict[str, int]:
        from shared.reports.sales import net_units_by_sku

        return net_units_by_sku(self._sales.day(day))


# --- the figures read back -------------------------------------------------------------------------------


class Sources(Protocol):
    """What one answer reads (``shared.dal.inventory_stats.PerformanceSources``), counting its reads."""

    def products(
        self, cursor: str | None, limit: int, sku: str | None
    ) -> tuple[list[tuple[str, StockNow]], str | None]: ...

    def histories(self, skus: Sequence[str], days: Sequence[str]) -> dict[str, SkuHistory]: ...

    def units_sold(self, day: str) -> dict[str, int]: ...

    def statistics(self) -> Statistics: ...


class InventoryAnalytics:
    """GET /analytics/inventory and the inventory_performance report."""

    def __init__(
        self,
        sources: Callable[[], Sources],
        tz: ZoneInfo,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self._sources = sources
        self._tz = tz
        self._clock = clock

    def today(self) -> dt.date:
        return today(self._clock(), self._tz)

    def page(
        self, settings: Settings, cursor: str | None, limit: int, sku: str | None = None
    ) -> InventoryPerformance:
        """One page of SKUs in SKU order (one SKU with ``sku``). With a location, SKUs neither stocked nor
        shipped there are left out, so a page may hold fewer than ``limit``: follow next_token."""
        now = self.today()
        if settings.as_of > now:
            raise FutureDay(f"as_of {settings.as_of.isoformat()} is after today ({now.isoformat()})")
        sources = self._sources()
        products, token = sources.products(cursor, limit, sku)
        skus = [name for name, _ in products]
        days = settings.read_days
        histories = sources.histories(skus, days) if skus else {}
        if skus and days[-1] == now.isoformat():
            # Today is rolled up tonight: read from the daily counters now (one Query of today's).
            sold_today = sources.units_sold(days[-1])
            for name in skus:
                histories[name].sold[days[-1]] = sold_today.get(name, 0)
        items = [
            figures
            for name, stock in products
            for figures in (performance(name, histories[name], stock, settings),)
            if settings.location is None or figures.locations
        ]
        return InventoryPerformance(
            as_of=settings.as_of.isoformat(),
            period_start=settings.period[0],
            days=settings.days,
            location=settings.location,
            target_cover_days=settings.target_cover_days,
            dead_stock_days=settings.dead_stock_days,
            slow_mover_rate=settings.slow_mover_rate,
            items=items,
            next_token=token,
            statistics=sources.statistics(),
        )

    def everything(self, settings: Settings, page_size: int = 1000) -> InventoryPerformance:
        """Every SKU (the report): the pages one after another, their statistics added up."""
        cursor: str | None = None
        items: list[SkuPerformance] = []
        read = requests = 0
        while True:
            page = self.page(settings, cursor, page_size)
            items += page.items
            read += page.statistics.items_read
            requests += page.statistics.requests
            cursor = page.next_token
            if cursor is None:
                return page.model_copy(
                    update={"items": items, "statistics": Statistics(items_read=read, requests=requests)}
                )
