"""Customer behaviour (issue 18) against moto: orders through the orders stream into sales_aggregates, the
customer aggregates it keeps, and GET /analytics/customers and /analytics/customers/top on them.

The exactness test builds about three months of orders (Europe/Berlin business days, EUR and USD, web, pos
and shopify, cancellations, returns and refunds, guests, customers in three cohorts, orders arriving out of
order) and checks every figure against a computation written here from the orders themselves.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from collections import Counter, defaultdict
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from infra.spec import CUSTOMER_STATS, CUSTOMERS, ORDERS, SALES_AGGREGATES
from shared.dal.customer_stats import CustomerStatsStore
from shared.dal.dynamo import from_item
from shared.dal.orders import order_item
from shared.models.orders import Order
from shared.reports.customer_stats import Change, CustomerState, nonzero, recount
from shared.services.customer_stats import CustomerStatsAggregator
from tests.support.customer_orders import bought, cancelled, net, refunded, returned
from tests.support.http import ApiClient
from tests.support.local_aws import local_aws
from tests.support.streams import StreamDriver

TIMEZONE = "Europe/Berlin"
BERLIN = ZoneInfo(TIMEZONE)
MONTHS = ("2026-01", "2026-02", "2026-03")


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("OMS_TIMEZONE", TIMEZONE)
    with local_aws() as dynamodb:
        yield dynamodb


@pytest.fixture
def staff(aws: Any) -> ApiClient:
    return ApiClient("dev-staff-key")


def put(dynamodb: Any, *versions: Order) -> None:
    for version in versions:
        dynamodb.put_item(TableName=ORDERS.local_name, Item=order_item(version))


def stats(dynamodb: Any) -> CustomerStatsStore:
    return CustomerStatsStore(dynamodb, CUSTOMER_STATS.local_name)


def profile(dynamodb: Any, customer_id: str, name: str | None, erased: bool = False) -> None:
    item: dict[str, Any] = {
        "pk": {"S": f"CUSTOMER#{customer_id}"},
        "sk": {"S": "PROFILE"},
        "customer_id": {"S": customer_id},
        "created_at": {"S": "2026-01-01T00:00:00.000000Z"},
        "updated_at": {"S": "2026-01-01T00:00:00.000000Z"},
    }
    if name:
        item["name"] = {"S": name}
        item["email"] = {"S": f"{customer_id}@example.com"}
    if erased:
        item["erased_at"] = {"S": "2026-03-01T00:00:00.000000Z"}
    dynamodb.put_item(TableName=CUSTOMERS.local_name, Item=item)


def image(order: Order) -> dict[str, Any]:
    """An order as a stream record's image carries it (deserialised)."""
    return from_item(order_item(order)) or {}


# --- stream -> stats ----------------------------------------------------------------------------


