"""What importing each function's handler loads, pinned: cold start cannot creep back unnoticed.

For every function of ``infra.spec.FUNCTIONS``, its handler is imported in a fresh process laid out as
Lambda lays it out (the repository root first on ``sys.path``, the function's environment as the local
stack builds it from the spec), and the project modules it loaded (``shared.*``, ``functions.*``; empty
package ``__init__`` files left out) are compared with the set pinned here. Deterministic, not timed.

Each pinned set was reviewed to hold only modules the function calls. A new import shows up as a
failure naming it: if the function calls it, pin it; if not, import it where it is used instead (in
the builder of ``functions/<name>/wiring.py`` that needs it, or inside the function that needs it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from infra.local.resources import local_function_environment
from infra.spec import FUNCTIONS, Function
from shared.config import DEFAULT_TIMEZONE

ROOT = Path(__file__).resolve().parents[2]


def _pin(text: str) -> frozenset[str]:
    return frozenset(text.split())


PINNED: dict[str, frozenset[str]] = {
    name: _pin(text)
    for name, text in {
        "authorizer": """
            functions.authorizer.handler
            shared.aws
            shared.config
            shared.dal.api_keys
            shared.dal.dynamo
            shared.dal.sessions
            shared.domain.auth
            shared.domain.channels
            shared.domain.sessions
            shared.masking
            shared.observability
            shared.patterns
        """,
        "api": """
            functions.api.app
            functions.api.handler
            functions.api.routes.alarms
            functions.api.routes.analytics_customers
            functions.api.routes.analytics_inventory
            functions.api.routes.analytics_trends
            functions.api.routes.catalog
            functions.api.routes.connections
            functions.api.routes.customers
            functions.api.routes.dead_letters
            functions.api.routes.imports
            functions.api.routes.inventory
            functions.api.routes.keys
            functions.api.routes.listings
            functions.api.routes.meta
            functions.api.routes.notifications
            functions.api.routes.orders
            functions.api.routes.reports
            functions.api.routes.session
            functions.api.routes.webhooks
            functions.api.wiring
            shared.aws
            shared.config
            shared.dal.alarms
            shared.dal.catalog
            shared.dal.connections
            shared.dal.cursors
            shared.dal.customers
            shared.dal.dead_letters
            shared.dal.dynamo
            shared.dal.inventory
            shared.dal.keys
            shared.dal.listings
            shared.dal.orders
            shared.dal.webhooks
            shared.domain.auth
            shared.domain.channels
            shared.domain.connections
            shared.domain.customers
            shared.domain.dead_letters
            shared.domain.hooks
            shared.domain.inventory
            shared.domain.lifecycle
            shared.domain.moments
            shared.domain.notifications
            shared.domain.orders
            shared.domain.quantities
            shared.domain.sessions
            shared.domain.tracking
            shared.domain.webhooks
            shared.http
            shared.json_depth
            shared.masking
            shared.models.alarms
            shared.models.catalog
            shared.models.common
            shared.models.connections
            shared.models.customer_analytics
            shared.models.customers
            shared.models.dead_letters
            shared.models.events
            shared.models.imports
            shared.models.inventory
            shared.models.inventory_analytics
            shared.models.keys
            shared.models.notifications
            shared.models.orders
            shared.models.reports
            shared.models.sessions
            shared.models.trends
            shared.models.webhooks
            shared.observability
            shared.openapi
            shared.outbound
            shared.patterns
            shared.problem_errors
            shared.problems
            shared.reports
            shared.reports.days
            shared.reports.inventory_performance
            shared.retry
            shared.security_headers
            shared.services.alarms
            shared.services.connections
            shared.services.customers
            shared.services.dead_letters
            shared.services.import_uploads
            shared.services.orders
            shared.services.reports
            shared.services.stock
            shared.services.webhooks
            shared.snapstart
        """,
        "imports": """
            functions.imports.handler
            functions.imports.wiring
            shared.aws
            shared.config
            shared.currencies
            shared.dal.keys
            shared.dal.queues
            shared.domain.customers
            shared.domain.dead_letters
            shared.domain.moments
            shared.json_depth
            shared.marketplaces
            shared.marketplaces.channel_documents
            shared.marketplaces.documents
            shared.marketplaces.money
            shared.marketplaces.shopify
            shared.masking
            shared.models.channels
            shared.models.common
            shared.models.imports
            shared.models.inventory
            shared.models.orders
            shared.observability
            shared.patterns
            shared.services.import_jobs
            shared.services.import_uploads
            shared.services.messages
            shared.transfer
            shared.transfer.cells
            shared.transfer.files
            shared.transfer.formats
            shared.transfer.oms
            shared.transfer.records
            shared.transfer.shopify
        """,
        # Static files: the page shell, its scripts and Swagger UI's files, read once (issue 16).
        # Bus events and delivery messages: every one of them reads the webhooks table, signs and sends (the
        # order's model is the data of order.* deliveries).
        "webhooks": """
            functions.webhooks.handler
            functions.webhooks.wiring
            shared.aws
            shared.config
            shared.dal.cursors
            shared.dal.dynamo
            shared.dal.queues
            shared.dal.webhooks
            shared.domain.dead_letters
            shared.domain.moments
            shared.domain.webhooks
            shared.json_depth
            shared.masking
            shared.metric_names
            shared.models.common
            shared.models.events
            shared.models.imports
            shared.models.inventory
            shared.models.orders
            shared.observability
            shared.outbound
            shared.patterns
            shared.services.webhooks
        """,
        # issue 17: the orders store (GetItem of the order) brings its writers' modules with it.
        "notifications": """
            functions.notifications.handler
            functions.notifications.wiring
            shared.aws
            shared.config
            shared.dal.catalog
            shared.dal.connections
            shared.dal.cursors
            shared.dal.customers
            shared.dal.dynamo
            shared.dal.inventory
            shared.dal.keys
            shared.dal.mailer
            shared.dal.notifications
            shared.dal.orders
            shared.domain.auth
            shared.domain.channels
            shared.domain.connections
            shared.domain.customers
            shared.domain.hooks
            shared.domain.inventory
            shared.domain.moments
            shared.domain.notifications
            shared.domain.orders
            shared.domain.quantities
            shared.masking
            shared.models.catalog
            shared.models.common
            shared.models.customers
            shared.models.events
            shared.models.imports
            shared.models.inventory
            shared.models.notifications
            shared.models.orders
            shared.notifications.templates
            shared.notifications.values
            shared.observability
            shared.patterns
            shared.reports
            shared.reports.days
            shared.services.notifications
        """,
        "console": """
            functions.console.handler
            shared.console
            shared.problems
            shared.security_headers
        """,
        # The tracking page (issue 17): the orders store (its reads), the token check, the page's HTML.
        "tracking": """
            functions.tracking.handler
            shared.aws
            shared.config
            shared.dal.catalog
            shared.dal.cursors
            shared.dal.customers
            shared.dal.dynamo
            shared.dal.inventory
            shared.dal.keys
            shared.dal.orders
            shared.domain.auth
            shared.domain.channels
            shared.domain.customers
            shared.domain.inventory
            shared.domain.moments
            shared.domain.orders
            shared.domain.quantities
            shared.domain.tracking_page
            shared.masking
            shared.models.catalog
            shared.models.common
            shared.models.customers
            shared.models.inventory
            shared.models.orders
            shared.observability
            shared.patterns
            shared.problem_errors
            shared.problems
            shared.reports
            shared.reports.days
            shared.security_headers
            shared.services.tracking
            shared.services.tracking_links
            shared.tracking_html
        """,
        "hooks": """
            functions.hooks.handler
            shared.aws
            shared.config
            shared.dal.connections
            shared.dal.dynamo
            shared.dal.hook_deliveries
            shared.dal.keys
            shared.dal.queues
            shared.dal.secrets
            shared.domain.auth
            shared.domain.channels
            shared.domain.connections
            shared.domain.dead_letters
            shared.domain.hooks
            shared.hook_http
            shared.json_depth
            shared.masking
            shared.models.common
            shared.observability
            shared.patterns
            shared.problem_errors
            shared.problems
            shared.services.hooks
        """,
        "marketplace_feed": """
            functions.marketplace_feed.handler
            functions.marketplace_feed.wiring
            shared.aws
            shared.config
            shared.dal.catalog
            shared.dal.cursors
            shared.dal.customers
            shared.dal.dynamo
            shared.dal.inventory
            shared.dal.keys
            shared.dal.listings
            shared.dal.orders
            shared.dal.queues
            shared.domain.auth
            shared.domain.channel_orders
            shared.domain.channels
            shared.domain.customers
            shared.domain.dead_letters
            shared.domain.inventory
            shared.domain.lifecycle
            shared.domain.moments
            shared.domain.orders
            shared.domain.quantities
            shared.domain.tracking
            shared.json_depth
            shared.marketplaces
            shared.marketplaces.documents
            shared.marketplaces.generic
            shared.masking
            shared.models.catalog
            shared.models.channels
            shared.models.common
            shared.models.customers
            shared.models.feeds
            shared.models.inventory
            shared.models.orders
            shared.observability
            shared.patterns
            shared.reports
            shared.reports.days
            shared.retry
            shared.services.channel_orders
            shared.services.feeds
            shared.services.messages
            shared.services.orders
        """,
        "stock_updates": """
            functions.stock_updates.handler
            functions.stock_updates.wiring
            shared.aws
            shared.config
            shared.dal.catalog
            shared.dal.cursors
            shared.dal.dynamo
            shared.dal.inventory
            shared.dal.keys
            shared.dal.queues
            shared.domain.dead_letters
            shared.domain.inventory
            shared.domain.moments
            shared.json_depth
            shared.masking
            shared.models.catalog
            shared.models.common
            shared.models.inventory
            shared.observability
            shared.patterns
            shared.retry
            shared.services.messages
            shared.services.stock
            shared.services.stock_feed
        """,
        "inventory_rollup": """
            functions.inventory_rollup.handler
            functions.inventory_rollup.wiring
            shared.aws
            shared.config
            shared.dal.cursors
            shared.dal.dynamo
            shared.dal.inventory_stats
            shared.dal.keys
            shared.dal.sales
            shared.domain.moments
            shared.masking
            shared.models.catalog
            shared.models.common
            shared.models.inventory
            shared.models.inventory_analytics
            shared.models.orders
            shared.models.reports
            shared.observability
            shared.patterns
            shared.reports
            shared.reports.days
            shared.reports.inventory_performance
            shared.reports.money
            shared.reports.periods
            shared.reports.sales
            shared.retry
            shared.services.inventory_performance
        """,
        "inventory_events": """
            functions.inventory_events.handler
            functions.inventory_events.wiring
            shared.aws
            shared.config
            shared.dal.catalog
            shared.dal.cursors
            shared.dal.customers
            shared.dal.dynamo
            shared.dal.events
            shared.dal.inventory
            shared.dal.inventory_stats
            shared.dal.keys
            shared.dal.orders
            shared.domain.auth
            shared.domain.backorders
            shared.domain.channels
            shared.domain.customers
            shared.domain.inventory
            shared.domain.moments
            shared.domain.orders
            shared.domain.quantities
            shared.masking
            shared.models.catalog
            shared.models.common
            shared.models.customers
            shared.models.events
            shared.models.imports
            shared.models.inventory
            shared.models.orders
            shared.observability
            shared.patterns
            shared.reports
            shared.reports.days
            shared.retry
            shared.services.backorders
            shared.services.inventory_events
            shared.services.stock_stats
        """,
        "order_events": """
            functions.order_events.handler
            functions.order_events.wiring
            shared.aws
            shared.config
            shared.dal.events
            shared.dal.keys
            shared.domain.order_events
            shared.masking
            shared.models.common
            shared.models.events
            shared.models.imports
            shared.models.inventory
            shared.models.orders
            shared.observability
            shared.patterns
            shared.services.order_events
            shared.stream_batch
        """,
        "sales_aggregates": """
            functions.sales_aggregates.handler
            functions.sales_aggregates.wiring
            shared.aws
            shared.config
            shared.dal.customer_stats
            shared.dal.dynamo
            shared.dal.keys
            shared.dal.sales
            shared.domain.moments
            shared.masking
            shared.models.common
            shared.models.customer_analytics
            shared.models.inventory
            shared.models.orders
            shared.models.reports
            shared.observability
            shared.patterns
            shared.reports
            shared.reports.customer_stats
            shared.reports.days
            shared.reports.money
            shared.reports.periods
            shared.reports.sales
            shared.retry
            shared.services.customer_stats
            shared.services.sales
            shared.stream_batch
        """,
        "reports": """
            functions.reports.handler
            functions.reports.wiring
            shared.aws
            shared.config
            shared.dal.cursors
            shared.dal.dynamo
            shared.dal.keys
            shared.dal.report_files
            shared.dal.report_sources
            shared.dal.reports
            shared.dal.sales
            shared.domain.moments
            shared.masking
            shared.models.common
            shared.models.inventory
            shared.models.orders
            shared.models.reports
            shared.observability
            shared.patterns
            shared.reports
            shared.reports.days
            shared.reports.money
            shared.reports.periods
            shared.reports.sales
            shared.retry
            shared.services.reports
        """,
        "analytics_export": """
            functions.analytics_export.handler
            functions.analytics_export.wiring
            shared.analytics
            shared.analytics.export
            shared.analytics.layout
            shared.aws
            shared.config
            shared.dal.analytics_export
            shared.dal.dynamo
            shared.dal.keys
            shared.dal.report_files
            shared.dal.report_sources
            shared.domain.moments
            shared.masking
            shared.models.common
            shared.models.inventory
            shared.models.orders
            shared.models.reports
            shared.observability
            shared.patterns
            shared.reports
            shared.reports.days
            shared.reports.money
            shared.reports.periods
            shared.reports.sales
            shared.services.analytics_export
        """,
    }.items()
}

# Third-party modules that must not be loaded at init: heavy, and not needed by any first request.
ABSENT_EVERYWHERE = frozenset(
    {
        "xlsxwriter",  # reports import it when they write an XLSX file
        "aws_xray_sdk.core",  # tracing is off here (POWERTOOLS_TRACE_DISABLED): no recorder, no patching
        "aws_lambda_powertools.event_handler.openapi.swagger_ui",  # the API's /swagger page, on request
        "aws_lambda_powertools.event_handler.openapi.models",  # the API's /openapi.json, on request
    }
)
ABSENT: dict[str, frozenset[str]] = {
    # The authorizer reads one item (a key), or two in one BatchGetItem (a session and its key), and
    # answers a policy: no models, no resolver, and not the data classes package (it imports every event
    # class Powertools knows).
    "authorizer": frozenset(
        {"pydantic", "aws_lambda_powertools.event_handler", "aws_lambda_powertools.utilities.data_classes"}
    ),
    # The hooks answer in API Gateway's proxy form themselves (shared.hook_http, shared.problem_errors):
    # the API's resolver and its OpenAPI machinery are the API's alone.
    "hooks": frozenset({"aws_lambda_powertools.event_handler"}),
    # The console serves files: no models, no resolver, no logger, not even Powertools itself (Swagger UI's
    # files are found in its package without importing it), nor boto3 (it calls no AWS service).
    "console": frozenset({"pydantic", "aws_lambda_powertools", "boto3", "botocore"}),
    # The tracking page answers in API Gateway's proxy form itself (shared.tracking_html): no resolver.
    "tracking": frozenset({"aws_lambda_powertools.event_handler"}),
}

_PROBE = """
import json, os, sys
import {module}
project = sorted(
    name for name, module in sys.modules.items()
    if name.split(".")[0] in ("shared", "functions")
    and not (hasattr(module, "__path__") and os.path.getsize(module.__file__) == 0)
)
files = sorted({{os.path.dirname(sys.modules[name].__file__) for name in project}})
print(json.dumps({{"project": project, "all": sorted(sys.modules), "files": files}}))
"""


def _environment(fn: Function) -> dict[str, str]:
    queue_url = "https://sqs.us-east-1.amazonaws.com/123456789012/{}".format
    return {
        "PATH": os.environ.get("PATH", ""),
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        **local_function_environment(fn, lambda queue: queue_url(queue.local_name), DEFAULT_TIMEZONE),
        "POWERTOOLS_TRACE_DISABLED": "true",
    }


def imported_by(fn: Function) -> dict[str, list[str]]:
    """The modules a fresh process holds after importing ``fn``'s handler module."""
    module = fn.handler.rpartition(".")[0]
    done = subprocess.run(
        [sys.executable, "-c", _PROBE.format(module=module)],
        check=False,
        cwd=ROOT,
        env=_environment(fn),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    loaded: dict[str, list[str]] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


@pytest.fixture(scope="module")
def loaded() -> dict[str, dict[str, list[str]]]:
    return {fn.name: imported_by(fn) for fn in FUNCTIONS}


def test_every_function_is_pinned() -> None:
    assert set(PINNED) == {fn.name for fn in FUNCTIONS}


@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda fn: fn.name)
def test_a_handler_loads_only_the_project_modules_its_function_calls(
    fn: Function, loaded: dict[str, dict[str, list[str]]]
) -> None:
    found = loaded[fn.name]
    assert all(Path(d).is_relative_to(ROOT) for d in found["files"]), "imported from another checkout"
    expected = PINNED[fn.name]
    project = set(found["project"])
    assert (sorted(project - expected), sorted(expected - project)) == ([], []), (
        f"{fn.name}: (loaded but not pinned, pinned but not loaded)"
    )


@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda fn: fn.name)
def test_a_handler_loads_none_of_the_heavy_modules_it_needs_only_later(
    fn: Function, loaded: dict[str, dict[str, list[str]]]
) -> None:
    absent = ABSENT_EVERYWHERE | ABSENT.get(fn.name, frozenset())
    assert sorted(absent & set(loaded[fn.name]["all"])) == []
