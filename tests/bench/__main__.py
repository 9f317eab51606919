"""`make bench`: what an order costs. Measured, printed, never asserted with timers.

* DynamoDB requests per new order (warm and cold environment) and per replay, counted through
  botocore events against moto;
* write units per new order beside requests per replay;
* every function's init time in fresh processes in Lambda's layout, as a ratio to the floor of a bare
  `import boto3` plus the same client (A/B alternated, median of 9), against its target, and where the
  API's init goes (``OMS_BENCH=init`` runs these lines alone);
* handler time per request with AWS calls replaced by an instant fake;
* reports: see tests/bench/reports.py;
* imports (rows per second, write units per imported order, peak memory): see tests/bench/imports.py;
* the staff console (its size, its first load signed in): see tests/bench/console.py;
* webhooks (deliveries per second with the HTTP faked, DynamoDB requests per delivery): see
  tests/bench/webhooks.py;
* analytics (items read and requests for a 2-year monthly trend, a 12-month cohort table and 90 days of
  inventory performance over 1k SKUs, at 1k and 100k orders a day; the aggregates' requests per order
  change): see tests/bench/analytics.py.
"""

from __future__ import annotations

import json
import logging
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from pathlib import Path
from typing import Any

import tests.conftest  # noqa: F401 - the same fake credentials and table names as the tests

ROOT = Path(__file__).resolve().parents[2]
INIT_RUNS = 9
HANDLER_RUNS = 300
ORDER = {
    "customer": {"email": "bench@example.com", "name": "Bench"},
    "lines": [{"sku": "BENCH", "quantity": 1}],
}


@contextmanager
def quiet() -> Iterator[None]:
    """No log lines or metrics (EMF on stdout) between the bench's own lines."""
    logging.disable(logging.CRITICAL)
    with open(os.devnull, "w") as devnull, redirect_stdout(devnull):
        try:
            yield
        finally:
            logging.disable(logging.NOTSET)


def line(name: str, value: str, note: str = "") -> None:
    print(f"{name:<52} {value:>12}  {note}".rstrip(), flush=True)


# --- DynamoDB requests per order ------------------------------------------------------------


def requests_per_order() -> None:
    from tests.support.http import ApiClient
    from tests.support.local_aws import RequestCounter, local_aws

    with local_aws() as dynamodb, quiet():
        staff, web = ApiClient("dev-staff-key"), ApiClient("dev-web-key")
        staff.put("/products/BENCH", {"name": "Bench", "price": "1.00"})
        staff.put("/inventory/BENCH", {"on_hand": 1000})
        counter = RequestCounter()

        def measure(headers: dict[str, str] | None = None) -> list[str]:
            counter.reset()
            web.post("/orders", ORDER, headers=headers)
            return list(counter.calls)

        cold = measure()
        warm = [measure() for _ in range(20)]
        units = {}
        for keyed, headers in (
            ("with an idempotency key", {"Idempotency-Key": "bench-units"}),
            ("without", None),
        ):
            measure(headers)
            units[keyed] = counter.write_units(dynamodb)
        measure({"Idempotency-Key": "bench-replay"})
        replay = measure({"Idempotency-Key": "bench-replay"})
    warm_counts = {len(c) for c in warm}
    line(
        "dynamodb requests per new order (warm)",
        "/".join(map(str, sorted(warm_counts))),
        "target 1: " + ", ".join(warm[0]),
    )
    line("dynamodb requests per new order (cold environment)", str(len(cold)), ", ".join(cold))
    for keyed, value in units.items():
        line(
            f"write units per new order ({keyed})",
            str(value),
            "TransactWriteItems: 2 per started KB of each item",
        )
    line(
        "dynamodb requests per replay",
        str(len(replay)),
        ", ".join(replay) + " (nothing reserved); target <= 2",
    )


# --- init time --------------------------------------------------------------------------------

