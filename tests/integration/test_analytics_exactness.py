"""Three months of orders (EUR and USD, four channels, customers in several monthly cohorts, line and order
discounts, shipping, taxes on top and included, cancellations, returns, refunds with and without lines)
exported day by day as the function does, then queried with DuckDB as ``oms sql`` does: the totals equal
the daily counters' recount of the same orders, and the named queries equal an independent computation
written here from the orders themselves."""

from __future__ import annotations

import datetime as dt
import gzip
import random
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import pytest

from infra.analytics_queries import REPEAT_RATE_BY_COHORT, REVENUE_BY_MONTH_AND_CHANNEL
from infra.analytics_sql import run
from shared.models.orders import HistoryEntry, Order, order_total
from shared.reports.sales import parse_counter, recount
from shared.services.analytics_export import AnalyticsExport
from tests.support.report_orders import BERLIN, line, moved, refunded, returned

D = Decimal
START = dt.date(2026, 8, 1)
DAYS = 92  # August to October
CHANNELS = ("web", "pos", "amazon", "shopify")


def at(day: dt.date, hour: int) -> str:
    return f"{day.isoformat()}T{hour:02d}:15:00.000000Z"


def orders(seed: int = 18) -> list[Order]:
    rng = random.Random(seed)
    made: list[Order] = []
    for n in range(420):
        day = START + dt.timedelta(days=rng.randrange(DAYS - 7))  # its returns and refunds within the range
        currency = "EUR" if n % 3 else "USD"
        lines = [
            line(
                f"SKU-{rng.randrange(12)}",
                rng.randint(1, 4),
                f"{rng.randint(3, 80)}.{rng.choice(('00', '50', '99'))}",
            )
            for _ in range(rng.randint(1, 3))
        ]
        if rng.random() < 0.3:  # a discount on the first line
            first = lines[0]
            lines[0] = first.model_copy(update={"discount": (first.line_total / 10).quantize(D("0.01"))})
        subtotal = sum((item.line_total for item in lines), D(0))
        discounts = sum((item.discount for item in lines), D(0)) + (D("2.00") if rng.random() < 0.2 else D(0))
        shipping = D(rng.choice(("0.00", "4.90", "9.90")))
        included = rng.random() < 0.5
        taxes = (subtotal / 10).quantize(D("0.01"))
        placed = at(day, rng.randint(0, 22))
        order = Order(
            order_id=f"x{n:04d}",
            status="CONFIRMED",
            channel=rng.choice(CHANNELS),
            currency=currency,
            lines=lines,
            subtotal=subtotal,
            discount_total=discounts,
            shipping_total=shipping,
            tax_total=taxes,
            taxes_included=included,
            total=order_total(subtotal, discounts, shipping, taxes, included),
            placed_at=placed,
            created_at=placed,
            updated_at=placed,
            history=[HistoryEntry(status="CONFIRMED", at=placed, actor="test")],
            # cohorts: a customer's first order month depends on where its orders fall; some guests
            customer_id=None if rng.random() < 0.1 else f"c{rng.randrange(90)}",
        )
        fate = rng.random()
        later = day + dt.timedelta(days=rng.randint(1, 5))
        if fate < 0.12:
            order = moved(order, "CANCELLED", at(later, 9))
        elif fate < 0.25:
            order = returned(moved(order, "SHIPPED", at(later, 8)), at(later, 12), lines[0].sku, 1)
        elif fate < 0.32:
            order = refunded(order, at(later, 10), "3.00")  # money only
        elif fate < 0.38:  # refunded, then cancelled: the refund is taken back with everything else
            order = moved(refunded(order, at(later, 10), "1.50"), "CANCELLED", at(later, 11))
        made.append(order)
    return made


class Writer:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._rows: list[bytes] = []
        self.records = 0

    def write(self, record: bytes) -> None:
        self._rows.append(record)
        self.records += 1

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if kind is None:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            self._path.write_bytes(gzip.compress(b"".join(self._rows), mtime=0))


class Directory:
    """The bucket's layout on disk: what ``oms sql`` copies into its cache."""

    def __init__(self, root: Path) -> None:
        self._root = root

    def writer(self, key: str) -> Writer:
        return Writer(self._root / key)


