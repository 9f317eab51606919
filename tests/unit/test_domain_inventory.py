"""The stock rules, without I/O: ordering of counts and movements, deduplication, coalescing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.domain.inventory import (
    ClaimUpdate,
    Insufficient,
    LocationLevel,
    MoveStock,
    NeedLevel,
    NeedMovementsAfter,
    PlanAgain,
    ProductLevels,
    RecordMovement,
    StockChange,
    StockFailure,
    StockImage,
    StockPlan,
    UnknownProduct,
    UpdateIdReused,
    allocate,
    interpret_stock_failures,
    low_stock_decision,
    plan_stock,
    stock_view,
)
from shared.domain.moments import utc_text

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def at(minute: int) -> str:
    return utc_text(datetime(2026, 11, 24, 11, minute, tzinfo=UTC))


def count(on_hand: int, minute: int, update_id: str | None = None, location: str = "default") -> StockChange:
    return StockChange(
        sku="MUG",
        location=location,
        kind="count",
        as_of=at(minute),
        update_id=update_id or f"c-{minute}-{on_hand}",
        source="wms-eu-1",
        on_hand=on_hand,
    )


def delta(units: int, minute: int, update_id: str | None = None, kind: str = "delta") -> StockChange:
    return StockChange(
        sku="MUG",
        location="default",
        kind=kind,  # type: ignore[arg-type]
        as_of=at(minute),
        update_id=update_id or f"d-{minute}-{units}",
        source="wms-eu-1",
        delta=units,
    )


def plan(
    changes: list[StockChange], level: LocationLevel | None = None, applied: tuple[str, ...] = ()
) -> StockPlan:
    result = plan_stock(changes, level=level, applied_ids=applied, now=NOW, claim_ttl_seconds=3600)
    assert isinstance(result, StockPlan)
    return result


def move_of(result: StockPlan) -> MoveStock:
    [move] = [w for w in result.writes if isinstance(w, MoveStock)]
    return move


def test_a_count_sets_the_level_and_moves_the_totals_by_the_difference() -> None:
    result = plan([count(7, 10)], LocationLevel(on_hand=4, counted_at=at(1)))

    move = move_of(result)
    assert (move.set_level, move.expect_level, move.change, move.counted_at) == (7, 4, 3, at(10))
    assert move.after == at(10)  # only if no count at or after 11:10 was applied meanwhile
    [movement] = [w.movement for w in result.writes if isinstance(w, RecordMovement)]
    assert (movement.kind, movement.change, movement.on_hand, movement.source) == ("count", 3, 7, "wms-eu-1")
    assert [w.update_id for w in result.writes if isinstance(w, ClaimUpdate)] == ["c-10-7"]
    assert result.level_after == LocationLevel(7, at(10))


def test_a_late_count_older_than_the_last_applied_one_is_ignored() -> None:
    result = plan([count(50, 5)], LocationLevel(on_hand=40, counted_at=at(20)))

    assert result.writes == ()
    [skipped] = result.skipped
    assert "older than the last applied count" in skipped.reason


def test_a_count_needs_the_current_level_first() -> None:
    assert isinstance(plan_stock([count(5, 1)], level=None, now=NOW, claim_ttl_seconds=60), NeedLevel)


def test_movements_need_no_read_and_are_conditioned_on_the_last_count() -> None:
    result = plan([delta(-2, 30), delta(5, 20)], level=None)

    move = move_of(result)
    assert move.set_level is None and move.change == 3
    assert move.after == at(20)  # the earliest movement: a count at or after it already includes it
    assert [c.update_id for c in result.applied] == ["d-20-5", "d-30--2"]  # in time order
    assert result.level_after is None  # nothing read, nothing guessed


def test_a_duplicated_delta_is_applied_once() -> None:
    twice = plan([delta(3, 10, "u-1"), delta(3, 10, "u-1")], level=None)
    assert move_of(twice).change == 3
    assert [s.reason.split(":")[0] for s in twice.skipped] == ["duplicate"]
    assert [s.replay for s in twice.skipped] == [True]

    redelivered = plan([delta(3, 10, "u-1")], level=None, applied=("u-1",))
    assert redelivered.writes == ()
    assert [s.replay for s in redelivered.skipped] == [True]


def test_a_stale_change_is_skipped_but_is_no_replay() -> None:
    result = plan([count(5, 5), count(8, 3)], LocationLevel(on_hand=4, counted_at=at(10)))
    assert len(result.skipped) == 2
    assert not any(s.replay for s in result.skipped)


def test_one_batch_for_one_location_is_one_update_of_the_product() -> None:
    changes = [count(10, 5), delta(-1, 6), delta(-2, 7), count(8, 3), delta(4, 4)]

    result = plan(changes, LocationLevel(on_hand=20, counted_at=at(1)))

    assert len([w for w in result.writes if isinstance(w, MoveStock)]) == 1
    move = move_of(result)
    # The newest count (11:05: 10 units) plus the movements after it (-1, -2); the older count and
    # the movement before the newest count are already part of it.
    assert move.set_level == 7
    assert move.change == 7 - 20
    assert {s.change.update_id for s in result.skipped} == {"c-3-8", "d-4-4"}
    assert len([w for w in result.writes if isinstance(w, RecordMovement)]) == 3
    assert len([w for w in result.writes if isinstance(w, ClaimUpdate)]) == 3


def test_movements_at_or_before_the_last_count_are_ignored() -> None:
    result = plan([delta(-3, 5), delta(2, 25)], LocationLevel(on_hand=10, counted_at=at(10)))
    assert move_of(result).change == 2
    [skipped] = result.skipped
    assert skipped.change.update_id == "d-5--3"


def test_a_negative_adjustment_must_keep_available_stock() -> None:
    result = plan([delta(-3, 30, kind="adjustment")], level=None)
    assert move_of(result).keep_available
    assert not move_of(plan([delta(3, 30, kind="adjustment")], level=None)).keep_available
    assert not move_of(plan([delta(-3, 30)], level=None)).keep_available  # warehouse facts apply


def test_a_plan_covers_one_sku_and_location() -> None:
    with pytest.raises(ValueError, match="one SKU and location"):
        plan_stock(
            [count(1, 1), count(1, 2, location="wms-2")], level=LocationLevel(), now=NOW, claim_ttl_seconds=1
        )


# --- failures --------------------------------------------------------------------------------


def test_a_missing_product_can_never_apply() -> None:
    result = plan([delta(1, 1)])
    failure = StockFailure(move_of(result), ProductLevels(exists=False))
    assert isinstance(interpret_stock_failures([failure]), UnknownProduct)


def test_a_failed_level_guess_is_planned_again_with_the_stored_level() -> None:
    result = plan([count(7, 10)], LocationLevel(on_hand=4))
    stored = LocationLevel(on_hand=6, counted_at=at(2))
    outcome = interpret_stock_failures([StockFailure(move_of(result), ProductLevels(True, level=stored))])
    assert outcome == PlanAgain(stored, frozenset())


def test_claimed_ids_are_planned_again_as_applied() -> None:
    result = plan([delta(1, 1, "u-9"), delta(2, 2, "u-10")])
    claim = next(w for w in result.writes if isinstance(w, ClaimUpdate) and w.update_id == "u-9")
    assert interpret_stock_failures([StockFailure(claim)]) == PlanAgain(None, frozenset({"u-9"}))


def test_an_adjustment_below_zero_is_insufficient() -> None:
    result = plan([delta(-5, 1, kind="adjustment")])
    product = ProductLevels(True, on_hand=4, reserved=1, available=3, level=LocationLevel(4))
    assert interpret_stock_failures([StockFailure(move_of(result), product)]) == Insufficient(3, 4)


# --- the view and low stock ---------------------------------------------------------------------


def test_reservations_are_shown_against_the_default_location_first() -> None:
    levels = {"wms-eu-1": LocationLevel(5), "default": LocationLevel(2), "a-store": LocationLevel(1)}
    assert allocate(4, levels) == {"default": 2, "a-store": 1, "wms-eu-1": 1}
    assert allocate(10, levels) == {"default": 4, "a-store": 1, "wms-eu-1": 5}  # the shortfall shows first
    view = stock_view("MUG", on_hand=8, reserved=4, available=4, levels=levels, low_stock_threshold=4)
    assert view.low_stock
    assert sum(loc.reserved for loc in view.locations) == view.reserved
    assert sum(loc.available for loc in view.locations) == view.available


def image(available: int, threshold: int | None = 5, flagged: bool = False, level: int = 0) -> StockImage:
    return StockImage(available, threshold, flagged, {"default": LocationLevel(level)})


def test_stock_low_is_published_once_per_crossing() -> None:
    crossing = low_stock_decision(image(6), image(5))
    assert crossing.publish and crossing.flag == "set"
    assert not low_stock_decision(image(5, flagged=True), image(3, flagged=True)).publish  # still low
    recovered = low_stock_decision(image(3, flagged=True), image(9, flagged=True))
    assert not recovered.publish and recovered.flag == "clear"
    assert low_stock_decision(image(9), image(4)).publish  # crossed again after recovering


def test_no_threshold_is_never_low_and_a_new_product_is_flagged_quietly() -> None:
    assert not low_stock_decision(image(9, None), image(0, None)).publish
    created = low_stock_decision(None, image(0))
    assert not created.publish and created.flag == "set"


def test_the_event_names_the_location_that_moved() -> None:
    old = StockImage(6, 5, False, {"default": LocationLevel(6), "wms": LocationLevel(0)})
    new = StockImage(5, 5, False, {"default": LocationLevel(6), "wms": LocationLevel(-1)})
    assert low_stock_decision(old, new).location == "wms"
    assert low_stock_decision(image(6, level=6), image(5, level=6)).location is None  # a reservation


def test_a_count_overtaken_by_later_movements_keeps_them() -> None:
    # Counted 10 at 11:00; a pick of 3 at 11:05 was applied; then a count of 50 dated 11:04 arrives.
    level = LocationLevel(on_hand=7, counted_at=at(0), moved_at=at(5))
    first = plan_stock([count(50, 4)], level=level, now=NOW, claim_ttl_seconds=60)
    assert first == NeedMovementsAfter(at(4))  # the ledger knows what came after the count

    result = plan_stock(
        [count(50, 4)], level=level, movements_after=(at(4), -3), now=NOW, claim_ttl_seconds=60
    )
    assert isinstance(result, StockPlan)
    move = move_of(result)
    assert (move.set_level, move.change) == (47, 40)
    assert (move.expect_moved, move.moved_known) == (at(5), True)  # no movement may slip in meanwhile


def test_movements_record_the_newest_movement_time_and_never_move_it_back() -> None:
    unknown = move_of(plan([delta(1, 3), delta(1, 7)], level=None))
    assert (unknown.moved_at, unknown.moved_known) == (at(7), False)  # "not newer than 11:07" in the write
    known = move_of(plan([delta(1, 3)], LocationLevel(5, None, at(9))))
    assert (known.moved_at, known.expect_moved, known.moved_known) == (at(9), at(9), True)


def test_a_reused_idempotency_key_is_told_from_a_retry() -> None:
    retry = StockFailure(ClaimUpdate("MUG", "default", "api:k", 1, "same"), claimed_fingerprint="same")
    assert isinstance(interpret_stock_failures([retry]), PlanAgain)
    reused = StockFailure(ClaimUpdate("MUG", "default", "api:k", 1, "new"), claimed_fingerprint="old")
    assert isinstance(interpret_stock_failures([reused]), UpdateIdReused)
