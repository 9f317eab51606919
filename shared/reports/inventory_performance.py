"""Inventory performance arithmetic. Pure: no boto3, no clock. The README's "Inventory performance" says
the same with a worked example.

Inputs per SKU: units sold per business day (net of cancellations and returns, as the daily sales
counters count them: ``shared.reports.sales.net_units_by_sku``), the days it was out of stock, the units
shipped per day and location, and its stock now. Over a period of ``days`` business days ending on
``as_of``:

* **units sold per day** over 7, 30 and 90 days ending on ``as_of``: units ÷ days (2 decimals);
* **days of cover** = available now ÷ the 30-day daily rate (1 decimal; a negative available counts as 0;
  null when nothing sold in 30 days);
* **sell-through** over the period = units sold ÷ (units sold + on hand now) (4 decimals; null when both
  are 0; units sold below 0, more returned than sold, count as 0);
* **days out of stock** in the period: days on which available reached 0 or less (or stayed there);
* **dead stock**: on hand > 0 and nothing sold in the ``dead_stock_days`` days ending on ``as_of``;
* **slow mover**: on hand > 0, not dead, and its 90-day rate under ``slow_mover_rate`` units a day;
* **reorder suggestion** (``reorder``): with the 90 daily demands d1..d90 ending on ``as_of`` (zero days
  included), rate = sum(d) ÷ 90, sigma = their population standard deviation, z =
  NormalDist().inv_cdf(service level) to 3 decimals, L the lead time in days:

      lead-time demand = rate x L                      (2 decimals)
      safety stock     = z x sigma x sqrt(L)            (2 decimals)
      reorder point    = lead-time demand + safety stock
      reorder          = rate > 0 and available ≤ reorder point
      suggested        = max(0, ceil(target cover x rate + safety stock - available)) when reorder, else 0
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from shared.models.inventory_analytics import (
    DEFAULT_LEAD_TIME_DAYS,
    DEFAULT_SERVICE_LEVEL,
    DayFigures,
    LocationFigures,
    Reorder,
    SkuPerformance,
    UnitsSold,
)
from shared.reports.days import business_day

if TYPE_CHECKING:
    from shared.models.inventory import Movement
    from shared.models.orders import Order

WINDOWS = (7, 30, 90)  # the units-sold windows, in days ending on as_of
DEMAND_DAYS = 90  # the daily demands the rate and sigma of a reorder suggestion are taken over
COVER_DAYS = 30  # days of cover divide by the rate over this many days
DEFAULT_DAYS = 30  # the period (days out of stock, sell-through, the daily figures)
MAX_DAYS = 365
DEFAULT_TARGET_COVER_DAYS = 30
DEFAULT_DEAD_STOCK_DAYS = 90
DEFAULT_SLOW_MOVER_RATE = Decimal("0.2")  # units a day over 90 days: about 6 a month

_TWO = Decimal("0.01")
_ONE = Decimal("0.1")
_THREE = Decimal("0.001")
_FOUR = Decimal("0.0001")


def _round(value: Decimal, places: Decimal) -> Decimal:
    return value.quantize(places, rounding=ROUND_HALF_UP)


class FutureDay(ValueError):
    """as_of after today: no figures yet."""


@dataclass(frozen=True)
class Settings:
    """What a request (or a report) asks for."""

    as_of: dt.date
    days: int = DEFAULT_DAYS
    target_cover_days: int = DEFAULT_TARGET_COVER_DAYS
    dead_stock_days: int = DEFAULT_DEAD_STOCK_DAYS
    slow_mover_rate: Decimal = DEFAULT_SLOW_MOVER_RATE
    location: str | None = None

    @property
    def period(self) -> list[str]:
        """The period's business days, oldest first."""
        return days_ending(self.as_of, self.days)

    @property
    def read_days(self) -> list[str]:
        """Every day any figure needs: the longest of the period, the 90 days and the dead-stock days."""
        return days_ending(self.as_of, max(self.days, DEMAND_DAYS, self.dead_stock_days))


def days_ending(last: dt.date, count: int) -> list[str]:
    """``count`` ISO days ending on ``last``, oldest first."""
    return [(last - dt.timedelta(days=n)).isoformat() for n in range(count - 1, -1, -1)]


@dataclass
class SkuHistory:
    """What the aggregates hold of one SKU: per business day."""

    sold: dict[str, int] = field(default_factory=dict)
    out_of_stock: set[str] = field(default_factory=set)
    shipped: dict[str, dict[str, int]] = field(default_factory=dict)  # day -> location -> units


@dataclass(frozen=True)
class StockNow:
    """The product now (its catalog item)."""

    name: str | None
    on_hand: int
    reserved: int
    available: int
    locations: Mapping[str, int]  # on hand per location
    lead_time_days: int = DEFAULT_LEAD_TIME_DAYS
    service_level: Decimal = DEFAULT_SERVICE_LEVEL


def z_score(service_level: Decimal) -> Decimal:
    """The standard normal quantile of the service level, to 3 decimals (0.95 -> 1.645)."""
    return _round(Decimal(repr(statistics.NormalDist().inv_cdf(float(service_level)))), _THREE)


