"""Inventory use cases: apply stock updates (warehouse feed and staff), confirm backorders, and turn
product changes into low-stock events. The glue between the pure domain and the stores."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from shared.dal.inventory import InventoryStore, Waiting, stock_image
from shared.domain.backorders import Changed, StillShort, decide_confirmation, interpret_confirmation
from shared.domain.inventory import (
    Insufficient,
    KeyReused,
    LocationLevel,
    NeedLevel,
    NeedMovementsAfter,
    PlanAgain,
    StockChange,
    StockPlan,
    UnknownProduct,
    interpret_stock_failures,
    low_stock_decision,
    plan_stock,
    stamp,
)
from shared.domain.orders import iso
from shared.models.events import STOCK_LOW
from shared.models.inventory import Stock
from shared.observability import logger
from shared.retry import MAX_ATTEMPTS, pause

if TYPE_CHECKING:  # types only: the stock feed, which fills no backorder, never loads the order store
    from shared.dal.events import EventPublisher
    from shared.dal.orders import OrderStore
    from shared.models.orders import Order

CLAIM_TTL_SECONDS = 35 * 24 * 3600  # longer than any queue keeps a message (SQS: 14 days at most)

Group = tuple[str, str]  # (sku, location)


# --- stock updates -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Applied:
    plan: StockPlan  # what was applied and what was ignored, with reasons


@dataclass(frozen=True)
class Refused:
    """Can never apply as sent (an unknown SKU)."""

    reason: str


@dataclass(frozen=True)
class Failed:
    """Transient (contention, throttling): try again later."""

    error: str


@dataclass(frozen=True)
class NotStarted:
    """Handed back before it started: too little time left."""


# Insufficient (a staff adjustment below zero) and KeyReused (a staff Idempotency-Key that named
# another change) are the domain's own outcomes, passed on as they are.
GroupResult = Applied | Refused | Insufficient | KeyReused | Failed | NotStarted


class LevelCache:
    """Location levels as this execution environment last wrote or read them.

    Only a guess: a count is conditioned on the level it assumed, so a stale entry costs one
    retry (the cancelled write returns the item as it is), never a wrong total.
    """

    def __init__(self, max_entries: int = 10_000) -> None:
        self._levels: dict[Group, LocationLevel] = {}
        self._max = max_entries

    def get(self, group: Group) -> LocationLevel | None:
        return self._levels.get(group)

    def put(self, group: Group, level: LocationLevel | None) -> None:
        if level is None:
            self._levels.pop(group, None)
            return
        if len(self._levels) >= self._max:
            self._levels.clear()
        self._levels[group] = level


def _fingerprint(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, separators=(",", ":")).encode()).hexdigest()[:32]


def group_changes(changes: Sequence[StockChange]) -> dict[Group, list[StockChange]]:
    groups: dict[Group, list[StockChange]] = {}
    for change in changes:
        groups.setdefault((change.sku, change.location), []).append(change)
    return groups


class StockService:
    def __init__(
        self,
        store: InventoryStore,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Callable[[float], None] = time.sleep,
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
        cache: LevelCache | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._sleep = sleep
        self._new_id = new_id
        self._cache = cache or LevelCache()

    def apply_batch(
        self, changes: Sequence[StockChange], *, keep_going: Callable[[], bool] = lambda: True
    ) -> dict[Group, GroupResult]:
        """Apply a batch: one plan (one transaction) per SKU and location.

        Levels a count needs and this environment does not know are read first, all in one
        BatchGetItem. One group's failure never affects another's.
        """
        groups = group_changes(changes)
        unknown = [
            group
            for group, members in groups.items()
            if self._cache.get(group) is None and any(c.on_hand is not None for c in members)
        ]
        known: dict[Group, LocationLevel | None] = {group: self._cache.get(group) for group in groups}
        missing: set[Group] = set()
        if unknown:
            try:
                for group, product in self._store.levels(unknown).items():
                    if product.exists:
                        known[group] = product.level
                    else:
                        missing.add(group)
            except Exception as exc:
                logger.warning("could not read stock levels for a batch", error=type(exc).__name__)
        results: dict[Group, GroupResult] = {}
        for group, members in groups.items():
            if not keep_going():
                results[group] = NotStarted()
            elif group in missing:
                results[group] = Refused(f"unknown SKU {group[0]!r}")
            else:
                results[group] = self._apply_safely(members, known[group])
        return results

    def _apply_safely(self, changes: Sequence[StockChange], level: LocationLevel | None) -> GroupResult:
        """One group's failure (throttling after the SDK's retries, say) is that group's alone."""
        try:
            return self._apply(changes, level)
        except Exception as exc:
            logger.warning(
                "stock updates failed",
                sku=changes[0].sku,
                location=changes[0].location,
                error=type(exc).__name__,
            )
            return Failed(type(exc).__name__)

    def count(
        self, sku: str, on_hand: int, *, location: str, actor: str, update_id: str | None
    ) -> GroupResult:
        """A staff count of one location, as of now."""
        change = StockChange(
            sku=sku,
            location=location,
            kind="count",
            as_of=stamp(self._clock()),
            update_id=update_id or self._new_id(),
            source="staff",
            on_hand=on_hand,
            actor=actor,
            fingerprint=_fingerprint("count", location, on_hand) if update_id else None,
        )
        return self.apply_batch([change])[(sku, location)]

    def adjust(
        self, sku: str, delta: int, *, reason: str, location: str, actor: str, update_id: str | None
    ) -> GroupResult:
        """A staff adjustment (damaged, found, returned to stock...), as of now."""
        change = StockChange(
            sku=sku,
            location=location,
            kind="adjustment",
            as_of=stamp(self._clock()),
            update_id=update_id or self._new_id(),
            source="staff",
            delta=delta,
            reason=reason,
            actor=actor,
            fingerprint=_fingerprint("adjustment", location, delta, reason) if update_id else None,
        )
        return self.apply_batch([change])[(sku, location)]

    def stock(self, sku: str) -> Stock | None:
        return self._store.stock(sku)

    def _apply(self, changes: Sequence[StockChange], level: LocationLevel | None) -> GroupResult:
        group = (changes[0].sku, changes[0].location)
        applied_ids: frozenset[str] = frozenset()
        movements_after: tuple[str, int] | None = None
        for attempt in range(MAX_ATTEMPTS):
            plan = plan_stock(
                changes,
                level=level,
                applied_ids=applied_ids,
                movements_after=movements_after,
                now=self._clock(),
                claim_ttl_seconds=CLAIM_TTL_SECONDS,
            )
            if isinstance(plan, NeedLevel):
                product = self._store.levels([group])[group]
                if not product.exists:
                    return Refused(f"unknown SKU {group[0]!r}")
                level = product.level
                continue
            if isinstance(plan, NeedMovementsAfter):
                # Read, then written on condition that no movement was applied meanwhile.
                movements_after = (plan.as_of, self._store.movements_after(*group, plan.as_of))
                continue
            if not plan.writes:
                return Applied(plan)
            cancelled = self._store.commit(plan)
            if cancelled is None:
                self._cache.put(group, plan.level_after)
                return Applied(plan)
            if not cancelled.failures:  # contention only: back off and try the same plan again
                pause(attempt, self._sleep)
                continue
            outcome = interpret_stock_failures(cancelled.failures)
            if isinstance(outcome, UnknownProduct):
                self._cache.put(group, None)
                return Refused(f"unknown SKU {group[0]!r}")
            if not isinstance(outcome, PlanAgain):
                return outcome
            if outcome.level is not None:
                level = outcome.level
                self._cache.put(group, level)
            applied_ids |= outcome.applied_ids
        return Failed("the stock item kept changing; try again")