def test_the_stream_keeps_the_customer_figures_and_a_redelivery_changes_nothing(
    aws: Any, staff: ApiClient
) -> None:
    first = bought("o1", "c1", "2026-01-20T10:00:00.000000Z", channel="web")
    second = bought("o2", "c1", "2026-02-04T10:00:00.000000Z", channel="pos", currency="USD")
    other = bought("o3", "c2", "2026-02-05T10:00:00.000000Z")
    guest = bought("g1", None, "2026-02-06T10:00:00.000000Z", channel="pos")
    put(aws, first, second, other, guest)
    driver = StreamDriver(SALES_AGGREGATES)
    driver.drain()
    answer = staff.get("/analytics/customers", query={"from": "2026-01", "to": "2026-02"})
    assert answer.status == 200, answer.body
    body = answer.json()
    january, february = body["months"]
    assert (january["customers"], january["new_customers"], january["orders"]) == (1, 1, 1)
    assert february["customers"] == 2
    assert (february["new_customers"], february["returning_customers"]) == (1, 1)
    assert (february["orders"], february["guest_orders"], february["orders_per_customer"]) == (2, 1, 1.0)
    assert february["repeat_purchase_rate"] == 0.5  # c1 has two orders, c2 one
    assert (february["second_orders"], february["average_days_to_second_order"]) == (1, 15.0)
    assert {c["channel"]: c["orders"] for c in february["channels"]} == {"pos": 2, "web": 1}
    assert body["cohorts"][0]["months"][1] == {"offset": 1, "month": "2026-02", "customers": 1, "share": 1.0}
    # one item per month and shard the orders touched (of the 16 asked for), one BatchGetItem
    assert body["statistics"] == {"items_read": len(stats(aws).months(MONTHS[:2])), "requests": 1}

    stored = stats(aws).months(MONTHS)
    driver.replay()  # every batch delivered again
    assert stats(aws).months(MONTHS) == stored
    assert staff.get("/analytics/customers", query={"from": "2026-01", "to": "2026-02"}).json() == body

    # the first order cancelled: c1's first order is now February's, and a cohort of February
    put(aws, cancelled(first, "2026-02-10T10:00:00.000000Z"))
    driver.drain()
    january, february = staff.get("/analytics/customers", query={"from": "2026-01", "to": "2026-02"}).json()[
        "months"
    ]
    assert (january["customers"], january["orders"]) == (0, 0)
    assert (february["customers"], february["new_customers"], february["returning_customers"]) == (2, 2, 0)
    assert (february["repeat_customers"], february["second_orders"]) == (0, 0)
    # c1 has no EUR order left: out of the EUR top list (its LTV item stays, at 0), still in the USD one
    eur = staff.get("/analytics/customers/top", query={"currency": "EUR"}).json()["items"]
    assert [(i["customer_id"], i["lifetime_value"]) for i in eur] == [("c2", "10.00")]
    usd = staff.get("/analytics/customers/top", query={"currency": "USD"}).json()["items"]
    assert [(i["customer_id"], i["orders"], i["first_order_day"]) for i in usd] == [("c1", 1, "2026-02-04")]


def test_a_conflicting_write_of_the_same_customer_is_read_again_and_retried(aws: Any) -> None:
    o1 = bought("o1", "c1", "2026-02-04T10:00:00.000000Z")
    o2 = bought("o2", "c1", "2026-01-30T10:00:00.000000Z", currency="USD")  # becomes the first
    store = stats(aws)

    class Interleaved:
        """The store, with o2 applied by another invocation right after o1's first read of c1."""

        def __init__(self) -> None:
            self.reads = 0
            self.applied: list[bool] = []

        def states(self, customer_ids: Any) -> dict[str, CustomerState]:
            found = store.states(customer_ids)
            self.reads += 1
            if self.reads == 1:
                CustomerStatsAggregator(store, BERLIN).order_changed("200", None, image(o2))
            return found

        def apply(self, order_id: str, sequence_number: str, change: Change, now: int) -> bool:
            applied = store.apply(order_id, sequence_number, change, now)
            self.applied.append(applied)
            return applied

    interleaved = Interleaved()
    moved = CustomerStatsAggregator(interleaved, BERLIN, sleep=lambda _: None).order_changed(
        "100", None, image(o1)
    )
    assert moved > 0
    assert interleaved.reads == 2  # read again after the conflict
    expected_counters, expected_states = recount([o1, o2], BERLIN)
    assert nonzero(store.months(MONTHS)) == expected_counters
    (state,) = store.states(["c1"]).values()
    assert (state.days, state.money) == (expected_states["c1"].days, expected_states["c1"].money)
    assert state.version == 2


# --- exactness ----------------------------------------------------------------------------------

CHANNELS = ("web", "pos", "shopify")