def reorder(
    demand: Sequence[int],
    available: int,
    *,
    lead_time_days: int = DEFAULT_LEAD_TIME_DAYS,
    service_level: Decimal = DEFAULT_SERVICE_LEVEL,
    target_cover_days: int = DEFAULT_TARGET_COVER_DAYS,
) -> Reorder:
    """The reorder suggestion from the daily demands (zero days included; the module's formulas)."""
    units = [Decimal(d) for d in demand]
    rate = sum(units, Decimal(0)) / len(units) if units else Decimal(0)
    sigma = statistics.pstdev(units) if len(units) > 1 else Decimal(0)
    z = z_score(service_level)
    lead = Decimal(lead_time_days)
    lead_time_demand = _round(rate * lead, _TWO)
    safety = _round(z * sigma * lead.sqrt(), _TWO)
    point = lead_time_demand + safety
    due = rate > 0 and available <= point
    quantity = max(0, math.ceil(Decimal(target_cover_days) * rate + safety - available)) if due else 0
    return Reorder(
        lead_time_days=lead_time_days,
        service_level=service_level,
        z=z,
        daily_rate=_round(rate, _TWO),
        demand_std_dev=_round(sigma, _TWO),
        lead_time_demand=lead_time_demand,
        safety_stock=safety,
        reorder_point=point,
        reorder=due,
        suggested_quantity=quantity,
    )


def days_of_cover(available: int, sold_30_days: int) -> Decimal | None:
    """Available now ÷ the 30-day daily rate, 1 decimal; None when nothing sold (no rate to divide by)."""
    if sold_30_days <= 0:
        return None
    return _round(Decimal(max(available, 0)) * COVER_DAYS / sold_30_days, _ONE)


def sell_through(sold: int, on_hand: int) -> Decimal | None:
    """Sold ÷ (sold + on hand at the end), 4 decimals; None when there was nothing to sell."""
    sold, on_hand = max(sold, 0), max(on_hand, 0)
    if sold + on_hand == 0:
        return None
    return _round(Decimal(sold) / (sold + on_hand), _FOUR)


def performance(sku: str, history: SkuHistory, now: StockNow, settings: Settings) -> SkuPerformance:
    """Every figure of one SKU (its locations limited to ``settings.location`` when one is asked for)."""
    period = settings.period

    def sold_over(days: int) -> int:
        return sum(history.sold.get(day, 0) for day in days_ending(settings.as_of, days))

    sold = [
        UnitsSold(days=n, units=units, per_day=_round(Decimal(units) / n, _TWO))
        for n in WINDOWS
        for units in (sold_over(n),)
    ]
    demand = [history.sold.get(day, 0) for day in days_ending(settings.as_of, DEMAND_DAYS)]
    suggestion = reorder(
        demand,
        now.available,
        lead_time_days=now.lead_time_days,
        service_level=now.service_level,
        target_cover_days=settings.target_cover_days,
    )
    selling_days = [day for day in settings.read_days if history.sold.get(day, 0) > 0]
    dead_window = set(days_ending(settings.as_of, settings.dead_stock_days))
    dead = now.on_hand > 0 and not any(day in dead_window for day in selling_days)
    rate_90 = Decimal(sold_over(DEMAND_DAYS)) / DEMAND_DAYS
    wanted = settings.location
    shipped_total: dict[str, int] = {}
    for day in period:
        for location, units in history.shipped.get(day, {}).items():
            shipped_total[location] = shipped_total.get(location, 0) + units
    names = sorted(set(now.locations) | set(shipped_total))
    locations = [
        LocationFigures(location=name, on_hand=now.locations.get(name, 0), shipped=shipped_total.get(name, 0))
        for name in names
        if wanted is None or name == wanted
    ]
    daily = [
        DayFigures(
            day=day,
            sold=history.sold.get(day, 0),
            out_of_stock=day in history.out_of_stock,
            shipped={
                location: units
                for location, units in sorted(history.shipped.get(day, {}).items())
                if wanted is None or location == wanted
            },
        )
        for day in period
    ]
    return SkuPerformance(
        sku=sku,
        name=now.name,
        on_hand=now.on_hand,
        reserved=now.reserved,
        available=now.available,
        sold=sold,
        days_of_cover=days_of_cover(now.available, sold_over(COVER_DAYS)),
        sell_through=sell_through(sum(history.sold.get(day, 0) for day in period), now.on_hand),
        days_out_of_stock=sum(1 for day in period if day in history.out_of_stock),
        out_of_stock_now=now.available <= 0,
        slow_mover=now.on_hand > 0 and not dead and rate_90 < settings.slow_mover_rate,
        dead_stock=dead,
        last_sold=selling_days[-1] if selling_days else None,
        reorder=suggestion,
        locations=locations,
        daily=daily,
    )


# --- recounts: the aggregates from the orders and the ledger themselves ------------------------------------


def sold_recount(orders: Iterable[Order], tz: ZoneInfo) -> dict[str, dict[str, int]]:
    """Units sold per SKU and business day from the orders alone (what the rolled-up ``sold_{dd}`` must
    equal): the daily counters' recount (``shared.reports.sales.recount``), net of cancellations and
    returns. Days that net to 0 are left out."""
    from shared.reports.sales import CounterRow, net_units_by_sku, recount

    by_day: dict[str, list[CounterRow]] = {}
    for (day, what), fields in recount(orders, tz).items():
        by_day.setdefault(day, []).append(CounterRow(what, fields))
    sold: dict[str, dict[str, int]] = {}
    for day, rows in sorted(by_day.items()):
        for sku, units in net_units_by_sku(rows).items():
            if units:
                sold.setdefault(sku, {})[day] = units
    return sold


def shipped_recount(movements: Iterable[Movement], tz: ZoneInfo) -> dict[str, dict[str, dict[str, int]]]:
    """Units shipped per SKU, business day and location from the stock ledger (what ``shipped_{dd}@{loc}``
    must equal): its shipment movements, on the day of their ``as_of``."""
    shipped: dict[str, dict[str, dict[str, int]]] = {}
    for movement in movements:
        if movement.kind != "shipment" or movement.change >= 0:
            continue
        day = business_day(movement.as_of, tz)
        at_day = shipped.setdefault(movement.sku, {}).setdefault(day, {})
        at_day[movement.location] = at_day.get(movement.location, 0) - movement.change
    return shipped