# --- backorders ----------------------------------------------------------------------------------

WAITING_PAGE = 50
MAX_WALK = 1000


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
        inventory: InventoryStore,
        orders: OrderStore,
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
                if outcome == "confirmed":
                    report.confirmed.append(waiting.order_id)
                elif outcome == "stale":
                    report = FillReport(report.confirmed, report.skipped, report.stale + 1)
                elif isinstance(outcome, StillShort) and sku in outcome.skus:
                    return report
                else:
                    report.skipped.append(waiting.order_id)
                if seen >= max_orders:
                    # Not an endless walk in one invocation: raise, and the stream delivers this change
                    # again; the orders confirmed so far are done and are not confirmed twice.
                    raise WalkTooLong(f"more than {max_orders} orders wait for one SKU")
            if after is None:
                return report

    def _confirm(self, waiting: Waiting) -> str | StillShort:
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
            if not isinstance(outcome, Changed):
                pause(attempt, self._sleep)
        raise RuntimeError("a backordered order kept changing while being confirmed")

    def _release(self, order: Order, created_key: str) -> None:
        """The confirmed order leaves every line it waited in. A leftover (a crash in between) is
        dropped by the next walk, which finds the order no longer waiting."""
        for sku in sorted({line.sku for line in order.lines}):
            self._inventory.stop_waiting(sku, created_key, int(self._clock().timestamp()))


# --- product changes (the catalog stream) -----------------------------------------------------------


@dataclass(frozen=True)
class ChangeReport:
    published: bool
    flag: str | None
    backorders: FillReport | None


class InventoryEvents:
    """What a change of a product item means: a StockLow event, the low-stock flag, backorders."""

    def __init__(
        self,
        inventory: InventoryStore,
        backorders: BackorderFiller,
        publisher: EventPublisher,
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
                    "occurred_at": iso(self._clock()),
                    "change_id": change_id,
                },
            )
        if decision.flag == "set":
            self._inventory.flag_low(sku, iso(self._clock()))
        elif decision.flag == "clear":
            self._inventory.clear_low(sku)
        filled = None
        if after.available > 0 and (before is None or after.available > before.available):
            filled = self._backorders.fill(sku)
        return ChangeReport(decision.publish, decision.flag, filled)

    def started_waiting(self, sku: str) -> FillReport:
        """A backordered order joined the line: stock may have arrived while it was being recorded."""
        return self._backorders.fill(sku)
