"""`make bench`, analytics (issue 18): what the online figures read, at 1k and at 100k orders a day, and
what the aggregates add to each order's writes.

The reads are measured through the API routes (in-process, against moto) from the ``statistics`` each
answer carries, over aggregates seeded the way the streams leave them (each area's documented seeding:
``SalesStore.seed``, ``CustomerStatsStore.put_month``, the inventory stats' month items): the items hold
figures scaled to the orders a day, and as many items as the shop's periods, shards, channels, currencies
and SKUs make, which is the point: the cost must be the same at both volumes.

* a 2-year monthly trend (GET /analytics/trends, granularity=month, 24 whole months);
* a 12-month cohort table (GET /analytics/customers);
* 90-day inventory performance over 1k SKUs (GET /analytics/inventory, days=90, limit=1000);
* DynamoDB write requests per order change that the sales counters and the customer figures make
  (the orders stream's sales_aggregates), for a new customer's order, a returning customer's, a
  cancellation and a shipment.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter as Tally
from decimal import Decimal
from typing import Any

from tests.bench.__main__ import line, quiet

SCALES = (1_000, 100_000)  # orders a day
CHANNELS = ("web", "pos", "amazon")
CURRENCIES = ("EUR", "USD")
SKUS = 1_000
TREND_MONTHS = 24
COHORT_MONTHS = 12
INVENTORY_DAYS = 90
AS_OF = dt.date(2026, 11, 30)


def _months_back(last: dt.date, count: int) -> list[dt.date]:
    """The first days of ``count`` months ending with ``last``'s month, oldest first."""
    firsts = []
    month = last.replace(day=1)
    for _ in range(count):
        firsts.append(month)
        month = (month - dt.timedelta(days=1)).replace(day=1)
    return firsts[::-1]


def _seed_sales(per_day: int) -> None:
    """The month counters of the two years and of the two before (the previous period) in every shard:
    the total and each channel per currency, figures scaled to ``per_day`` orders, as the stream leaves
    them (``shared.dal.sales.partition``). A trend of whole months reads only month items, so the day and
    week items (as many at both volumes too) are not seeded: moto would take minutes to hold them."""
    from infra.spec import DAILY_SALES
    from shared.aws import client
    from shared.dal.dynamo import to_item
    from shared.dal.keys import ANALYTICS_SHARDS
    from shared.dal.sales import partition
    from shared.reports.periods import Period
    from shared.reports.sales import channel_key, total_key

    dynamodb = client("dynamodb")
    month_orders = Decimal(per_day * 30) / ANALYTICS_SHARDS / len(CHANNELS) / len(CURRENCIES)
    figures = {"orders": month_orders, "units": month_orders * 2, "gross": month_orders * 25}
    items = []
    for month in _months_back(AS_OF, 2 * TREND_MONTHS):
        for shard in range(ANALYTICS_SHARDS):
            pk = partition(Period("MONTH", f"{month:%Y-%m}"), shard)
            for currency in CURRENCIES:
                total = {k: v * len(CHANNELS) for k, v in figures.items()}
                items.append({"pk": pk, "sk": total_key(currency), **total})
                items += [{"pk": pk, "sk": channel_key(c, currency), **figures} for c in CHANNELS]
    for start in range(0, len(items), 25):
        batch = [{"PutRequest": {"Item": to_item(i)}} for i in items[start : start + 25]]
        dynamodb.batch_write_item(RequestItems={DAILY_SALES.local_name: batch})


def _seed_customers(per_day: int) -> None:
    from infra.spec import CUSTOMER_STATS
    from shared.aws import client
    from shared.dal.customer_stats import CustomerStatsStore
    from shared.dal.keys import ANALYTICS_SHARDS

    store = CustomerStatsStore(client("dynamodb"), CUSTOMER_STATS.local_name)
    months = [m.strftime("%Y-%m") for m in _months_back(AS_OF, COHORT_MONTHS)]
    per_shard = per_day * 30 // ANALYTICS_SHARDS
    for i, month in enumerate(months):
        for shard in range(ANALYTICS_SHARDS):
            fields: dict[str, Decimal | int] = {
                "customers": per_shard // 2,
                "new": per_shard // 4,
                "returning": per_shard // 4,
                "orders": per_shard,
                "repeat": per_shard // 5,
                "second_orders": per_shard // 10,
                "second_days": per_shard // 10 * 17,
                "guest_orders": per_shard // 20,
            }
            for cohort in months[: i + 1]:
                fields[f"cohort@{cohort}"] = per_shard // (4 * (i + 1))
            for channel in CHANNELS:
                fields[f"channel@{channel}"] = per_shard // len(CHANNELS)
            store.put_month(month, shard, fields)


