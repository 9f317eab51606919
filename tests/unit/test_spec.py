"""infra/spec.py against the code: handlers exist, environments fit, API routes agree with Powertools."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from infra.description import (
    SCHEDULED_TIME,
    TABLE_ACTIONS,
    Bucket,
    Function,
    Queue,
    QueueTrigger,
    ScheduleTrigger,
    StreamTrigger,
    Table,
    Throttle,
    Uses,
)
from infra.spec import (
    API,
    API_KEYS,
    AUTHORIZER,
    BUCKETS,
    BUSES,
    CATALOG,
    FUNCTIONS,
    HOOK_DELIVERIES,
    HOOK_THROTTLE,
    HOOKS,
    IMPORTS_BUCKET,
    KEYS,
    MARKETPLACE_ORDERS,
    ORDERS,
    QUEUES,
    REPORTS,
    REPORTS_BUCKET,
    REPORTS_FUNCTION,
    REPORTS_PREFIX,
    SCHEDULE_FAILURES,
    SECRETS_KEY,
    TABLES,
    WEBHOOKS_FUNCTION,
    function,
    function_environment,
)
from shared import config
from shared.config import DEFAULT_TIMEZONE, TIMEZONE_ENV

ROOT = Path(__file__).resolve().parents[2]
TABLE_VARIABLES = {table.env_var for table in TABLES}
SWAGGER_ASSETS = re.compile(r"^/swagger\.(css|js)$")


def physical(table: Table) -> str:
    return f"physical-{table.id}"


def module_functions(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}


@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda fn: fn.name)
def test_every_function_has_a_handler_module_with_lambda_handler(fn: Function) -> None:
    module, _, attribute = fn.handler.rpartition(".")
    path = ROOT.joinpath(*module.split(".")).with_suffix(".py")

    assert path == ROOT / "functions" / fn.name / "handler.py"
    assert path.is_file()
    assert attribute == "lambda_handler"
    assert "lambda_handler" in module_functions(path)


def test_function_names_are_unique_and_found_by_name() -> None:
    names = [fn.name for fn in FUNCTIONS]

    assert len(names) == len(set(names))
    assert all(function(name).name == name for name in names)
    with pytest.raises(KeyError):
        function("nope")


def queue_url(queue: Queue) -> str:
    return f"https://sqs.example/{queue.local_name}"


def bucket_name(bucket: Bucket) -> str:
    return f"physical-bucket-{bucket.id}"


def environment(fn: Function, timezone: str = DEFAULT_TIMEZONE) -> dict[str, str]:
    return function_environment(fn, physical, queue_url, bucket_name=bucket_name, timezone=timezone)


@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda fn: fn.name)
def test_environment_names_the_queues_a_function_sends_to_and_no_others(fn: Function) -> None:
    env = environment(fn)
    queue_vars = {q.env_var for q in QUEUES}
    assert {k: v for k, v in env.items() if k in queue_vars} == {q.env_var: queue_url(q) for q in fn.sends}


def test_a_function_that_sends_needs_queue_urls() -> None:
    with pytest.raises(ValueError, match="queue_url"):
        function_environment(function("marketplace_feed"), physical)


def test_a_function_that_uses_a_bucket_needs_bucket_names() -> None:
    with pytest.raises(ValueError, match="bucket_name"):
        function_environment(API, physical, queue_url)


@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda fn: fn.name)
def test_environment_names_exactly_the_buckets_a_function_uses(fn: Function) -> None:
    env = environment(fn)
    bucket_vars = {b.env_var for b in BUCKETS}
    assert {k: v for k, v in env.items() if k in bucket_vars} == {
        u.bucket.env_var: bucket_name(u.bucket) for u in fn.buckets
    }


@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda fn: fn.name)
def test_every_function_gets_the_business_time_zone(fn: Function) -> None:
    assert environment(fn)[TIMEZONE_ENV] == DEFAULT_TIMEZONE == "UTC"
    assert environment(fn, "Europe/Berlin")[TIMEZONE_ENV] == "Europe/Berlin"


def test_reports_are_read_by_the_api_and_written_by_the_reports_function_under_one_prefix() -> None:
    assert REPORTS_PREFIX == "reports/"
    assert [
        (fn.name, u.access, u.prefix) for fn in FUNCTIONS for u in fn.buckets if u.bucket is REPORTS_BUCKET
    ] == [
        ("api", "read", REPORTS_PREFIX),
        ("reports", "write", REPORTS_PREFIX),
    ]


def test_uploads_are_presigned_by_the_api_and_read_by_the_imports_function_only() -> None:
    assert [
        (fn.name, u.access, u.prefix) for fn in FUNCTIONS for u in fn.buckets if u.bucket is IMPORTS_BUCKET
    ] == [
        ("api", "upload", "uploads/"),  # a presigned PUT: s3:PutObject alone
        ("api", "read", "errors/"),  # a presigned GET of an error report
        ("imports", "read", "uploads/"),
        ("imports", "write", "errors/"),
        ("imports", "read_write", "plans/"),  # a planned upload's ETag and refused lines, for a redelivery
    ]
    assert {b.bucket for fn in FUNCTIONS for b in fn.buckets} == {REPORTS_BUCKET, IMPORTS_BUCKET}


def test_the_reports_function_runs_on_a_report_request_and_every_night() -> None:
    stream, schedule = REPORTS_FUNCTION.triggers
    assert isinstance(stream, StreamTrigger)
    assert (stream.table, stream.sort_key_prefixes, stream.batch_size) == (REPORTS, ("REPORT",), 1)
    assert REPORTS.stream
    assert isinstance(schedule, ScheduleTrigger)
    assert (schedule.hour, schedule.minute, schedule.cron) == (1, 0, "cron(0 1 * * ? *)")
    assert SCHEDULED_TIME in schedule.event.values()
    assert schedule.failures is SCHEDULE_FAILURES
    assert SCHEDULE_FAILURES in QUEUES


def test_schedule_cron_expressions_follow_the_trigger() -> None:
    trigger = ScheduleTrigger("Nightly", hour=23, minute=5, event={}, failures=SCHEDULE_FAILURES)
    assert trigger.cron == "cron(5 23 * * ? *)"


def test_the_products_and_key_channel_indexes_hold_keys_only_and_the_others_whole_items() -> None:
    projections = {(t.id, i.name): i.projection for t in TABLES for i in t.indexes}
    assert projections.pop((CATALOG.id, "products")) == "KEYS_ONLY"
    assert (
        projections.pop((CATALOG.id, "products_by_name")) == "KEYS_ONLY"
    )  # names only: stock never writes it
    # whether a channel has API keys: the hashes only, never a key's role or name
    assert projections.pop((API_KEYS.id, "by_channel")) == "KEYS_ONLY"
    # the tracking page's lookup by external id: the order's keys, then the order itself
    assert projections.pop(("Orders", "by_external_id")) == "KEYS_ONLY"
    assert set(projections.values()) == {"ALL"}


@pytest.mark.parametrize("fn", [fn for fn in FUNCTIONS if fn.triggers], ids=lambda fn: fn.name)
def test_triggered_queues_outlast_six_timeouts_plus_the_batching_window(fn: Function) -> None:
    for trigger in fn.triggers:
        if not isinstance(trigger, QueueTrigger):
            continue
        assert trigger.queue.visibility_timeout_s >= 6 * fn.timeout_s + trigger.max_batching_window_s
        assert trigger.queue.dead_letter is not None
        assert trigger.queue.dead_letter.retention_days >= trigger.queue.retention_days


@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda fn: fn.name)
def test_environment_names_exactly_the_tables_a_function_uses(fn: Function) -> None:
    env = environment(fn)

    used = {use.table.env_var: physical(use.table) for use in fn.uses}
    assert {k: v for k, v in env.items() if k in TABLE_VARIABLES} == used
    assert env["OMS_FUNCTION"] == fn.name
    assert env["POWERTOOLS_SERVICE_NAME"] == "oms"


def test_api_and_authorizer_tables() -> None:
    assert set(environment(function("api"))) & TABLE_VARIABLES == {
        "OMS_ORDERS_TABLE",
        "OMS_CATALOG_TABLE",
        "OMS_CUSTOMERS_TABLE",
        "OMS_REPORTS_TABLE",
        "OMS_CONNECTIONS_TABLE",
        "OMS_API_KEYS_TABLE",  # its channel index only (query_index): whether a channel has keys
        "OMS_IMPORTS_TABLE",  # POST /imports records a run; GET /imports reads them
        "OMS_WEBHOOKS_TABLE",  # webhook endpoints (admin) and their delivery log
        "OMS_NOTIFICATIONS_TABLE",  # notification settings and templates (issue 17)
        "OMS_CUSTOMER_STATS_TABLE",  # GET /analytics/customers and /analytics/customers/top (issue 18)
        "OMS_INVENTORY_STATS_TABLE",  # GET /analytics/inventory (issue 18)
        "OMS_DAILY_SALES_TABLE",  # today's units sold, read live (issue 18)
    }
    assert set(environment(function("authorizer"))) & TABLE_VARIABLES == {"OMS_API_KEYS_TABLE"}
    assert set(environment(function("hooks"))) & TABLE_VARIABLES == {
        "OMS_CONNECTIONS_TABLE",
        "OMS_HOOK_DELIVERIES_TABLE",
    }


def test_the_api_manages_the_api_keys_table_and_the_authorizer_only_reads_and_slides() -> None:
    """The API makes and ends sessions and people's keys (issue 16): no more than that; the authorizer
    reads keys and sessions and moves a session's expiry on, and writes no new item."""
    (use,) = [u for u in API.uses if u.table is API_KEYS]
    assert (use.access, use.index) == ("manage", None)
    assert set(TABLE_ACTIONS["manage"]) == {
        "dynamodb:GetItem",
        "dynamodb:BatchGetItem",
        "dynamodb:Query",
        "dynamodb:ConditionCheckItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:Scan",
    }
    (use,) = [u for u in AUTHORIZER.uses if u.table is API_KEYS]
    assert use.access == "read_update"
    assert set(TABLE_ACTIONS["read_update"]) == {
        "dynamodb:GetItem",
        "dynamodb:BatchGetItem",
        "dynamodb:Query",
        "dynamodb:ConditionCheckItem",
        "dynamodb:UpdateItem",
    }
    assert API_KEYS.ttl_attribute == "expires_at"  # sessions expire
    assert TABLE_ACTIONS["query_index"] == ("dynamodb:Query",)
    with pytest.raises(ValueError, match="index"):
        Uses(API_KEYS, "query_index")
    with pytest.raises(ValueError, match="no index"):
        Uses(API_KEYS, "query_index", index="by_role")
    with pytest.raises(ValueError, match="index"):
        Uses(API_KEYS, "read", index="by_channel")


