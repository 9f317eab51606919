"""Backorders: the orders waiting for a SKU are confirmed, oldest first, while its stock lasts.
The glue between ``shared.domain.backorders`` and the stores."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, Protocol

from shared.dal.inventory import Waiting
from shared.dal.orders import Cancelled
from shared.domain.backorders import OrderMovedOn, StillShort, decide_confirmation, interpret_confirmation
from shared.domain.orders import OrderPlan
from shared.models.orders import Order
from shared.retry import MAX_ATTEMPTS, pause

WAITING_PAGE = 50
MAX_WALK = 1000


class WaitingLines(Protocol):
    """What filling backorders needs of the inventory store: the SKUs' waiting lines."""

    def waiting(
        self, sku: str, limit: int, *, after: str | None = None
    ) -> tuple[list[Waiting], str | None]: ...

    def stop_waiting(self, sku: str, created_key: str, now: int) -> None: ...


class ConfirmingOrders(Protocol):
    """What filling backorders needs of the order store: read an order, commit its confirmation."""

    def get(self, order_id: str, *, consistent: bool = False) -> Order | None: ...

    def commit(self, plan: OrderPlan, *, now: datetime, token: bool) -> Cancelled | None: ...


class WalkTooLong(RuntimeError):
    """The line is longer than one invocation should walk: the change is delivered again."""


@dataclass(frozen=True)
class FillReport:
    confirmed: list[str]  # order ids, in the order they were confirmed
    skipped: list[str]  # waiting for other SKUs that are still short
    stale: int  # waiting entries of orders that no longer wait (dropped)


class BackorderFiller:
    """Confirms the orders waiting for a SKU, oldest first, while its stock lasts."""

    def __init__(
        self,
        inventory: WaitingLines,
        orders: ConfirmingOrders,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._inventory = inventory
        self._orders = orders
        self._clock = clock
        self._sleep = sleep

    def fill(self, sku: str, *, max_orders: int = MAX_WALK) -> FillReport:
        """Strictly first come, first served for ``sku``: the walk stops at the first order this SKU
        cannot fill, so a younger order never takes units an older one is waiting for. An order held
        up only by another SKU is passed over (its turn comes when that SKU arrives), and the walk
        goes on down the line, page by page, until it ends."""
        report = FillReport([], [], 0)
        after: str | None = None
        seen = 0
        while True:
            line, after = self._inventory.waiting(sku, WAITING_PAGE, after=after)
            for waiting in line:
                seen += 1
                outcome = self._confirm(waiting)
                if isinstance(outcome, StillShort):
                    if sku in outcome.skus:
                        return report
                    report.skipped.append(waiting.order_id)
                elif outcome == "confirmed":
                    report.confirmed.append(waiting.order_id)
                else:
                    report = FillReport(report.confirmed, report.skipped, report.stale + 1)
                if seen >= max_orders:
                    # Not an endless walk in one invocation: raise, and the stream delivers this change
                    # again; the orders confirmed so far are done and are not confirmed twice.
                    raise WalkTooLong(f"more than {max_orders} orders wait for one SKU")
            if after is None:
                return report

    def _confirm(self, waiting: Waiting) -> Literal["confirmed", "stale"] | StillShort:
        for attempt in range(MAX_ATTEMPTS):
            order = self._orders.get(waiting.order_id, consistent=True)
            plan = decide_confirmation(order, now=self._clock(), arrived=waiting.sku) if order else None
            if order is None or plan is None:
                self._inventory.stop_waiting(waiting.sku, waiting.created_key, int(self._clock().timestamp()))
                return "stale"
            cancelled = self._orders.commit(plan, now=self._clock(), token=False)
            if cancelled is None:
                self._release(order, waiting.created_key)
                return "confirmed"
            outcome = interpret_confirmation(cancelled.failures)
            if isinstance(outcome, StillShort):
                return outcome
            if not isinstance(outcome, OrderMovedOn):
                pause(attempt, self._sleep)
        raise RuntimeError("a backordered order kept changing while being confirmed")

    def _release(self, order: Order, created_key: str) -> None:
        """The confirmed order leaves every line it waited in. A leftover (a crash in between) is
        dropped by the next walk, which finds the order no longer waiting."""
        for sku in sorted({line.sku for line in order.lines}):
            self._inventory.stop_waiting(sku, created_key, int(self._clock().timestamp()))
