"""What a recount writes for a day (shared.services.recount.day_plan): only what differs, nothing twice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from shared.reports.sales import CounterRow
from shared.services.recount import day_plan, days_between

D = Decimal
DAY = "2026-11-23"


def test_equal_counters_write_nothing() -> None:
    stored = [CounterRow("TOTAL#EUR", {"orders": D(2), "gross": D("25.50")})]
    plan = day_plan(DAY, stored, {"TOTAL#EUR": {"orders": D(2), "gross": D("25.50")}})
    assert (plan.put, plan.delete, plan.unchanged, plan.changed) == ({}, (), 1, False)


def test_zero_fields_are_absent_fields() -> None:
    stored = [CounterRow("TOTAL#EUR", {"orders": D(1), "returns": D(0)})]
    recounted = {"TOTAL#EUR": {"orders": D(1), "discounts": D(0)}, "SKU#A#EUR": {"gross": D(0)}}
    plan = day_plan(DAY, stored, recounted)
    assert not plan.changed
    assert plan.unchanged == 1


def test_a_differing_counter_is_put_whole_and_a_missing_one_added() -> None:
    stored = [CounterRow("TOTAL#EUR", {"orders": D(1), "gross": D("10.00"), "cancelled_value": D(3)})]
    recounted = {
        "TOTAL#EUR": {"orders": D(2), "gross": D("25.50"), "units": D(0)},
        "STATUS#CONFIRMED": {"orders": D(2)},
    }
    plan = day_plan(DAY, stored, recounted)
    assert plan.put == {
        "STATUS#CONFIRMED": {"orders": D(2)},
        "TOTAL#EUR": {"orders": D(2), "gross": D("25.50")},
    }
    assert plan.delete == ()
    assert plan.unchanged == 0


def test_counters_the_recount_no_longer_has_are_deleted() -> None:
    stored = [
        CounterRow("SKU#GONE#EUR", {"gross": D(5)}),
        CounterRow("STATUS#SHIPPED", {"orders": D(0)}),
        CounterRow("TOTAL#EUR", {"orders": D(1)}),
    ]
    plan = day_plan(DAY, stored, {"TOTAL#EUR": {"orders": D(1)}})
    assert plan.delete == ("SKU#GONE#EUR", "STATUS#SHIPPED")
    assert plan.put == {}
    assert plan.unchanged == 1


def test_an_empty_day_with_nothing_stored_is_unchanged() -> None:
    plan = day_plan(DAY, [], {})
    assert not plan.changed and plan.unchanged == 0


def test_days_between_is_inclusive_and_refuses_a_reversed_range() -> None:
    assert days_between(dt.date(2026, 2, 27), dt.date(2026, 3, 1)) == [
        "2026-02-27",
        "2026-02-28",
        "2026-03-01",
    ]
    with pytest.raises(ValueError, match="before"):
        days_between(dt.date(2026, 3, 2), dt.date(2026, 3, 1))
    with pytest.raises(ValueError, match="at most"):
        days_between(dt.date(2000, 1, 1), dt.date(2026, 3, 1))