def histories() -> list[list[Order]]:
    """Each order's versions, the orders in the order they arrive (shuffled: an earlier order of a customer
    often arrives after a later one)."""
    rng = random.Random(18)
    found: list[list[Order]] = []
    serial = 0

    def moment(month: int) -> str:
        # hours up to 23: 23:xx UTC is the next business day in Berlin (the last of a month: the next month)
        day, hour = rng.randint(1, 28 if month != 1 else 31), rng.randint(0, 23)
        return f"2026-{month:02d}-{day:02d}T{hour:02d}:15:00.000000Z"

    def order(customer_id: str | None, month: int) -> list[Order]:
        nonlocal serial
        serial += 1
        placed = moment(month)
        first = bought(
            f"o{serial:03d}",
            customer_id,
            placed,
            currency=rng.choice(("EUR", "EUR", "USD")),
            channel=rng.choice(CHANNELS),
            price=f"{rng.randint(5, 60)}.{rng.choice(('00', '50', '99'))}",
            quantity=2,
            discounts=rng.choice(("0.00", "0.00", "1.50")),
        )
        later = (dt.datetime.fromisoformat(placed.replace("Z", "+00:00")) + dt.timedelta(days=3)).strftime(
            "%Y-%m-%dT%H:%M:%S.000000Z"
        )
        versions = [first]
        roll = rng.random()
        if roll < 0.15:
            versions.append(returned(first, later, "A", 1))
        elif roll < 0.25:
            versions.append(refunded(first, later, "3.00"))
        if rng.random() < 0.18:
            versions.append(cancelled(versions[-1], later.replace(":15:", ":45:")))
        return versions

    for c in range(36):
        cohort = 1 + c % 3
        for i in range(rng.choice((1, 1, 2, 2, 3, 4, 5))):
            found.append(order(f"cust-{c:02d}", cohort if i == 0 else min(3, cohort + rng.randint(0, 2))))
    for _ in range(10):
        found.append(order(None, rng.randint(1, 3)))
    rng.shuffle(found)
    return found


def day_of(order: Order) -> str:
    placed = order.placed_at or order.created_at
    return dt.datetime.fromisoformat(placed.replace("Z", "+00:00")).astimezone(BERLIN).date().isoformat()


def independent(final: list[Order]) -> dict[str, Any]:
    """Every figure, from the orders alone (nothing of shared.reports.customer_stats)."""
    counted = [o for o in final if o.status != "CANCELLED"]
    days: dict[str, list[str]] = defaultdict(list)
    for o in counted:
        if o.customer_id:
            days[o.customer_id].append(day_of(o))
    for customer in days.values():
        customer.sort()
    first_month = {c: d[0][:7] for c, d in days.items()}
    months: dict[str, dict[str, Any]] = {}
    for m in MONTHS:
        present = {c for c, d in days.items() if any(day.startswith(m) for day in d)}
        waits = [
            (dt.date.fromisoformat(d[1]) - dt.date.fromisoformat(d[0])).days
            for d in days.values()
            if len(d) >= 2 and d[1].startswith(m)
        ]
        in_month = [o for o in counted if day_of(o).startswith(m)]
        months[m] = {
            "customers": len(present),
            "new_customers": sum(first_month[c] == m for c in present),
            "returning_customers": sum(first_month[c] < m for c in present),
            "orders": sum(1 for o in in_month if o.customer_id),
            "guest_orders": sum(1 for o in in_month if not o.customer_id),
            "repeat_customers": sum(len(days[c]) >= 2 for c in present),
            "second_orders": len(waits),
            "average_days_to_second_order": (
                float((Decimal(sum(waits)) / len(waits)).quantize(Decimal("0.1"), ROUND_HALF_UP))
                if waits
                else None
            ),
            "channels": dict(Counter(o.channel for o in in_month)),
        }
    cohorts = {
        f: {
            "size": sum(first_month[c] == f for c in days),
            "active": [
                sum(1 for c, d in days.items() if first_month[c] == f and any(x.startswith(m) for x in d))
                for m in MONTHS[MONTHS.index(f) :]
            ],
        }
        for f in MONTHS
    }
    ltv: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for o in counted:
        if o.customer_id:
            ltv[o.currency][o.customer_id] += net(o)
    return {"months": months, "cohorts": cohorts, "ltv": ltv, "orders": {c: len(d) for c, d in days.items()}}