_FLOOR_INIT = "import boto3; boto3.session.Session().client('dynamodb')"
# Where the API's init goes beyond the floor, piece by piece (each includes the floor).
_API_PIECES = {
    "  + pydantic": _FLOOR_INIT + "; from pydantic import BaseModel",
    "  + Powertools Logger, Metrics, Tracer (X-Ray SDK on)": _FLOOR_INIT + "; import shared.observability",
    "  + Powertools REST resolver with validation": _FLOOR_INIT
    + "; from aws_lambda_powertools.event_handler import APIGatewayRestResolver;"
    " APIGatewayRestResolver(enable_validation=True)",
}
# Init / floor targets (issue 14): the authorizer is on every uncached request; a queue, stream or schedule
# consumer's cold start delays a whole batch; the HTTP functions (the API, and the hooks, which share its
# problem responses and resolver-free routing) answer one request each.
INIT_TARGETS = {
    "authorizer": 1.3,
    "api": 1.7,
    "hooks": 1.7,
    "marketplace_feed": 1.5,
    "stock_updates": 1.5,
    "inventory_events": 1.5,
    "order_events": 1.5,
    "sales_aggregates": 1.5,
    "reports": 1.5,
    "webhooks": 1.5,
    # The console reads its files and imports no AWS SDK, no Powertools: under the floor itself.
    "console": 1.0,
}


def _fresh_process_ms(code: str, env: dict[str, str]) -> float:
    """The CPU time ``code`` takes in a fresh process. CPU time, not wall time: init is CPU work (the
    imports' files are in the page cache after the first run), and on a machine shared with other work
    wall time counts theirs too; in Lambda an init has its vCPU to itself, so the two agree there."""
    script = f"import time; t = time.process_time(); {code}; print((time.process_time() - t) * 1000)"
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip().splitlines()[-1])


def lambda_environment(name: str) -> dict[str, str]:
    """A function's environment as Lambda gives it: the spec's (with the local names, as the local stack
    sets it), Powertools' Tracer on (the functions have active tracing), and the variables by which the
    X-Ray SDK and Powertools know they run in Lambda."""
    from infra.local.resources import local_function_environment
    from infra.spec import FUNCTIONS
    from shared.config import DEFAULT_TIMEZONE

    fn = next(f for f in FUNCTIONS if f.name == name)
    queue_url = "https://sqs.us-east-1.amazonaws.com/123456789012/{}".format
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("POWERTOOLS_TRACE")},
        **local_function_environment(fn, lambda queue: queue_url(queue.local_name), DEFAULT_TIMEZONE),
        "AWS_LAMBDA_FUNCTION_NAME": name,
        "LAMBDA_TASK_ROOT": str(ROOT),
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        "PYTHONDONTWRITEBYTECODE": "",  # a deployed package has its bytecode compiled
    }


def _ab(code: str, env: dict[str, str]) -> tuple[float, float]:
    """Medians of ``code`` and of the floor, in fresh processes, alternated so that machine noise hits
    both alike; bytecode caches written first."""
    _fresh_process_ms(code, env), _fresh_process_ms(_FLOOR_INIT, env)
    measured: list[float] = []
    floor: list[float] = []
    for _ in range(INIT_RUNS):
        floor.append(_fresh_process_ms(_FLOOR_INIT, env))
        measured.append(_fresh_process_ms(code, env))
    return statistics.median(measured), statistics.median(floor)


def init_time() -> None:
    """Every function's init (importing its handler, which builds its clients) as a ratio to the floor,
    each against its own target; then where the API's init goes."""
    for name, target in INIT_TARGETS.items():
        value, floor = _ab(f"import functions.{name}.handler", lambda_environment(name))
        ratio = value / floor
        line(
            f"{name} init / floor (median of {INIT_RUNS}, A/B)",
            f"{ratio:.2f}x",
            f"{value:.0f} ms vs {floor:.0f} ms; target <= {target}x: "
            + ("holds" if ratio <= target else "MISSED"),
        )
    env = lambda_environment("api")
    floor_samples: list[float] = []
    samples: dict[str, list[float]] = {name: [] for name in _API_PIECES}
    for code in _API_PIECES.values():
        _fresh_process_ms(code, env)
    for _ in range(INIT_RUNS):  # interleaved, so machine noise hits every variant alike
        floor_samples.append(_fresh_process_ms(_FLOOR_INIT, env))
        for name, code in _API_PIECES.items():
            samples[name].append(_fresh_process_ms(code, env))
    floor = statistics.median(floor_samples)
    line(f"api breakdown: floor, import boto3 + dynamodb client (median of {INIT_RUNS})", f"{floor:.0f} ms")
    for name, values in samples.items():
        value = statistics.median(values)
        line(f"{name} (median of {INIT_RUNS})", f"{value:.0f} ms", f"{value / floor:.2f}x floor")


