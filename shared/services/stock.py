"""Stock updates: warehouse feed batches and staff counts and adjustments, applied as plans of
``shared.domain.inventory``. The glue between the pure domain and the inventory store."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from shared.dal.inventory import StockCancelled
from shared.domain.inventory import (
    Insufficient,
    LocationLevel,
    NeedLevel,
    NeedMovementsAfter,
    PlanAgain,
    ProductLevels,
    StockChange,
    StockPlan,
    UnknownProduct,
    UpdateIdReused,
    interpret_stock_failures,
    plan_stock,
)
from shared.domain.moments import utc_text
from shared.models.inventory import Stock
from shared.observability import logger
from shared.retry import MAX_ATTEMPTS, pause

CLAIM_TTL_SECONDS = 35 * 24 * 3600  # longer than any queue keeps a message (SQS: 14 days at most)

Group = tuple[str, str]  # (sku, location)


class StockStore(Protocol):
    """What applying stock updates needs of the inventory store (``shared.dal.inventory``)."""

    def levels(self, wanted: Iterable[Group]) -> dict[Group, ProductLevels]: ...

    def commit(self, plan: StockPlan) -> StockCancelled | None: ...

    def movements_after(self, sku: str, location: str, as_of: str) -> int: ...

    def stock(self, sku: str) -> Stock | None: ...


# --- outcomes ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Applied:
    plan: StockPlan  # what was applied and what was ignored, with reasons


@dataclass(frozen=True)
class Refused:
    """Can never apply as sent (an unknown SKU, say)."""

    reason: str


@dataclass(frozen=True)
class Failed:
    """Transient (contention, throttling): try again later."""

    error: str


@dataclass(frozen=True)
class NotStarted:
    """Handed back before it started: too little time left."""


# What one SKU and location of a feed batch came to.
BatchResult = Applied | Refused | Failed | NotStarted


@dataclass(frozen=True)
class GroupOutcome:
    """One SKU and location of a batch: its changes (in arrival order) and what became of them all."""

    sku: str
    location: str
    changes: tuple[StockChange, ...]
    result: BatchResult


@dataclass(frozen=True)
class Recorded:
    """A staff change was applied: the stock as it is now."""

    plan: StockPlan
    stock: Stock


@dataclass(frozen=True)
class Replayed:
    """A staff change whose update id (Idempotency-Key) was already applied: nothing new was written."""

    stock: Stock


@dataclass(frozen=True)
class Stale:
    """A staff change not applied: a newer count or movement was already recorded at the location."""

    reasons: tuple[str, ...]


# Insufficient (an adjustment below zero) and UpdateIdReused (an Idempotency-Key that named another
# change) are the domain's own outcomes, passed on as they are.
StaffResult = Recorded | Replayed | Stale | Refused | Insufficient | UpdateIdReused | Failed

# What one plan came to (the domain's refusals still apart: a batch and staff say them differently).
_Attempt = Applied | Refused | Insufficient | UpdateIdReused | Failed


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


def _unknown(sku: str) -> Refused:
    return Refused(f"unknown SKU {sku!r}")


def _group(changes: Sequence[StockChange]) -> dict[Group, list[StockChange]]:
    groups: dict[Group, list[StockChange]] = {}
    for change in changes:
        groups.setdefault((change.sku, change.location), []).append(change)
    return groups


class StockService:
    def __init__(
        self,
        store: StockStore,
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
    ) -> list[GroupOutcome]:
        """Apply a batch: one plan (one transaction) per SKU and location, each group's outcome with
        the changes it covers.

        Levels a count needs and this environment does not know are read first, all in one
        BatchGetItem. One group's failure never affects another's.
        """
        groups = _group(changes)
        known, missing = self._known_levels(groups)
        outcomes: list[GroupOutcome] = []
        for (sku, location), members in groups.items():
            result: BatchResult
            if not keep_going():
                result = NotStarted()
            elif (sku, location) in missing:
                result = _unknown(sku)
            else:
                result = _as_batch(self._apply_safely(members, known[(sku, location)]))
            outcomes.append(GroupOutcome(sku, location, tuple(members), result))
        return outcomes

    def count(
        self, sku: str, on_hand: int, *, location: str, actor: str, update_id: str | None
    ) -> StaffResult:
        """A staff count of one location, as of now."""
        change = StockChange(
            sku=sku,
            location=location,
            kind="count",
            as_of=utc_text(self._clock()),
            update_id=update_id or self._new_id(),
            source="staff",
            on_hand=on_hand,
            actor=actor,
            fingerprint=_fingerprint("count", location, on_hand) if update_id else None,
        )
        return self._apply_staff(change)

    def adjust(
        self, sku: str, delta: int, *, reason: str, location: str, actor: str, update_id: str | None
    ) -> StaffResult:
        """A staff adjustment (damaged, found, returned to stock...), as of now."""
        change = StockChange(
            sku=sku,
            location=location,
            kind="adjustment",
            as_of=utc_text(self._clock()),
            update_id=update_id or self._new_id(),
            source="staff",
            delta=delta,
            reason=reason,
            actor=actor,
            fingerprint=_fingerprint("adjustment", location, delta, reason) if update_id else None,
        )
        return self._apply_staff(change)

    def stock(self, sku: str) -> Stock | None:
        return self._store.stock(sku)

    def _apply_staff(self, change: StockChange) -> StaffResult:
        group = (change.sku, change.location)
        known, missing = self._known_levels({group: [change]})
        if group in missing:
            return _unknown(change.sku)
        result = self._apply_safely([change], known[group])
        if not isinstance(result, Applied):
            return result
        stock = self._store.stock(change.sku)
        if stock is None:
            return _unknown(change.sku)
        if result.plan.applied:
            return Recorded(result.plan, stock)
        if any(skipped.replay for skipped in result.plan.skipped):
            return Replayed(stock)
        return Stale(tuple(skipped.reason for skipped in result.plan.skipped))

    def _known_levels(
        self, groups: dict[Group, list[StockChange]]
    ) -> tuple[dict[Group, LocationLevel | None], set[Group]]:
        """The level of each group as far as known (the cache, then one read for the counts that
        need one), and the groups whose SKU does not exist."""
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
        return known, missing

    def _apply_safely(self, changes: Sequence[StockChange], level: LocationLevel | None) -> _Attempt:
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

    def _apply(self, changes: Sequence[StockChange], level: LocationLevel | None) -> _Attempt:
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
                    return _unknown(group[0])
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
                return _unknown(group[0])
            if not isinstance(outcome, PlanAgain):
                return outcome
            if outcome.level is not None:
                level = outcome.level
                self._cache.put(group, level)
            applied_ids |= outcome.applied_ids
        return Failed("the stock item kept changing; try again")


def _as_batch(result: _Attempt) -> BatchResult:
    """A batch has no one to answer a refusal: a change that can never apply as sent is refused
    with its reason (a warehouse message carries neither an adjustment nor an Idempotency-Key, so
    these two arise only from staff changes handed to a batch)."""
    if isinstance(result, Insufficient):
        return Refused("it would take available stock below zero")
    if isinstance(result, UpdateIdReused):
        return Refused("its update_id was already used for another change")
    return result