def test_the_secrets_key_is_encrypt_for_the_api_and_decrypt_for_the_hooks() -> None:
    # Webhook endpoints' secrets too (issue 17): sealed by the API, opened by the webhooks function alone,
    # each bound to its endpoint ({"webhook": id}), never to a channel.
    assert [(u.key, u.access, u.context_key) for u in API.keys] == [
        (SECRETS_KEY, "encrypt", "channel"),
        (SECRETS_KEY, "encrypt", "webhook"),
    ]
    assert [(u.key, u.access, u.context_key) for u in HOOKS.keys] == [(SECRETS_KEY, "decrypt", "channel")]
    assert [(u.key, u.access, u.context_key) for u in WEBHOOKS_FUNCTION.keys] == [
        (SECRETS_KEY, "decrypt", "webhook")
    ]
    assert not any(
        u.key == SECRETS_KEY for fn in FUNCTIONS if fn not in (API, HOOKS, WEBHOOKS_FUNCTION) for u in fn.keys
    )
    assert environment(HOOKS)["OMS_SECRETS_KEY"] == environment(API)["OMS_SECRETS_KEY"] == "alias/oms-secrets"
    assert "OMS_SECRETS_KEY" not in environment(function("authorizer"))


def spec_variables() -> set[str]:
    """Every variable the spec names for a resource: tables, queues, buses, buckets, keys."""
    return (
        {t.env_var for t in TABLES}
        | {q.env_var for q in (*QUEUES, *(b.local_tap for b in BUSES if b.local_tap))}
        | {b.env_var for b in BUSES}
        | {b.env_var for b in BUCKETS}
        | {k.env_var for k in KEYS}
    )