# --- handler time without AWS -----------------------------------------------------------------


class InstantDynamo:
    """Answers the API's DynamoDB calls at once, so only the handler's own work is timed."""

    def __init__(self, order_item: dict[str, Any]) -> None:
        self._order = order_item

    def transact_write_items(self, **_: Any) -> dict[str, Any]:
        return {}

    def get_item(self, **_: Any) -> dict[str, Any]:
        return {"Item": self._order}

    def batch_get_item(self, **kw: Any) -> dict[str, Any]:
        return {"Responses": {}}


def handler_time() -> None:
    from datetime import UTC, datetime
    from decimal import Decimal

    from functions.api import wiring
    from functions.api.handler import lambda_handler
    from infra.local.gateway import proxy_event
    from infra.local.workers import LambdaContext
    from shared.aws import reset
    from shared.dal.orders import order_item
    from shared.domain.auth import Principal
    from shared.domain.orders import decide_new_order
    from shared.models.orders import NewOrder

    reset()
    service = wiring.order_service()
    plan = decide_new_order(
        NewOrder.model_validate(ORDER),
        principal=Principal("channel", "k", "web"),
        catalog_prices={"BENCH": Decimal("1.00")},
        order_id="bench-order",
        now=datetime.now(UTC),
        default_currency="USD",
    )
    assert not isinstance(plan, type(None))
    fake = InstantDynamo(order_item(plan.order))  # type: ignore[union-attr]
    service._orders._db = fake  # type: ignore[attr-defined]
    service._prices.store({"BENCH": Decimal("1.00")})  # type: ignore[attr-defined]
    authorizer = {"role": "channel", "channel": "web", "key_id": "bench"}
    post = proxy_event(
        "POST",
        "/orders",
        "/orders",
        {"Content-Type": "application/json"},
        body=json.dumps(ORDER).encode(),
        authorizer=authorizer,
    )
    get = proxy_event(
        "GET",
        "/orders/{order_id}",
        "/orders/bench-order",
        {},
        path_parameters={"order_id": "bench-order"},
        authorizer=authorizer,
    )
    context = LambdaContext("api", 1024, 10, "bench", deadline=time.monotonic() + 3600)

    import logging

    logging.disable(logging.CRITICAL)
    devnull = open(os.devnull, "w")  # noqa: SIM115 - metrics print EMF lines to stdout
    for name, event, expected in (("POST /orders", post, 201), ("GET /orders/{id}", get, 200)):
        samples = []
        for _ in range(HANDLER_RUNS):
            stdout, sys.stdout = sys.stdout, devnull
            try:
                start = time.perf_counter()
                result = lambda_handler(event, context)
                samples.append((time.perf_counter() - start) * 1000)
            finally:
                sys.stdout = stdout
            assert result["statusCode"] == expected, result
        line(
            f"handler time {name}, AWS calls excluded (median)",
            f"{statistics.median(samples):.2f} ms",
            f"p95 {statistics.quantiles(samples, n=20)[-1]:.2f} ms",
        )
    reset()


# --- the queue consumers --------------------------------------------------------------------


def sqs_runner(lambda_handler: Any, context: Any, counter: Any) -> Any:
    """Run a queue consumer on a batch of messages; returns the DynamoDB requests it made."""
    from infra.local.pollers import sqs_event

    def run(messages: list[dict[str, Any]]) -> list[str]:
        counter.reset()
        response = lambda_handler(sqs_event(messages, "arn:aws:sqs:us-east-1:0:bench"), context)
        assert response == {"batchItemFailures": []}, response
        return list(counter.calls)

    return run


FEED_BATCHES = 100


def _feed_message(n: int, quantity: int = 1) -> dict[str, Any]:
    body = {
        "marketplace": "generic",
        "order": {
            "external_id": f"BENCH-{n}",
            "customer": {"email": "bench@example.com", "name": "Bench"},
            "lines": [{"sku": "BENCH", "quantity": quantity, "unit_price": "1.00"}],
        },
    }
    text = json.dumps(body)
    return {
        "MessageId": f"m-{n}",
        "ReceiptHandle": f"r-{n}",
        "Body": text,
        "Attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "0"},
        "MD5OfBody": "",
    }


