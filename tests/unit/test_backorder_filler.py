"""BackorderFiller against typed fakes of its stores: the walk down a SKU's line and the retry loop of
one confirmation. No AWS."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from shared.dal.inventory import Waiting
from shared.domain.auth import Principal
from shared.domain.orders import (
    Cancelled,
    OrderPlan,
    Refused,
    ReplaceOrder,
    ReserveStock,
    Shortage,
    StockRefused,
    decide_new_order,
)
from shared.models.orders import NewOrder, Order
from shared.retry import MAX_ATTEMPTS
from shared.services.backorders import BackorderFiller, ConfirmingOrders, WaitingLines

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
FEED = Principal(role="channel", key_id="feed-amazon", channel="amazon")


def waiting_order(order_id: str, *skus: str) -> Order:
    request = NewOrder.model_validate(
        {
            "customer": {"email": "a@example.com", "name": "A"},
            "lines": [{"sku": sku, "quantity": 1, "unit_price": "10.00"} for sku in skus],
        }
    )
    plan = decide_new_order(
        request,
        principal=FEED,
        catalog_prices={},
        order_id=order_id,
        now=NOW,
        default_currency="USD",
        backorder=[Shortage(skus[0], 1, 0)],
    )
    assert isinstance(plan, OrderPlan)
    assert plan.order.status == "BACKORDERED"
    return plan.order


@dataclass
class FakeLines:
    line: list[Waiting]
    stopped: list[tuple[str, str]] = field(default_factory=list)

    def waiting(self, sku: str, limit: int, *, after: str | None = None) -> tuple[list[Waiting], str | None]:
        rest = [w for w in self.line if w.sku == sku and (after is None or w.created_key > after)]
        page = rest[:limit]
        return page, page[-1].created_key if len(rest) > limit else None

    def stop_waiting(self, sku: str, created_key: str, now: int) -> None:
        self.stopped.append((sku, created_key))


@dataclass
class FakeOrders:
    orders: dict[str, Order]
    answers: dict[str, list[Cancelled | None]] = field(default_factory=dict)  # per order id; None: committed
    reads: list[str] = field(default_factory=list)
    commits: list[str] = field(default_factory=list)

    def get(self, order_id: str, *, consistent: bool = False) -> Order | None:
        assert consistent
        self.reads.append(order_id)
        return self.orders.get(order_id)

    def commit(self, plan: OrderPlan, *, now: datetime, token: bool) -> Cancelled | None:
        assert not token  # a confirmation may be tried again with other contents: no request token
        self.commits.append(plan.order.order_id)
        script = self.answers.get(plan.order.order_id, [])
        answer = script.pop(0) if script else None
        if answer is None:
            self.orders[plan.order.order_id] = plan.order
        return answer


def filler(lines: FakeLines, orders: FakeOrders, sleeps: list[float]) -> BackorderFiller:
    typed_lines: WaitingLines = lines  # mypy: the fakes are the Protocols, so they cannot drift
    typed_orders: ConfirmingOrders = orders
    return BackorderFiller(typed_lines, typed_orders, clock=lambda: NOW, sleep=sleeps.append)


def short(*skus: str) -> Cancelled:
    return Cancelled(
        [StockRefused(ReserveStock(sku, 1), Decimal("10.00"), 0) for sku in skus], contended=False
    )


def moved_on(order: Order) -> Cancelled:
    return Cancelled([Refused(ReplaceOrder(order, "BACKORDERED", order.updated_at))], contended=False)


CONTENDED = Cancelled([], contended=True)


def line_of(*orders: Order, sku: str = "LAMP") -> FakeLines:
    return FakeLines([Waiting(sku, o.order_id, f"{n:03d}#{o.order_id}") for n, o in enumerate(orders)])


def test_the_oldest_are_confirmed_until_the_sku_runs_short() -> None:
    first, second, third = (waiting_order(f"o-{n}", "LAMP") for n in range(3))
    orders = FakeOrders({o.order_id: o for o in (first, second, third)}, {"o-1": [short("LAMP")]})
    lines = line_of(first, second, third)

    report = filler(lines, orders, []).fill("LAMP")

    assert report.confirmed == ["o-0"]
    assert orders.commits == ["o-0", "o-1"]  # o-2, younger, never takes units o-1 waits for
    assert orders.orders["o-0"].status == "CONFIRMED"
    assert lines.stopped == [("LAMP", "000#o-0")]


def test_an_order_short_of_another_sku_is_passed_over_and_the_walk_goes_on() -> None:
    held, after = waiting_order("o-0", "LAMP", "BULB"), waiting_order("o-1", "LAMP")
    orders = FakeOrders({"o-0": held, "o-1": after}, {"o-0": [short("BULB")]})

    report = filler(line_of(held, after), orders, []).fill("LAMP")

    assert (report.confirmed, report.skipped) == (["o-1"], ["o-0"])


def test_an_order_that_moved_on_is_read_again_at_once_and_dropped_when_it_no_longer_waits() -> None:
    order = waiting_order("o-0", "LAMP")
    orders = FakeOrders({"o-0": order}, {"o-0": [moved_on(order)]})
    lines = line_of(order)
    sleeps: list[float] = []

    def cancel_meanwhile(plan: OrderPlan, *, now: datetime, token: bool) -> Cancelled | None:
        orders.orders["o-0"] = order.model_copy(update={"status": "CANCELLED"})
        return moved_on(order)

    orders.commit = cancel_meanwhile  # type: ignore[method-assign]
    report = filler(lines, orders, sleeps).fill("LAMP")

    assert (report.confirmed, report.stale) == ([], 1)
    assert orders.reads == ["o-0", "o-0"]
    assert sleeps == []
    assert lines.stopped == [("LAMP", "000#o-0")]


def test_contention_pauses_and_tries_again() -> None:
    order = waiting_order("o-0", "LAMP")
    orders = FakeOrders({"o-0": order}, {"o-0": [CONTENDED, CONTENDED]})
    sleeps: list[float] = []

    report = filler(line_of(order), orders, sleeps).fill("LAMP")

    assert report.confirmed == ["o-0"]
    assert orders.commits == ["o-0"] * 3
    assert len(sleeps) == 2


def test_contention_on_every_attempt_gives_up_after_max_attempts() -> None:
    order = waiting_order("o-0", "LAMP")
    orders = FakeOrders({"o-0": order}, {"o-0": [CONTENDED] * (MAX_ATTEMPTS + 1)})
    sleeps: list[float] = []

    with pytest.raises(RuntimeError, match="kept changing"):
        filler(line_of(order), orders, sleeps).fill("LAMP")

    assert len(orders.commits) == MAX_ATTEMPTS
    assert len(sleeps) == MAX_ATTEMPTS - 1
