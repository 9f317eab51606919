"""StockService against a typed fake store: the retry loop of ``_apply`` and the outcomes each caller
sees (a staff request, a feed batch). No AWS."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from shared.dal.inventory import StockCancelled
from shared.domain.inventory import (
    ClaimUpdate,
    Insufficient,
    LocationLevel,
    MoveStock,
    ProductLevels,
    StockChange,
    StockFailure,
    StockPlan,
    UpdateIdReused,
)
from shared.models.inventory import Stock
from shared.retry import BASE_PAUSE_S, MAX_ATTEMPTS
from shared.services.stock import (
    Applied,
    Failed,
    NotStarted,
    Recorded,
    Refused,
    Replayed,
    Stale,
    StockService,
    StockStore,
)

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
CONTENDED = StockCancelled(failures=[], contended=True)
Group = tuple[str, str]


@dataclass
class FakeStore:
    """An inventory store that answers each commit from a script (None: committed)."""

    answers: list[StockCancelled | None] = field(default_factory=list)
    level: ProductLevels = field(default_factory=lambda: ProductLevels(True, 10, 0, 10, LocationLevel(10)))
    current: Stock | None = field(
        default_factory=lambda: Stock(sku="MUG", on_hand=10, reserved=0, available=10)
    )
    commits: list[StockPlan] = field(default_factory=list)
    level_reads: int = 0
    fail_with: Exception | None = None

    def levels(self, wanted: Iterable[Group]) -> dict[Group, ProductLevels]:
        self.level_reads += 1
        return dict.fromkeys(wanted, self.level)

    def commit(self, plan: StockPlan) -> StockCancelled | None:
        if self.fail_with is not None:
            raise self.fail_with
        self.commits.append(plan)
        return self.answers.pop(0) if self.answers else None

    def movements_after(self, sku: str, location: str, as_of: str) -> int:
        return 0

    def stock(self, sku: str) -> Stock | None:
        return self.current


def _typed(store: FakeStore) -> StockStore:
    return store  # mypy: the fake is a StockStore, so it cannot drift from the Protocol


@dataclass
class Sleeps:
    pauses: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.pauses.append(seconds)


def service(store: FakeStore, sleeps: Sleeps) -> StockService:
    return StockService(_typed(store), clock=lambda: NOW, sleep=sleeps, new_id=lambda: "generated")


def receipt(units: int, update_id: str = "r-1", sku: str = "MUG") -> StockChange:
    return StockChange(sku, "default", "delta", "2026-11-24T11:00:00.000000Z", update_id, "wms", delta=units)


def claim_failure(plan: StockPlan, fingerprint: str) -> StockFailure:
    claim = next(w for w in plan.writes if isinstance(w, ClaimUpdate))
    return StockFailure(claim, claimed_fingerprint=fingerprint)


# --- the retry loop --------------------------------------------------------------------------------


def test_contention_then_success_tries_the_same_plan_again_after_a_pause() -> None:
    store, sleeps = FakeStore(answers=[CONTENDED]), Sleeps()

    [group] = service(store, sleeps).apply_batch([receipt(3)])

    assert isinstance(group.result, Applied)
    assert len(store.commits) == 2
    assert store.commits[0] == store.commits[1]
    assert len(sleeps.pauses) == 1
    assert 0 <= sleeps.pauses[0] <= BASE_PAUSE_S


def test_contention_on_every_attempt_ends_in_failed_after_max_attempts() -> None:
    store, sleeps = FakeStore(answers=[CONTENDED] * (MAX_ATTEMPTS + 3)), Sleeps()

    [group] = service(store, sleeps).apply_batch([receipt(3)])

    assert group.result == Failed("the stock item kept changing; try again")
    assert len(store.commits) == MAX_ATTEMPTS
    assert len(sleeps.pauses) == MAX_ATTEMPTS - 1  # no pause after the last attempt
    assert all(0 <= p <= BASE_PAUSE_S * 2**n for n, p in enumerate(sleeps.pauses))


def test_a_failure_that_is_not_contention_is_not_retried() -> None:
    store, sleeps = FakeStore(), Sleeps()
    stock = service(store, sleeps)
    first = stock.adjust("MUG", -20, reason="damaged", location="default", actor="k1", update_id="api:k")
    assert isinstance(first, Recorded)
    move = next(w for w in first.plan.writes if isinstance(w, MoveStock))
    store.commits.clear()
    store.answers = [
        StockCancelled([StockFailure(move, ProductLevels(True, 10, 0, 10, LocationLevel(10)))], False)
    ]

    result = stock.adjust("MUG", -20, reason="damaged", location="default", actor="k1", update_id="api:k")

    assert result == Insufficient(available=10, location_on_hand=10)
    assert len(store.commits) == 1
    assert sleeps.pauses == []


def test_an_error_of_the_store_is_a_transient_failure_of_that_group_alone() -> None:
    store, sleeps = FakeStore(fail_with=RuntimeError("throttled")), Sleeps()

    [group] = service(store, sleeps).apply_batch([receipt(3)])

    assert group.result == Failed("RuntimeError")
    assert sleeps.pauses == []


# --- what a staff request sees ------------------------------------------------------------------------


def test_a_staff_change_that_applied_comes_with_the_stock_as_it_is_now() -> None:
    store = FakeStore()
    result = service(store, Sleeps()).count("MUG", 7, location="default", actor="k1", update_id=None)
    assert isinstance(result, Recorded)
    assert result.stock == store.current
    assert [c.update_id for c in result.plan.applied] == ["generated"]


def test_a_replayed_idempotency_key_is_its_own_outcome() -> None:
    store = FakeStore()
    stock = service(store, Sleeps())
    first = stock.adjust("MUG", 2, reason="found", location="default", actor="k1", update_id="api:k")
    assert isinstance(first, Recorded)
    # The store already holds the claim: the cancelled claim carries the same fingerprint.
    store.answers = [StockCancelled([claim_failure(first.plan, _fingerprint_of(first.plan))], False)]

    again = stock.adjust("MUG", 2, reason="found", location="default", actor="k1", update_id="api:k")

    assert store.current is not None
    assert again == Replayed(store.current)


def test_an_idempotency_key_reused_for_another_change_is_refused() -> None:
    store = FakeStore()
    stock = service(store, Sleeps())
    first = stock.adjust("MUG", 2, reason="found", location="default", actor="k1", update_id="api:k")
    assert isinstance(first, Recorded)
    store.answers = [StockCancelled([claim_failure(first.plan, "another-change")], False)]

    assert isinstance(
        stock.adjust("MUG", 5, reason="found", location="default", actor="k1", update_id="api:k"),
        UpdateIdReused,
    )


def test_a_count_older_than_the_last_one_is_stale_with_its_reason() -> None:
    store = FakeStore(
        level=ProductLevels(True, 10, 0, 10, LocationLevel(10, counted_at="9999-12-31T00:00:00Z"))
    )

    result = service(store, Sleeps()).count("MUG", 7, location="default", actor="k1", update_id=None)

    assert isinstance(result, Stale)
    assert result.reasons == ("older than the last applied count (9999-12-31T00:00:00Z)",)
    assert store.commits == []


def test_an_unknown_sku_is_refused_for_staff_and_in_a_batch() -> None:
    store = FakeStore(level=ProductLevels(exists=False))
    stock = service(store, Sleeps())

    assert stock.count("NOPE", 1, location="default", actor="k1", update_id=None) == Refused(
        "unknown SKU 'NOPE'"
    )
    counted = StockChange("NOPE", "default", "count", "2026-11-24T11:00:00.000000Z", "c-1", "wms", on_hand=1)
    [group] = stock.apply_batch([counted])
    assert group.result == Refused("unknown SKU 'NOPE'")
    assert group.changes == (counted,)


def test_a_product_gone_before_its_stock_is_read_back_is_refused() -> None:
    store = FakeStore(current=None)
    result = service(store, Sleeps()).adjust(
        "MUG", 1, reason="found", location="default", actor="k", update_id=None
    )
    assert result == Refused("unknown SKU 'MUG'")


# --- what a batch sees ---------------------------------------------------------------------------------


def test_a_batch_answers_per_sku_and_location_with_the_changes_of_each() -> None:
    store = FakeStore()
    changes = [receipt(1, "a"), receipt(2, "b", sku="LAMP"), receipt(3, "c")]

    outcomes = service(store, Sleeps()).apply_batch(changes)

    assert [(o.sku, o.location, [c.update_id for c in o.changes]) for o in outcomes] == [
        ("MUG", "default", ["a", "c"]),
        ("LAMP", "default", ["b"]),
    ]
    assert all(isinstance(o.result, Applied) for o in outcomes)
    assert len(store.commits) == 2


def test_groups_not_started_in_time_are_handed_back() -> None:
    store = FakeStore()
    answers = iter([True, False])

    outcomes = service(store, Sleeps()).apply_batch(
        [receipt(1, "a"), receipt(2, "b", sku="LAMP")], keep_going=lambda: next(answers)
    )

    assert [type(o.result) for o in outcomes] == [Applied, NotStarted]
    assert len(store.commits) == 1


@pytest.mark.parametrize(
    ("failure", "reason"),
    [
        ("insufficient", "it would take available stock below zero"),
        ("reused", "its update_id was already used for another change"),
    ],
)
def test_a_staff_refusal_in_a_batch_is_refused_with_its_reason(failure: str, reason: str) -> None:
    store = FakeStore()
    change = StockChange(
        "MUG",
        "default",
        "adjustment",
        "2026-11-24T11:00:00.000000Z",
        "api:k",
        "staff",
        delta=-20,
        fingerprint="f",
    )
    [applied] = service(store, Sleeps()).apply_batch([change])
    assert isinstance(applied.result, Applied)
    plan = applied.result.plan
    move = next(w for w in plan.writes if isinstance(w, MoveStock))
    store.answers = [
        StockCancelled(
            [StockFailure(move, ProductLevels(True, 10, 0, 10, LocationLevel(10)))]
            if failure == "insufficient"
            else [claim_failure(plan, "another")],
            False,
        )
    ]

    [group] = service(store, Sleeps()).apply_batch([change])

    assert group.result == Refused(reason)


def _fingerprint_of(plan: StockPlan) -> str:
    claim = next(w for w in plan.writes if isinstance(w, ClaimUpdate))
    assert claim.fingerprint is not None
    return claim.fingerprint