def feed() -> None:
    from decimal import Decimal

    from functions.marketplace_feed import handler, wiring
    from infra.local.workers import LambdaContext
    from infra.spec import CATALOG
    from shared.dal.catalog import CatalogStore
    from shared.dal.inventory import InventoryStore
    from shared.services.stock import StockService
    from tests.support.local_aws import RequestCounter, local_aws

    with local_aws() as dynamodb:
        catalog = CatalogStore(dynamodb, CATALOG.local_name)
        catalog.put_product("BENCH", "Bench", Decimal("1.00"), "now")
        stock = StockService(InventoryStore(dynamodb, CATALOG.local_name))
        stock.count("BENCH", 1_000_000, location="default", actor="bench", update_id=None)
        context = LambdaContext("marketplace_feed", 512, 30, "bench", deadline=time.monotonic() + 3600)
        counter = RequestCounter()

        run = sqs_runner(handler.lambda_handler, context, counter)

        with quiet():
            new = run([_feed_message(0)])
            redelivered = run([_feed_message(0)])
            update_warm = run([_feed_message(0, quantity=2)])
            replay_warm = run([_feed_message(0, quantity=2)])
            service = wiring.feed()._orders  # type: ignore[attr-defined]
            forget = service._known.__init__  # a cold environment: it has seen no order yet
            cold_redelivered = (forget(), run([_feed_message(0, quantity=2)]))[1]
            update_cold = (forget(), run([_feed_message(0, quantity=3)]))[1]
            stock.count("BENCH", 0, location="default", actor="bench", update_id=None)
            backordered = run([_feed_message(1)])
            # Throughput of the handler itself: DynamoDB answered at once by a fake, as for the API's
            # handler time (moto copies every table on each transaction, which would be all we measured).
            store = wiring.feed()._orders._orders  # type: ignore[attr-defined]
            real_db, store._db = store._db, InstantDynamo({})
            start = time.perf_counter()
            for batch in range(FEED_BATCHES):
                run([_feed_message(100 + batch * 10 + i) for i in range(10)])
            elapsed = time.perf_counter() - start
            store._db = real_db
    line("dynamodb requests per feed message (new order)", str(len(new)), "target 1: " + ", ".join(new))
    line(
        "dynamodb requests per feed message (redelivered)",
        str(len(redelivered)),
        "target <= 1: " + (", ".join(redelivered) or "none: this environment wrote that version"),
    )
    line(
        "dynamodb requests per feed message (redelivered, cold)",
        str(len(cold_redelivered)),
        "target <= 1: " + ", ".join(cold_redelivered),
    )
    line(
        "dynamodb requests per update message (applies)",
        str(len(update_warm)),
        "target 1 write: " + ", ".join(update_warm),
    )
    line(
        "dynamodb requests per update message (replay)",
        str(len(replay_warm)),
        "target <= 1: " + (", ".join(replay_warm) or "none"),
    )
    line(
        "dynamodb requests per update message (applies, cold)",
        str(len(update_cold)),
        ", ".join(update_cold),
    )
    line("dynamodb requests per feed message (backordered)", str(len(backordered)), ", ".join(backordered))
    line(
        f"feed messages per second, batches of 10, AWS calls excluded ({FEED_BATCHES} batches)",
        f"{FEED_BATCHES * 10 / elapsed:.0f}/s",
        "one process, in-process handler",
    )


# --- the hook routes -----------------------------------------------------------------------------


