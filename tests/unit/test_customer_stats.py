"""Customer behaviour arithmetic (issue 18), pure: a customer's first order, their second, the cancellation
of the first, a late-arriving earlier order that becomes the first, guest orders, and the figures."""

from __future__ import annotations

from decimal import Decimal
from zoneinfo import ZoneInfo

from shared.dal.keys import shard_of
from shared.models.customer_analytics import Statistics
from shared.models.orders import Order
from shared.reports.customer_stats import (
    Change,
    CustomerState,
    MonthCounters,
    OrderPart,
    add_into,
    change,
    customer_behaviour,
    months_between,
    nonzero,
    part_of,
    recount,
)
from tests.support.customer_orders import bought, cancelled, refunded, returned

UTC = ZoneInfo("UTC")
D = Decimal
S = shard_of("c1")


def run(changes: list[tuple[Order | None, Order | None]]) -> tuple[MonthCounters, dict[str, CustomerState]]:
    """Apply order changes one after another, as the stream does: the states carried from one to the next."""
    states: dict[str, CustomerState] = {}
    total: MonthCounters = {}
    for old, new in changes:
        order = new or old
        assert order is not None
        moved: Change = change(order.order_id, part_of(old, UTC), part_of(new, UTC), states)
        add_into(total, moved.counters)
        states.update({cid: after for cid, (_, after) in moved.customers.items()})
    return nonzero(total), states


def test_first_order_makes_a_new_customer_of_its_month_and_cohort() -> None:
    first = bought("o1", "c1", "2026-01-10T10:00:00.000000Z", channel="web")
    counters, states = run([(None, first)])
    assert counters == {
        ("2026-01", S): {
            "customers": D(1),
            "new": D(1),
            "orders": D(1),
            "cohort@2026-01": D(1),
            "channel@web": D(1),
        }
    }
    assert states["c1"].days == {"2026-01-10": 1}
    assert states["c1"].money["EUR"].net == D("10.00")


def test_second_order_makes_a_returning_repeat_customer_and_records_the_wait() -> None:
    first = bought("o1", "c1", "2026-01-25T10:00:00.000000Z")
    second = bought("o2", "c1", "2026-02-04T10:00:00.000000Z", channel="pos")
    before, _ = run([(None, first)])
    after, states = run([(None, first), (None, second)])
    moved = nonzero({k: v for k, v in after.items()})
    add_into(moved, before, -1)
    assert nonzero(moved) == {
        ("2026-01", S): {"repeat": D(1)},
        ("2026-02", S): {
            "customers": D(1),
            "returning": D(1),
            "orders": D(1),
            "repeat": D(1),
            "cohort@2026-01": D(1),
            "second_orders": D(1),
            "second_days": D(10),
            "channel@pos": D(1),
        },
    }
    assert states["c1"].second_day == "2026-02-04"


def test_cancelling_the_first_order_moves_the_customer_to_the_second_orders_cohort() -> None:
    first = bought("o1", "c1", "2026-01-25T10:00:00.000000Z")
    second = bought("o2", "c1", "2026-02-04T10:00:00.000000Z")
    counters, states = run(
        [(None, first), (None, second), (first, cancelled(first, "2026-02-10T10:00:00.000000Z"))]
    )
    assert counters == {
        ("2026-02", S): {
            "customers": D(1),
            "new": D(1),
            "orders": D(1),
            "cohort@2026-02": D(1),
            "channel@web": D(1),
        }
    }
    assert states["c1"].days == {"2026-02-04": 1}
    assert states["c1"].money["EUR"].orders == 1


def test_a_late_earlier_order_becomes_the_first() -> None:
    february = bought("o2", "c1", "2026-02-04T10:00:00.000000Z")
    late_january = bought("o1", "c1", "2026-01-30T10:00:00.000000Z")  # arrives after February's
    counters, _ = run([(None, february), (None, late_january)])
    assert counters == {
        ("2026-01", S): {
            "customers": D(1),
            "new": D(1),
            "orders": D(1),
            "repeat": D(1),
            "cohort@2026-01": D(1),
            "channel@web": D(1),
        },
        ("2026-02", S): {
            "customers": D(1),
            "returning": D(1),
            "orders": D(1),
            "repeat": D(1),
            "cohort@2026-01": D(1),
            "second_orders": D(1),
            "second_days": D(5),
            "channel@web": D(1),
        },
    }
    # the same as if they had arrived in order
    assert counters == run([(None, late_january), (None, february)])[0]