class Orders:
    def __init__(self, all_orders: list[Order]) -> None:
        self._orders = all_orders
        self.items_read = 0

    def placed_between(self, start: str, end: str) -> Any:
        for order in self._orders:
            if start <= (order.placed_at or order.created_at) < end:
                self.items_read += 1
                yield order


class NoStockouts:
    items_read = 0

    def stockouts_on(self, day: str) -> Any:
        return iter(())


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Order]]:
    made = orders()
    root = tmp_path_factory.mktemp("export")
    done = AnalyticsExport(lambda: Orders(made), NoStockouts, Directory(root), BERLIN).export(
        START, START + dt.timedelta(days=DAYS - 1)
    )
    assert done.orders == len(made)
    return root, made


def test_the_fixture_has_what_the_figures_must_survive(exported: tuple[Path, list[Order]]) -> None:
    _, made = exported
    assert {o.currency for o in made} == {"EUR", "USD"}
    assert sum(o.status == "CANCELLED" for o in made) > 30
    assert sum(bool(o.returns) for o in made) > 30 and sum(bool(o.refunds) for o in made) > 30
    assert len({o.placed_at[:7] for o in made if o.placed_at}) == 3  # three months, three cohorts at least


def test_totals_equal_the_counters_recount(exported: tuple[Path, list[Order]]) -> None:
    root, made = exported
    counted: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for (_, what), fields in recount(made, BERLIN).items():
        counter = parse_counter(what)
        if counter is not None and counter.kind == "TOTAL":
            for name, value in fields.items():
                counted[counter.currency][name] += value
    result = run(
        root,
        """SELECT currency, count(*), sum(units), sum(gross_sales), sum(discounts), sum(returns),
                  sum(shipping), sum(taxes), sum(included_taxes), sum(net_sales), sum(total_sales)
           FROM orders WHERE NOT cancelled GROUP BY currency ORDER BY currency""",
    )
    assert [r[0] for r in result.rows] == ["EUR", "USD"]
    for (
        currency,
        orders_,
        units,
        gross,
        discounts,
        returns,
        shipping,
        taxes,
        included,
        net,
        total,
    ) in result.rows:
        c = counted[currency]
        assert (orders_, units) == (c["orders"], c["units"])
        assert (gross, discounts, returns) == (c["gross"], c["discounts"], c["returns"])
        assert (shipping, taxes, included) == (c["shipping"], c["taxes"], c["included_taxes"])
        assert net == c["gross"] - c["discounts"] - c["returns"]
        assert total == net + c["shipping"] + c["taxes"] - c["included_taxes"]


def test_revenue_by_month_and_channel_equals_the_orders(exported: tuple[Path, list[Order]]) -> None:
    root, made = exported
    expected: dict[tuple[str, str, str], list[Any]] = defaultdict(lambda: [0, D(0)])
    for order in made:
        if order.status == "CANCELLED":
            continue
        placed = dt.datetime.fromisoformat(str(order.placed_at).replace("Z", "+00:00")).astimezone(BERLIN)
        key = (placed.strftime("%Y-%m"), order.channel, order.currency)
        expected[key][0] += 1
        expected[key][1] += sum((item.line_total for item in order.lines), D(0))
    result = run(root, REVENUE_BY_MONTH_AND_CHANNEL.sql)
    assert [(r[0], r[1], r[2], r[3], r[5]) for r in result.rows] == [
        (*key, count, gross) for key, (count, gross) in sorted(expected.items())
    ]


def test_repeat_rate_by_cohort_equals_the_orders(exported: tuple[Path, list[Order]]) -> None:
    root, made = exported
    months: dict[str, list[str]] = defaultdict(list)
    for order in made:
        if order.status != "CANCELLED" and order.customer_id is not None:
            placed = dt.datetime.fromisoformat(str(order.placed_at).replace("Z", "+00:00")).astimezone(BERLIN)
            months[order.customer_id].append(placed.strftime("%Y-%m"))
    cohorts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for placed_months in months.values():
        cohorts[min(placed_months)][0] += 1
        cohorts[min(placed_months)][1] += len(placed_months) > 1
    result = run(root, REPEAT_RATE_BY_COHORT.sql)
    assert [(r[0], r[1], r[2]) for r in result.rows] == [
        (k, n, again) for k, (n, again) in sorted(cohorts.items())
    ]
    assert all(r[3] == round(r[2] / r[1], 4) for r in result.rows)
    assert len(result.rows) >= 2