def hooks() -> None:
    """DynamoDB requests per Shopify webhook: the connection is read once per environment (its secrets
    are cached), then a delivery is its dedup check and its claim; a resend is the check alone."""
    from shared.domain.hooks import sign
    from tests.support.http import ApiClient
    from tests.support.local_aws import RequestCounter, local_aws

    secret = "shpss_bench_0123456789abcdef"
    body = Path("tests/fixtures/shopify/orders_create.json").read_bytes()

    def deliver(client: ApiClient, webhook_id: str) -> None:
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Hmac-Sha256": sign(body, secret),
            "X-Shopify-Topic": "orders/create",
            "X-Shopify-Webhook-Id": webhook_id,
        }
        reply = client.post("/hooks/shopify/bench-shop", key=None, raw=body, headers=headers)
        assert reply.status == 200, reply.json()

    with local_aws(), quiet():
        admin = ApiClient("dev-admin-key")  # connections are an admin's
        assert (
            admin.put("/channels/bench-shop/connection", {"platform": "shopify", "secret": secret}).status
            == 201
        )
        counter = RequestCounter()
        runs = []
        for webhook_id in ("bench-1", "bench-2", "bench-2"):
            counter.reset()
            deliver(admin, webhook_id)
            runs.append(list(counter.calls))
    cold, warm, resend = runs
    line("dynamodb requests per hook request (cold environment)", str(len(cold)), ", ".join(cold))
    line("dynamodb requests per hook request (warm)", str(len(warm)), ", ".join(warm))
    line("dynamodb requests per hook request (resent)", str(len(resend)), ", ".join(resend) or "none")


# --- the warehouse stock feed -------------------------------------------------------------------


def _stock_message(n: int, **fields: Any) -> dict[str, Any]:
    from datetime import UTC, datetime, timedelta

    as_of = (datetime.now(UTC) + timedelta(milliseconds=n)).isoformat()
    body = {"sku": "BENCH", "source": "bench", "as_of": as_of, "update_id": f"u-{n}", **fields}
    return {**_feed_message(n), "Body": json.dumps(body)}


def stock_feed() -> None:
    from decimal import Decimal

    from functions.stock_updates import handler
    from infra.local.workers import LambdaContext
    from infra.spec import CATALOG
    from shared.dal.catalog import CatalogStore
    from tests.support.local_aws import RequestCounter, local_aws

    with local_aws() as dynamodb:
        catalog = CatalogStore(dynamodb, CATALOG.local_name)
        for sku in ["BENCH"] + [f"BENCH-{i}" for i in range(10)]:
            catalog.put_product(sku, "Bench", Decimal("1.00"), "now")
        context = LambdaContext("stock_updates", 512, 30, "bench", deadline=time.monotonic() + 3600)
        counter = RequestCounter()

        run = sqs_runner(handler.lambda_handler, context, counter)

        with quiet():
            cold_count = run([_stock_message(0, on_hand=100)])
            delta = run([_stock_message(1, delta=-1)])
            warm_count = run([_stock_message(2, on_hand=90)])
            redelivered = run([_stock_message(1, delta=-1)])
            one_sku = run([_stock_message(10 + i, delta=1) for i in range(10)])
            spread = [
                {**m, "Body": m["Body"].replace('"BENCH"', f'"BENCH-{i}"')}
                for i, m in enumerate(_stock_message(30 + i, on_hand=5) for i in range(10))
            ]
            ten_skus = run(spread)
    line("dynamodb requests per stock message (delta)", str(len(delta)), "target <= 1: " + ", ".join(delta))
    line("dynamodb requests per stock message (count, warm)", str(len(warm_count)), ", ".join(warm_count))
    line(
        "dynamodb requests per stock message (count, cold)",
        str(len(cold_count)),
        "the level is read once per environment: " + ", ".join(cold_count),
    )
    line("dynamodb requests per stock message (redelivered)", str(len(redelivered)), ", ".join(redelivered))
    line(
        "dynamodb requests per stock message (10, one SKU)",
        f"{len(one_sku) / 10:.1f}",
        f"{len(one_sku)} for the batch, coalesced",
    )
    line(
        "dynamodb requests per stock message (10 SKUs, cold)",
        f"{len(ten_skus) / 10:.1f}",
        f"{len(ten_skus)} for the batch: one read for all, one write each",
    )


def main() -> int:
    print("OMS benchmark (make bench)")
    if os.environ.get("OMS_BENCH") == "init":  # only the init lines (a minute or two, not several)
        init_time()
        return 0
    requests_per_order()
    feed()
    hooks()
    stock_feed()
    init_time()
    handler_time()
    from tests.bench import analytics, console, imports, reports, webhooks

    reports.main()
    imports.main()
    webhooks.main()
    analytics.main()
    console.main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
