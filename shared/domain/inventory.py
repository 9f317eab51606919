"""Stock decisions. Pure: no boto3, no clock (times are passed in).

Stock lives on the product item: the SKU's totals (``on_hand``, ``reserved``, ``available``) and,
per location, its on-hand level and the time of the last count applied there. Orders reserve
against the totals; counts and movements change a location's level and the totals together.

``plan_stock`` turns the updates of one SKU and location (a whole SQS batch's worth, or one staff
request) into one plan: a single conditional update of the product item, the ledger entries and a
claim per update id, committed in one transaction. The rules a warehouse expects:

* a count sets the level at ``as_of``; a count not newer than the last applied count is ignored;
* a movement at or before the last applied count is already in that count, so it is ignored;
* a count that arrives after movements dated later than it keeps them: the level becomes the count
  plus those movements (SQS does not keep order, so a count may overtake the picks after it);
* an update id is applied once, however often it is delivered;
* a count never touches ``reserved``: open orders keep their reservations, ``available`` may go
  negative when a count finds fewer units than are promised (staff see the shortfall);
* a staff adjustment may not take ``available`` (or the location's level) below zero.

When the store's state differs from what a plan assumed, the transaction is cancelled and
``interpret_stock_failures`` says what to plan again with.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from shared.domain.moments import utc_text
from shared.models.inventory import DEFAULT_LOCATION, LocationStock, Movement, MovementKind, Stock


@dataclass(frozen=True)
class StockChange:
    """One count (``on_hand``) or movement (``delta``) of one SKU at one location."""

    sku: str
    location: str
    kind: MovementKind
    as_of: str  # utc_text(): sortable UTC
    update_id: str
    source: str
    on_hand: int | None = None
    delta: int | None = None
    reason: str | None = None
    actor: str | None = None
    ref: str = ""  # the caller's handle for it (an SQS message id); never stored
    fingerprint: str | None = None  # staff changes: the request, to tell a retry from a reused key


@dataclass(frozen=True)
class LocationLevel:
    """One location as the product item records it."""

    on_hand: int | None = None  # None: nothing was ever recorded there
    counted_at: str | None = None
    moved_at: str | None = None  # as_of of the newest movement applied there


@dataclass(frozen=True)
class ProductLevels:
    """The product item as it was when a condition failed (the store's read of ALL_OLD)."""

    exists: bool
    on_hand: int = 0
    reserved: int = 0
    available: int = 0
    level: LocationLevel = field(default_factory=LocationLevel)


# --- the plan ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MoveStock:
    """The one update of the product item: totals and the location's level move together.

    Conditions: the product exists; the location's last count is older than ``after``; a count's
    level was ``expect_level`` when it was computed; the newest movement applied there is
    ``expect_moved`` (when ``moved_known``), or not newer than ``moved_at`` (when not); with
    ``keep_available`` neither available nor the level may fall below zero.
    """

    sku: str
    location: str
    change: int  # of the SKU's on_hand and available
    at: str
    after: str
    set_level: int | None = None  # counts: the location's new level (else the level moves by change)
    expect_level: int | None = None
    counted_at: str | None = None  # counts: the new last-count time
    moved_at: str | None = None  # the newest movement time to record (None: unchanged)
    expect_moved: str | None = None
    moved_known: bool = False
    keep_available: bool = False
    unreserve: int = 0  # shipments: reserved units that leave with the change (reserved drops too)


@dataclass(frozen=True)
class RecordMovement:
    movement: Movement


@dataclass(frozen=True)
class ClaimUpdate:
    """Marks an update id applied, so a redelivery of it is ignored (only if not claimed yet)."""

    sku: str
    location: str
    update_id: str
    expires_at: int
    fingerprint: str | None = None


StockWrite = MoveStock | RecordMovement | ClaimUpdate


@dataclass(frozen=True)
class Skipped:
    change: StockChange
    reason: str  # safe to log: times and ids, no sender text
    replay: bool = False  # its update id was already applied: a redelivery, not a stale change


@dataclass(frozen=True)
class StockPlan:
    sku: str
    location: str
    applied: tuple[StockChange, ...]
    skipped: tuple[Skipped, ...]
    writes: tuple[StockWrite, ...]  # empty: nothing to write (all skipped)
    level_after: LocationLevel | None  # None when the plan did not know the level


@dataclass(frozen=True)
class NeedLevel:
    """A count changes the totals by (count - current level): read the level, then plan again."""


@dataclass(frozen=True)
class NeedMovementsAfter:
    """A count is older than movements already applied: add up the ones after ``as_of`` (the ledger
    has them), then plan again with ``movements_after=(as_of, total)``."""

    as_of: str


def plan_stock(
    changes: Sequence[StockChange],
    *,
    level: LocationLevel | None,
    applied_ids: Iterable[str] = (),
    movements_after: tuple[str, int] | None = None,
    now: datetime,
    claim_ttl_seconds: int,
) -> StockPlan | NeedLevel | NeedMovementsAfter:
    """The writes that apply ``changes`` (one SKU and location, in any order) given what is known
    of the location (``level``; None when unknown) and the update ids known to be applied."""
    if not changes:
        raise ValueError("no changes to plan")
    sku, location = changes[0].sku, changes[0].location
    if any((c.sku, c.location) != (sku, location) for c in changes):
        raise ValueError("a plan covers one SKU and location")
    fresh, skipped = _without_duplicates(changes, applied_ids)
    ordered = sorted(fresh, key=lambda c: c.as_of)  # stable: equal times keep arrival order
    last_count = level.counted_at if level else None
    count, stale = _newest_count(ordered, last_count)
    skipped += stale
    if count is not None and level is None:
        return NeedLevel()

    cutoff = count.as_of if count else last_count
    deltas: list[StockChange] = []
    for change in ordered:
        if change.delta is None:
            continue
        if cutoff is not None and change.as_of <= cutoff:
            skipped.append(Skipped(change, f"at or before the count of {cutoff}, which includes it"))
        else:
            deltas.append(change)
    applied = ([count] if count else []) + deltas
    if not applied:
        return StockPlan(sku, location, (), tuple(skipped), (), level)

    moved = sum(int(c.delta or 0) for c in deltas)
    newest_move = max((c.as_of for c in deltas), default=None)
    recorded_at = utc_text(now)
    movements: list[Movement] = []
    if count is not None:
        assert level is not None and count.on_hand is not None  # NeedLevel above
        kept = 0  # movements already applied that are newer than the count: it does not undo them
        if level.moved_at is not None and level.moved_at > count.as_of:
            if movements_after is None or movements_after[0] != count.as_of:
                return NeedMovementsAfter(count.as_of)
            kept = movements_after[1]
        before = level.on_hand or 0
        new_level = count.on_hand + kept + moved
        move = MoveStock(
            sku,
            location,
            change=new_level - before,
            at=recorded_at,
            after=count.as_of,
            set_level=new_level,
            expect_level=level.on_hand,
            counted_at=count.as_of,
            moved_at=_newest(level.moved_at, newest_move) if newest_move else None,
            expect_moved=level.moved_at,
            moved_known=True,
        )
        movements.append(_movement(count, count.on_hand + kept - before, recorded_at))
        level_after: LocationLevel | None = LocationLevel(
            new_level, count.as_of, _newest(level.moved_at, newest_move)
        )
    else:
        assert newest_move is not None  # something applies, and it is not a count
        move = MoveStock(
            sku,
            location,
            change=moved,
            at=recorded_at,
            after=deltas[0].as_of,
            moved_at=_newest(level.moved_at, newest_move) if level else newest_move,
            expect_moved=level.moved_at if level else None,
            moved_known=level is not None,
            keep_available=any(c.kind == "adjustment" and int(c.delta or 0) < 0 for c in deltas),
        )
        level_after = (
            LocationLevel(
                (level.on_hand or 0) + moved, level.counted_at, _newest(level.moved_at, newest_move)
            )
            if level
            else None
        )
    movements += [_movement(c, int(c.delta or 0), recorded_at) for c in deltas]
    expires_at = int(now.timestamp()) + claim_ttl_seconds
    writes: list[StockWrite] = [move]
    writes += [RecordMovement(m) for m in movements]
    writes += [ClaimUpdate(sku, location, c.update_id, expires_at, c.fingerprint) for c in applied]
    return StockPlan(sku, location, tuple(applied), tuple(skipped), tuple(writes), level_after)


def _newest(*times: str | None) -> str | None:
    return max((t for t in times if t is not None), default=None)


def _without_duplicates(
    changes: Sequence[StockChange], applied_ids: Iterable[str]
) -> tuple[list[StockChange], list[Skipped]]:
    done = set(applied_ids)
    fresh: list[StockChange] = []
    skipped: list[Skipped] = []
    for change in changes:
        if change.update_id in done:
            skipped.append(Skipped(change, "duplicate: this update_id was already applied", replay=True))
            continue
        done.add(change.update_id)
        fresh.append(change)
    return fresh, skipped


def _newest_count(
    ordered: Sequence[StockChange], last_count: str | None
) -> tuple[StockChange | None, list[Skipped]]:
    """The one count that sets the level, and the counts it makes irrelevant."""
    counts = [c for c in ordered if c.on_hand is not None]
    if not counts:
        return None, []
    latest = counts[-1]
    stale = [Skipped(c, f"superseded by a newer count ({latest.as_of})") for c in counts[:-1]]
    if last_count is not None and latest.as_of <= last_count:
        return None, [*stale, Skipped(latest, f"older than the last applied count ({last_count})")]
    return latest, stale


def _movement(change: StockChange, units: int, recorded_at: str) -> Movement:
    return Movement(
        sku=change.sku,
        location=change.location,
        kind=change.kind,
        change=units,
        on_hand=change.on_hand,
        as_of=change.as_of,
        recorded_at=recorded_at,
        source=change.source,
        update_id=change.update_id,
        reason=change.reason,
        actor=change.actor,
    )


# --- a cancelled plan ----------------------------------------------------------------------------


@dataclass(frozen=True)
class StockFailure:
    write: StockWrite
    product: ProductLevels | None = None  # for a failed MoveStock: the product item as it was
    claimed_fingerprint: str | None = None  # for a failed ClaimUpdate: the claim's own fingerprint


@dataclass(frozen=True)
class UnknownProduct:
    """No product with this SKU: the update can never apply as sent."""


@dataclass(frozen=True)
class Insufficient:
    """An adjustment would take available (or the location's level) below zero."""

    available: int
    location_on_hand: int


@dataclass(frozen=True)
class PlanAgain:
    """The store knew better: plan again with this level (None: the one the plan had) and these
    applied ids."""

    level: LocationLevel | None
    applied_ids: frozenset[str]


@dataclass(frozen=True)
class UpdateIdReused:
    """A staff change reused an update id (its Idempotency-Key) that named another change."""


StockOutcome = UnknownProduct | Insufficient | PlanAgain | UpdateIdReused


def interpret_stock_failures(failures: Sequence[StockFailure]) -> StockOutcome:
    for failure in failures:
        write = failure.write
        if (
            isinstance(write, ClaimUpdate)
            and write.fingerprint is not None
            and failure.claimed_fingerprint != write.fingerprint
        ):
            return UpdateIdReused()
    claimed = frozenset(f.write.update_id for f in failures if isinstance(f.write, ClaimUpdate))
    moves = [f for f in failures if isinstance(f.write, MoveStock)]
    if not moves:
        return PlanAgain(None, claimed)
    failure = moves[0]
    product = failure.product
    if product is None or not product.exists:
        return UnknownProduct()
    move = failure.write
    assert isinstance(move, MoveStock)
    level_on_hand = product.level.on_hand or 0
    if (
        move.keep_available
        and not claimed
        and (product.available + move.change < 0 or level_on_hand + move.change < 0)
    ):
        return Insufficient(available=product.available, location_on_hand=level_on_hand)
    return PlanAgain(product.level, claimed)


# --- reading stock -------------------------------------------------------------------------------


def allocate(reserved: int, levels: Mapping[str, LocationLevel]) -> dict[str, int]:
    """Which location's units the open reservations are counted against.

    Orders reserve the SKU's total (any location can ship them); this is the split the stock view
    shows: the default location first, then the others by name, each up to its on-hand units. What
    no location holds stays on the first one, whose available then shows the shortfall.
    """
    names = sorted(levels, key=lambda name: (name != DEFAULT_LOCATION, name))
    allocation = dict.fromkeys(names, 0)
    remaining = max(reserved, 0)
    for name in names:
        take = min(remaining, max(levels[name].on_hand or 0, 0))
        allocation[name] = take
        remaining -= take
    if remaining and names:
        allocation[names[0]] += remaining
    return allocation


def stock_view(
    sku: str,
    *,
    on_hand: int,
    reserved: int,
    available: int,
    levels: Mapping[str, LocationLevel],
    low_stock_threshold: int | None,
) -> Stock:
    allocation = allocate(reserved, levels)
    locations = [
        LocationStock(
            location=name,
            on_hand=levels[name].on_hand or 0,
            reserved=allocation[name],
            available=(levels[name].on_hand or 0) - allocation[name],
            last_count_at=levels[name].counted_at,
        )
        for name in allocation
    ]
    return Stock(
        sku=sku,
        on_hand=on_hand,
        reserved=reserved,
        available=available,
        low_stock_threshold=low_stock_threshold,
        low_stock=is_low(available, low_stock_threshold),
        locations=locations,
    )


# --- low stock -------------------------------------------------------------------------------------


def is_low(available: int, threshold: int | None) -> bool:
    return threshold is not None and available <= threshold


@dataclass(frozen=True)
class StockImage:
    """What a low-stock decision needs of one version of a product item (a stream image)."""

    available: int
    threshold: int | None
    flagged: bool  # carries the low_stock flag (listed by GET /inventory?low_stock=true)
    levels: Mapping[str, LocationLevel] = field(default_factory=dict)
    on_hand: int = 0
    reserved: int = 0


@dataclass(frozen=True)
class LowStockDecision:
    publish: bool  # a StockLow event: the product just crossed its threshold downwards
    flag: Literal["set", "clear"] | None  # bring the low_stock flag in line with the new image
    location: str | None  # the location whose level moved in this change (None: a reservation)


def low_stock_decision(old: StockImage | None, new: StockImage) -> LowStockDecision:
    """Published once per crossing: only a change from not-low to low publishes; staying low (more
    orders, more counts) does not, until the product has recovered and crosses again. A product
    created low (no stock yet) is flagged but not announced."""
    low = is_low(new.available, new.threshold)
    publish = old is not None and low and not is_low(old.available, old.threshold)
    flag: Literal["set", "clear"] | None = None
    if low and not new.flagged:
        flag = "set"
    elif not low and new.flagged:
        flag = "clear"
    return LowStockDecision(publish, flag, moved_location(old.levels if old else {}, new.levels))


def moved_location(old: Mapping[str, LocationLevel], new: Mapping[str, LocationLevel]) -> str | None:
    for name in sorted(new):
        if name not in old or old[name].on_hand != new[name].on_hand:
            return name
    return None