def test_every_figure_equals_a_count_from_the_orders(aws: Any, staff: ApiClient) -> None:
    orders = histories()
    for versions in orders:
        put(aws, *versions)
    StreamDriver(SALES_AGGREGATES).drain()
    final = [versions[-1] for versions in orders]
    expected = independent(final)
    assert sum(o.status == "CANCELLED" for o in final) >= 10
    assert sum(bool(o.returns) for o in final) >= 5 and sum(bool(o.refunds) for o in final) >= 5
    assert {o.currency for o in final} == {"EUR", "USD"}
    assert all(expected["cohorts"][m]["size"] >= 5 for m in MONTHS)

    body = staff.get("/analytics/customers", query={"from": MONTHS[0], "to": MONTHS[-1]}).json()
    for month in body["months"]:
        want = expected["months"][month["month"]]
        got = {name: month[name] for name in want if name != "channels"}
        got["channels"] = {c["channel"]: c["orders"] for c in month["channels"]}
        assert got == want, month["month"]
        customers = want["customers"]
        assert month["repeat_purchase_rate"] == round(want["repeat_customers"] / customers, 4)
        assert month["orders_per_customer"] == round(want["orders"] / customers, 2)
    for cohort in body["cohorts"]:
        want = expected["cohorts"][cohort["cohort"]]
        assert cohort["customers"] == want["size"]
        assert [m["customers"] for m in cohort["months"]] == want["active"]
    assert body["statistics"] == {"items_read": len(nonzero_shards(aws)), "requests": 1}

    for currency in ("EUR", "USD"):
        top = staff.get("/analytics/customers/top", query={"currency": currency, "top": 7}).json()
        values = expected["ltv"][currency]
        ranked = sorted(((v, c) for c, v in values.items() if v > 0), key=lambda r: (-r[0], r[1]))[:7]
        assert [(i["customer_id"], Decimal(i["lifetime_value"])) for i in top["items"]] == [
            (c, v) for v, c in ranked
        ]
        assert [i["orders"] for i in top["items"]] == [expected["orders"][c] for _, c in ranked]
        assert top["statistics"]["requests"] == 8 + 1  # a Query per shard, one BatchGetItem of names

    # the pure recount agrees with the stored counters and states
    counters, states = recount(final, BERLIN)
    store = stats(aws)
    assert nonzero(store.months(MONTHS)) == counters
    stored = store.states(sorted(states))
    assert {c: (s.days, s.money) for c, s in stored.items()} == {
        c: (s.days, s.money) for c, s in states.items()
    }


def nonzero_shards(dynamodb: Any) -> list[Any]:
    return [key for key in stats(dynamodb).months(MONTHS)]


# --- the routes ---------------------------------------------------------------------------------


def test_the_top_customers_are_named_live_and_an_erased_one_is_not(aws: Any, staff: ApiClient) -> None:
    put(
        aws,
        bought("o1", "c1", "2026-01-10T10:00:00.000000Z", price="50.00"),
        bought("o2", "c2", "2026-01-11T10:00:00.000000Z", price="40.00"),
        bought("o3", "c3", "2026-01-12T10:00:00.000000Z", price="30.00", currency="USD"),
    )
    profile(aws, "c1", "Ada Lovelace")
    profile(aws, "c2", None, erased=True)
    StreamDriver(SALES_AGGREGATES).drain()
    top = staff.get("/analytics/customers/top", query={"currency": "EUR"})
    assert top.status == 200, top.body
    assert top.json()["items"] == [
        {
            "rank": 1,
            "customer_id": "c1",
            "name": "Ada Lovelace",
            "erased": False,
            "lifetime_value": "50.00",
            "orders": 1,
            "first_order_day": "2026-01-10",
        },
        {
            "rank": 2,
            "customer_id": "c2",
            "name": None,
            "erased": True,
            "lifetime_value": "40.00",
            "orders": 1,
            "first_order_day": "2026-01-11",
        },
    ]
    assert [
        i["customer_id"]
        for i in staff.get("/analytics/customers/top", query={"currency": "USD"}).json()["items"]
    ] == ["c3"]
    # the customer-stats table holds no name, no email: names are read when asked
    scanned = aws.scan(TableName=CUSTOMER_STATS.local_name)["Items"]
    assert scanned and "Lovelace" not in str(scanned) and "example.com" not in str(scanned)
    assert ApiClient("dev-viewer-key").get("/analytics/customers/top").status == 403


@pytest.mark.parametrize(
    "query",
    [
        {"from": "2026-13", "to": "2026-12"},
        {"from": "2026-1", "to": "2026-12"},
        {"from": "2026-05", "to": "2026-04"},
        {"from": "2024-01", "to": "2026-01"},  # 25 months
        {"to": "0000-05"},  # its default from would be no month at all: never a 500
        {"from": "1999-12", "to": "2000-01"},
    ],
)
def test_a_range_it_cannot_answer_is_a_422(staff: ApiClient, query: dict[str, str]) -> None:
    answer = staff.get("/analytics/customers", query=query)
    assert answer.status == 422, answer.body
    assert answer.header("Content-Type") == "application/problem+json"