def _seed_inventory(per_day: int) -> None:
    from infra.spec import CATALOG, INVENTORY_STATS
    from shared.aws import client
    from shared.dal import keys
    from shared.dal.dynamo import to_item
    from shared.dal.inventory_stats import months_of

    dynamodb = client("dynamodb")
    days = [(AS_OF - dt.timedelta(days=n)) for n in range(INVENTORY_DAYS)]
    months = months_of([d.isoformat() for d in days])
    sold = max(1, per_day // SKUS)
    products, stats = [], []
    for n in range(SKUS):
        sku = f"BENCH-{n:04d}"
        # A product item as the catalog keeps it (tests/integration/test_inventory_analytics.py's layout).
        products.append(
            {"pk": sku, "sk": "SKU", "listed": "PRODUCT", "name": sku, "price": Decimal("9.99"),
             "on_hand": sold * 40, "reserved": 0, "available": sold * 40}
        )  # fmt: skip
        for month in months:
            item: dict[str, Any] = {**(keys.month_key(sku, month)), "sku": {"S": sku}}
            for day in days:
                if day.isoformat().startswith(month):
                    item[f"sold_{day.day:02d}"] = {"N": str(sold)}
            stats.append(item)
    typed = [to_item(p) for p in products]
    for table, items in ((CATALOG.local_name, typed), (INVENTORY_STATS.local_name, stats)):
        for start in range(0, len(items), 25):
            batch = [{"PutRequest": {"Item": i}} for i in items[start : start + 25]]
            dynamodb.batch_write_item(RequestItems={table: batch})


def reads() -> None:
    from tests.support.http import ApiClient
    from tests.support.local_aws import local_aws

    last_month = _months_back(AS_OF, 1)[0]
    first_month = _months_back(AS_OF, TREND_MONTHS)[0]
    cohort_first = _months_back(AS_OF, COHORT_MONTHS)[0]
    for per_day in SCALES:
        with local_aws(), quiet():
            _seed_sales(per_day)
            _seed_customers(per_day)
            _seed_inventory(per_day)
            viewer = ApiClient("dev-viewer-key")
            trend = viewer.get(
                f"/analytics/trends?granularity=month&from={first_month}&to={AS_OF}&currency=EUR"
            ).json()
            cohorts = viewer.get(
                f"/analytics/customers?from={cohort_first:%Y-%m}&to={last_month:%Y-%m}"
            ).json()
            stock = viewer.get(f"/analytics/inventory?as_of={AS_OF}&days={INVENTORY_DAYS}&limit=1000").json()
        scale = f"{per_day // 1000}k orders/day"
        for name, answer in (
            (f"2-year monthly trend (1 currency), {scale}", trend),
            (f"12-month cohort table, {scale}", cohorts),
            (f"90-day inventory performance, 1k SKUs, {scale}", stock),
        ):
            stats = answer["statistics"]
            line(
                name,
                f"{stats['items_read']} items",
                f"{stats['requests']} requests; target: the same at 1k and 100k orders/day",
            )
        assert len(stock["items"]) == SKUS, "the inventory answer must cover every seeded SKU"
        assert [p["period"] for p in trend["series"][0]["points"]][-1] == f"{AS_OF:%Y-%m}"


def writes() -> None:
    """What the orders stream's aggregates write per order change, by kind of change."""
    from functions.sales_aggregates import wiring as sales_wiring
    from infra.spec import SALES_AGGREGATES
    from tests.support.http import ApiClient
    from tests.support.local_aws import RequestCounter, local_aws
    from tests.support.streams import StreamDriver

    with local_aws(), quiet():
        staff, web = ApiClient("dev-staff-key"), ApiClient("dev-web-key")
        staff.put("/products/BENCH-W", {"name": "Bench", "price": "5.00"})
        staff.put("/inventory/BENCH-W", {"on_hand": 1000})
        stream = StreamDriver(SALES_AGGREGATES)
        stream.drain()
        sales_wiring.sales_aggregator()
        counter = RequestCounter()

        def measured(action: Any) -> Tally[str]:
            stream.drain()
            action()
            counter.reset()
            stream.drain()
            return Tally(counter.calls)

        def place(email: str) -> str:
            body = {
                "customer": {"email": email, "name": "Bench"},
                "lines": [{"sku": "BENCH-W", "quantity": 1}],
            }
            return str(web.post("/orders", body).json()["order_id"])

        order_ids: list[str] = []
        new = measured(lambda: order_ids.append(place("new@example.com")))
        returning = measured(lambda: order_ids.append(place("new@example.com")))
        cancelled = measured(lambda: staff.post(f"/orders/{order_ids[1]}/cancel", {"reason": "bench"}))
        shipped = measured(
            lambda: staff.post(
                f"/orders/{order_ids[0]}/shipments", {"carrier": "ups", "tracking_number": "1Z1"}
            )
        )
    for name, calls in (
        ("new customer's order", new),
        ("returning customer's order", returning),
        ("cancellation", cancelled),
        ("shipment (a status counter only)", shipped),
    ):
        detail = ", ".join(f"{n} {op}" for op, n in sorted(calls.items())) or "nothing"
        line(
            f"aggregate requests: {name}",
            str(sum(calls.values())),
            f"{detail}; before issue 18: 1 TransactWriteItems (the counters, unsharded, no roll-ups)",
        )


def main() -> None:
    reads()
    writes()