def test_every_variable_the_spec_sets_is_a_name_from_shared_config() -> None:
    """One home per name: the spec sets, and the functions read, the constants of shared.config."""
    names = {value for name, value in vars(config).items() if name.endswith("_ENV")}

    assert spec_variables() <= names
    for fn in FUNCTIONS:
        assert {k for k in environment(fn) if k.startswith("OMS_")} <= names, fn.name
    assert (ORDERS.env_var, CATALOG.env_var, API_KEYS.env_var) == (
        config.ORDERS_TABLE_ENV,
        config.CATALOG_TABLE_ENV,
        config.API_KEYS_TABLE_ENV,
    )


INIT = "import importlib, sys; importlib.import_module(sys.argv[1])"


@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda fn: fn.name)
def test_every_handler_starts_with_exactly_the_environment_the_spec_gives_it(fn: Function) -> None:
    """A handler builds its collaborators at init, each from a variable it reads (``required``): in a fresh
    process whose only OMS_* variables are the ones the spec gives the function, none is missing."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMS_")}
    env.update(environment(fn))

    done = subprocess.run(
        [sys.executable, "-c", INIT, fn.handler.rpartition(".")[0]],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr[-2000:]


def powertools_routes() -> set[tuple[str, str]]:
    from functions.api.app import app

    routes = {(route.method, route.path) for route in [*app._static_routes, *app._dynamic_routes]}
    return {
        (method, re.sub(r"<(\w+)>", r"{\1}", path))
        for method, path in routes
        if not SWAGGER_ASSETS.match(path)
    }


def test_api_routes_in_the_spec_are_the_routes_of_the_resolver() -> None:
    spec_routes = {(route.method, route.path) for route in API.routes}

    assert len(spec_routes) == len(API.routes), "duplicate routes in the spec"
    assert powertools_routes() == spec_routes


def test_route_keys_agree_with_the_route_lists() -> None:
    from functions.api.app import app

    keys = {re.sub(r"<(\w+)>", r"{\1}", key) for key in app._route_keys}

    assert keys == {method + path for method, path in powertools_routes()}


def test_only_health_signing_in_the_swagger_redirect_the_webhooks_and_the_consoles_files_are_open() -> None:
    assert [(r.method, r.path) for fn in FUNCTIONS for r in fn.routes if not r.authorized] == [
        ("GET", "/health"),
        ("GET", "/swagger"),
        ("POST", "/session"),
        ("POST", "/hooks/shopify/{channel}"),
        ("POST", "/hooks/woocommerce/{channel}"),
        ("GET", "/console"),
        ("GET", "/console/{page}"),
        ("GET", "/console/{page}/{item}"),
        ("GET", "/track"),
        ("GET", "/track/{token}"),
    ]


def test_the_console_uses_nothing_but_its_files() -> None:
    """Static files: every datum on a page comes from the API, called by the browser with the session."""
    console = function("console")

    assert all(not r.authorized and r.method == "GET" for r in console.routes)
    assert (console.uses, console.sends, console.buckets, console.keys, console.publishes) == ((),) * 5
    assert console.dead_letters == () and console.triggers == ()


def test_only_the_api_hooks_and_console_functions_have_routes() -> None:
    assert [fn.name for fn in FUNCTIONS if fn.routes] == ["api", "hooks", "console", "tracking"]


def test_the_hook_routes_and_signing_in_have_their_own_throttle_and_the_others_none() -> None:
    throttled = {(r.method, r.path): r.throttle for fn in FUNCTIONS for r in fn.routes if r.throttle}
    assert throttled == {
        ("POST", "/session"): Throttle(rate_limit=20, burst_limit=40),
        ("POST", "/hooks/shopify/{channel}"): Throttle(rate_limit=50, burst_limit=100),
        ("POST", "/hooks/woocommerce/{channel}"): Throttle(rate_limit=50, burst_limit=100),
        ("GET", "/track"): Throttle(rate_limit=10, burst_limit=20),
        ("GET", "/track/{token}"): Throttle(rate_limit=10, burst_limit=20),
    }
    assert HOOK_THROTTLE.rate_limit < 100 and HOOK_THROTTLE.burst_limit < 200  # under the stage's limits


def test_the_hooks_send_to_the_feed_and_nothing_else() -> None:
    assert HOOKS.sends == (MARKETPLACE_ORDERS,)
    assert {(u.table.id, u.access) for u in HOOKS.uses} == {
        ("Connections", "read"),
        ("HookDeliveries", "read_write"),
    }
    assert HOOK_DELIVERIES.ttl_attribute == "expires_at"


# --- issue 17: the tracking key, the tracking function, OMS_PUBLIC_URL --------------------------------


def test_the_tracking_key_is_hmac_and_the_tracking_function_may_only_verify_with_it() -> None:
    from infra.spec import TRACKING, TRACKING_KEY

    assert (TRACKING_KEY.spec, TRACKING_KEY.alias, TRACKING_KEY.is_hmac) == (
        "HMAC_256",
        "alias/oms-tracking",
        True,
    )
    assert [(u.key, u.access) for u in TRACKING.keys] == [(TRACKING_KEY, "verify_mac")]
    assert [(u.table.id, u.access) for u in TRACKING.uses] == [("Orders", "read")]
    assert (TRACKING.sends, TRACKING.publishes, TRACKING.buckets, TRACKING.triggers) == ((),) * 4
    assert environment(TRACKING)["OMS_TRACKING_KEY"] == "alias/oms-tracking"


def test_a_mac_access_goes_only_with_an_hmac_key_and_encryption_only_with_a_symmetric_one() -> None:
    from infra.description import UsesKey
    from infra.spec import TRACKING_KEY

    for key, access in (
        (SECRETS_KEY, "generate_mac"),
        (SECRETS_KEY, "verify_mac"),
        (TRACKING_KEY, "decrypt"),
    ):
        with pytest.raises(ValueError, match="does not go with"):
            UsesKey(key, access)  # type: ignore[arg-type]
    assert UsesKey(TRACKING_KEY, "generate_mac").access == "generate_mac"


def test_public_url_is_refused_on_a_function_with_routes_and_set_locally_for_the_others() -> None:
    from infra.description import Route
    from infra.local.resources import local_function_environment

    with pytest.raises(ValueError, match="public_url"):
        Function(name="x", description="x", routes=(Route("GET", "/x"),), public_url=True)
    mailer = Function(name="mailer", description="x", public_url=True)
    env = local_function_environment(
        mailer, lambda q: q.local_name, "UTC", public_url="http://127.0.0.1:3001/"
    )
    assert env["OMS_PUBLIC_URL"] == "http://127.0.0.1:3001"
    assert "OMS_PUBLIC_URL" not in local_function_environment(API, lambda q: q.local_name, "UTC")