def test_two_orders_on_one_day_wait_zero_days() -> None:
    counters, _ = run(
        [
            (None, bought("o1", "c1", "2026-03-01T09:00:00.000000Z")),
            (None, bought("o2", "c1", "2026-03-01T18:00:00.000000Z")),
        ]
    )
    fields = counters[("2026-03", S)]
    assert (fields["orders"], fields["customers"], fields["second_orders"], fields["repeat"]) == (
        D(2),
        D(1),
        D(1),
        D(1),
    )
    assert "second_days" not in fields


def test_guest_orders_count_in_their_month_only() -> None:
    guest = bought("g1", None, "2026-01-10T10:00:00.000000Z", channel="pos")
    counters, states = run([(None, guest)])
    assert counters == {("2026-01", shard_of("g1")): {"guest_orders": D(1), "channel@pos": D(1)}}
    assert states == {}


def test_a_return_lowers_lifetime_value_and_no_other_counter() -> None:
    order = bought("o1", "c1", "2026-01-10T10:00:00.000000Z", price="20.00", quantity=2)
    back = returned(order, "2026-01-20T10:00:00.000000Z", "A", 1)
    counters, states = run([(None, order), (order, back)])
    assert states["c1"].money["EUR"].net == D("20.00")
    assert counters == run([(None, order)])[0]
    refund = refunded(order, "2026-01-20T10:00:00.000000Z", "5.00")
    assert part_of(refund, UTC) == OrderPart("c1", "2026-01-10", "web", "EUR", D("35.00"))


def test_cohorts_follow_twelve_months_at_most() -> None:
    first = bought("o1", "c1", "2025-01-10T10:00:00.000000Z")
    thirteen_after = bought("o2", "c1", "2026-02-10T10:00:00.000000Z")
    counters, _ = run([(None, first), (None, thirteen_after)])
    assert "cohort@2025-01" not in counters[("2026-02", S)]
    assert counters[("2026-02", S)]["returning"] == D(1)


def test_recount_equals_the_changes_applied() -> None:
    a1 = bought("a1", "c1", "2026-01-25T10:00:00.000000Z")
    a2 = bought("a2", "c1", "2026-02-04T10:00:00.000000Z", currency="USD")
    b1 = bought("b1", "c2", "2026-02-14T10:00:00.000000Z", channel="pos")
    g1 = bought("g1", None, "2026-02-15T10:00:00.000000Z")
    a1_cancelled = cancelled(a1, "2026-02-20T10:00:00.000000Z")
    counters, states = run([(None, a1), (None, b1), (None, a2), (None, g1), (a1, a1_cancelled)])
    assert (counters, states) == recount([a1_cancelled, a2, b1, g1], UTC)


def test_figures_from_the_counters() -> None:
    orders = [
        bought("a1", "c1", "2026-01-05T10:00:00.000000Z"),
        bought("a2", "c1", "2026-02-04T10:00:00.000000Z", channel="pos"),
        bought("a3", "c1", "2026-02-06T10:00:00.000000Z"),
        bought("b1", "c2", "2026-01-20T10:00:00.000000Z"),
        bought("c1", "c3", "2026-02-01T10:00:00.000000Z"),
        bought("g1", None, "2026-02-02T10:00:00.000000Z", channel="pos"),
    ]
    counters, _ = recount(orders, UTC)
    figures = customer_behaviour("2026-01", "2026-02", "UTC", counters, Statistics(items_read=0, requests=0))
    january, february = figures.months
    assert (january.customers, january.new_customers, january.returning_customers) == (2, 2, 0)
    assert (february.customers, february.new_customers, february.returning_customers) == (2, 1, 1)
    assert (february.orders, february.guest_orders, february.orders_per_customer) == (3, 1, D("1.50"))
    # c1 has three orders in all: a repeat customer in both months; c2 and c3 have one each
    assert (january.repeat_purchase_rate, february.repeat_purchase_rate) == (D("0.5000"), D("0.5000"))
    assert (february.second_orders, february.average_days_to_second_order) == (1, D("30.0"))
    assert january.average_days_to_second_order is None
    mix = {c.channel: (c.orders, c.share) for c in february.channels}
    assert mix == {"web": (2, D("0.5000")), "pos": (2, D("0.5000"))}
    cohort_january, cohort_february = figures.cohorts
    assert cohort_january.customers == 2
    assert [(m.month, m.customers, m.share) for m in cohort_january.months] == [
        ("2026-01", 2, D("1.0000")),
        ("2026-02", 1, D("0.5000")),
    ]
    assert [(m.offset, m.customers) for m in cohort_february.months] == [(0, 1)]
    assert figures.model_dump(mode="json")["months"][1]["repeat_purchase_rate"] == 0.5


def test_months_between() -> None:
    assert months_between("2025-11", "2026-02") == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert months_between("2026-02", "2026-01") == []