def test_top_is_bounded(staff: ApiClient) -> None:
    assert staff.get("/analytics/customers/top", query={"top": 101}).status == 422
    assert staff.get("/analytics/customers/top", query={"currency": "euro"}).status == 422
    assert staff.get("/analytics/customers/top", query={"top": 100}).status == 200


def test_a_twelve_month_table_reads_one_item_per_month_and_shard(aws: Any, staff: ApiClient) -> None:
    store = stats(aws)
    for month in ("2025-03", "2025-08", "2026-02"):
        for shard in range(8):
            store.put_month(month, shard, {"customers": 3, "new": 1, "returning": 2, "orders": 7})
    answer = staff.get("/analytics/customers", query={"from": "2025-03", "to": "2026-02"}).json()
    assert answer["statistics"] == {"items_read": 24, "requests": 1}  # of at most 12 x 8 = 96
    assert answer["months"][0]["customers"] == 24
    assert len(answer["months"]) == 12 and len(answer["cohorts"]) == 12
    full = staff.get("/analytics/customers", query={"from": "2024-03", "to": "2026-02"}).json()
    assert full["statistics"]["requests"] == 2  # 24 x 8 = 192 keys: two BatchGetItem


def test_the_parameters_are_documented(staff: ApiClient) -> None:
    document = staff.get("/openapi.json").json()
    for path, names in (
        ("/analytics/customers", {"from", "to"}),
        ("/analytics/customers/top", {"currency", "top"}),
    ):
        parameters = document["paths"][path]["get"]["parameters"]
        assert {p["name"] for p in parameters} == names
        assert all(p.get("description") for p in parameters), parameters


# --- the customer_behaviour report ----------------------------------------------------------------


def test_the_customer_behaviour_report_is_built_from_the_aggregates_without_names(
    aws: Any, staff: ApiClient
) -> None:
    import boto3

    from infra.spec import REPORTS_BUCKET, REPORTS_FUNCTION

    put(
        aws,
        bought("o1", "c1", "2026-01-10T10:00:00.000000Z"),
        bought("o2", "c1", "2026-02-10T10:00:00.000000Z", channel="pos"),
        bought("o3", "c2", "2026-02-11T10:00:00.000000Z"),
    )
    profile(aws, "c1", "Ada Lovelace")
    StreamDriver(SALES_AGGREGATES).drain()
    asked = staff.post("/reports", {"type": "customer_behaviour", "from": "2026-01-01", "to": "2026-02-28"})
    assert asked.status == 202, asked.body
    StreamDriver(REPORTS_FUNCTION).drain()
    report = staff.get(f"/reports/{asked.json()['report_id']}").json()
    assert report["status"] == "READY", report
    files = {f["format"]: f for f in report["files"]}
    assert set(files) == {"csv", "xlsx", "html"}
    s3 = boto3.client("s3")
    csv_text = (
        s3.get_object(Bucket=REPORTS_BUCKET.local_name, Key=files["csv"]["key"])["Body"].read().decode()
    )
    html = s3.get_object(Bucket=REPORTS_BUCKET.local_name, Key=files["html"]["key"])["Body"].read().decode()
    rows = list(csv.DictReader(io.StringIO(csv_text, newline="")))
    february = next(r for r in rows if r["section"] == "months" and r["month"] == "2026-02")
    assert (february["customers"], february["new_customers"], february["returning_customers"]) == (
        "2",
        "1",
        "1",
    )
    assert (february["repeat_purchase_rate"], february["average_days_to_second_order"]) == ("0.5000", "31.0")
    january = next(r for r in rows if r["section"] == "cohorts" and r["cohort"] == "2026-01")
    assert (january["customers"], january["month_0"], january["month_1"]) == ("1", "1.0000", "1.0000")
    assert "<svg" in html and "Months after the first order" in html
    for text in (csv_text, html):
        assert "Lovelace" not in text and "example.com" not in text
