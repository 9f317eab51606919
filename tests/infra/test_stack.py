"""The synthesised OmsStack matches infra/spec.py: tables, functions, grants, routes, stage, nag, asset.

Queues, their triggers and SQS grants are in test_queues.py; streams, stream triggers and event buses
in test_streams_and_buses.py; buckets and their grants in test_buckets.py; schedules and the business time
zone in test_schedules.py; the dependencies layer in test_deps_layer.py; the alarm topic, the alarms and the
dashboard in test_alarms.py; stages in test_stages.py; MaximumConcurrency, reserved concurrency and the
marketplace queues' key in test_limits.py; cfn-lint in test_cfn_lint.py.
"""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, CfnElement, Stack
from aws_cdk import aws_dynamodb as dynamodb
from cdk_nag import AwsSolutionsChecks

from infra import spec
from infra.constructs.functions import powertools_layer_parameter
from infra.description import TABLE_ACTIONS, Function, Route, StreamTrigger, Table
from infra.nag import add_nag
from shared.config import (
    ALARM_PREFIX_ENV,
    DEAD_LETTERS_ENV,
    DEFAULT_TIMEZONE,
    PUBLIC_URL_ENV,
    SENDER_EMAIL_ENV,
    SES_CONFIGURATION_SET_ENV,
    TIMEZONE_ENV,
)
from tests.infra.conftest import Synthesized

WRITE_ACTIONS = {
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
}
ROUTES = [(fn, route) for fn in spec.FUNCTIONS for route in fn.routes]
# What a stream event source mapping grants (Table.grantStreamRead), besides the spec's table access.
STREAM_READ_ACTIONS = {
    "dynamodb:ListStreams",
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
}


def refs(value: Any) -> set[str]:
    """Every logical id a template fragment points at, through Ref or Fn::GetAtt (no AWS:: pseudos)."""
    found: set[str] = set()
    if isinstance(value, dict):
        if isinstance(value.get("Ref"), str) and not value["Ref"].startswith("AWS::"):
            found.add(value["Ref"])
        if isinstance(value.get("Fn::GetAtt"), list):
            found.add(value["Fn::GetAtt"][0])
        for item in value.values():
            found |= refs(item)
    elif isinstance(value, list):
        for item in value:
            found |= refs(item)
    return found


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def table_ids(s: Synthesized) -> dict[str, str]:
    """spec table id -> CloudFormation logical id."""
    return {t.id: s.logical_id(s.stack.tables.table(t)) for t in spec.TABLES}


def function_resource(s: Synthesized, fn: Function) -> tuple[str, dict[str, Any]]:
    matches = {
        lid: r
        for lid, r in s.of_type("AWS::Lambda::Function").items()
        if r["Properties"]["Handler"] == fn.handler
    }
    assert len(matches) == 1, f"expected one function with handler {fn.handler}, found {list(matches)}"
    return next(iter(matches.items()))


def role_statements(s: Synthesized, fn: Function) -> list[dict[str, Any]]:
    _, function = function_resource(s, fn)
    (role_id,) = refs(function["Properties"]["Role"])
    # Its DefaultPolicy, and the OverflowPolicyN CDK makes (managed, attached to this role only) when the
    # grants pass IAM's size limit for a role's inline policy.
    policies = [
        p
        for t in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")
        for p in s.of_type(t).values()
        if role_id in refs(p["Properties"].get("Roles", []))
    ]
    assert policies, f"no policy attached to {fn.name}'s role"
    return [st for p in policies for st in p["Properties"]["PolicyDocument"]["Statement"]]


def tables_in(statements: list[dict[str, Any]], ids: dict[str, str]) -> set[str]:
    by_logical_id = {lid: tid for tid, lid in ids.items()}
    referenced = set().union(*(refs(st["Resource"]) for st in statements))
    return {by_logical_id[lid] for lid in referenced if lid in by_logical_id}


# --- tables ---------------------------------------------------------------------------------


@pytest.mark.parametrize("table", spec.TABLES, ids=lambda t: t.id)
def test_table_matches_spec(synthesized: Synthesized, table: Table) -> None:
    resource = synthesized.resources[table_ids(synthesized)[table.id]]
    props = resource["Properties"]

    expected_keys = [{"AttributeName": table.partition_key, "KeyType": "HASH"}]
    if table.sort_key:
        expected_keys.append({"AttributeName": table.sort_key, "KeyType": "RANGE"})
    assert props["KeySchema"] == expected_keys

    expected_indexes: list[dict[str, Any]] = []
    for index in table.indexes:
        schema = [{"AttributeName": index.partition_key, "KeyType": "HASH"}]
        if index.sort_key:
            schema.append({"AttributeName": index.sort_key, "KeyType": "RANGE"})
        expected_indexes.append(
            {"IndexName": index.name, "KeySchema": schema, "Projection": {"ProjectionType": index.projection}}
        )
    assert props.get("GlobalSecondaryIndexes", []) == expected_indexes

    key_names = {table.partition_key, table.sort_key} | {
        name for i in table.indexes for name in (i.partition_key, i.sort_key)
    }
    key_names.discard(None)
    assert {a["AttributeName"]: a["AttributeType"] for a in props["AttributeDefinitions"]} == dict.fromkeys(
        key_names, "S"
    )

    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["SSESpecification"]["SSEEnabled"] is True
    assert resource["DeletionPolicy"] == "Retain"
    assert resource["UpdateReplacePolicy"] == "Retain"
    assert "TableName" not in props, "CloudFormation names the tables"
    if table.ttl_attribute:
        assert props["TimeToLiveSpecification"] == {"AttributeName": table.ttl_attribute, "Enabled": True}
    else:
        assert "TimeToLiveSpecification" not in props
    if table.stream:
        assert props["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    else:
        assert "StreamSpecification" not in props


def test_exactly_the_spec_tables(synthesized: Synthesized) -> None:
    synthesized.template.resource_count_is("AWS::DynamoDB::Table", len(spec.TABLES))
    assert set(table_ids(synthesized).values()) == set(synthesized.of_type("AWS::DynamoDB::Table"))


def test_the_products_index_holds_keys_only(synthesized: Synthesized) -> None:
    """Stock moves on every order: an index of every product that projected whole items would be written
    each time. Keys only, the index changes only when a product comes or goes."""
    props = synthesized.resources[table_ids(synthesized)[spec.CATALOG.id]]["Properties"]
    indexes = {i["IndexName"]: i for i in props["GlobalSecondaryIndexes"]}
    assert indexes["products"]["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    assert indexes["products"]["KeySchema"] == [
        {"AttributeName": "listed", "KeyType": "HASH"},
        {"AttributeName": "pk", "KeyType": "RANGE"},
    ]
    assert indexes["low_stock"]["Projection"] == {"ProjectionType": "ALL"}


# --- functions ------------------------------------------------------------------------------


@pytest.mark.parametrize("fn", spec.FUNCTIONS, ids=lambda f: f.name)
def test_function_matches_spec(synthesized: Synthesized, fn: Function) -> None:
    _, function = function_resource(synthesized, fn)
    props = function["Properties"]

    assert props["Runtime"] == "python3.13" == spec.RUNTIME
    assert props["Architectures"] == ["arm64"]
    assert props["Handler"] == fn.handler
    assert props["MemorySize"] == fn.memory_mb
    assert props["Timeout"] == fn.timeout_s
    assert props["TracingConfig"] == {"Mode": "Active"}
    assert "FunctionName" not in props

    # The layer ARN is the SSM parameter Powertools publishes for exactly the pinned version; then the
    # dependencies layer (test_deps_layer.py).
    layer, deps = props["Layers"]
    assert deps == {"Ref": synthesized.logical_id(synthesized.stack.functions.deps_layer)}
    parameter = synthesized.template.to_json()["Parameters"][layer["Ref"]]
    assert parameter["Type"] == "AWS::SSM::Parameter::Value<String>"
    assert parameter["Default"] == powertools_layer_parameter()
    assert (
        parameter["Default"] == f"/aws/service/powertools/python/arm64/python3.13/{spec.POWERTOOLS_VERSION}"
    )
    assert version("aws-lambda-powertools") == spec.POWERTOOLS_VERSION, "layer and local pin must agree"

    log_group_id = props["LoggingConfig"]["LogGroup"]["Ref"]
    assert synthesized.resources[log_group_id]["Properties"]["RetentionInDays"] > 0


@pytest.mark.parametrize("fn", spec.FUNCTIONS, ids=lambda f: f.name)
def test_function_environment_names_exactly_its_tables(synthesized: Synthesized, fn: Function) -> None:
    _, function = function_resource(synthesized, fn)
    env = function["Properties"]["Environment"]["Variables"]
    ids = table_ids(synthesized)

    for name, value in spec.base_environment(fn).items():
        assert env[name] == value
    # Personal data stays out of traces and logs: no response or exception object kept by X-Ray, no
    # event logged whole, no Powertools debug output (it would print records and exceptions unmasked).
    assert env["POWERTOOLS_TRACER_CAPTURE_RESPONSE"] == "false"
    assert env["POWERTOOLS_TRACER_CAPTURE_ERROR"] == "false"
    assert env["POWERTOOLS_LOGGER_LOG_EVENT"] == "false"
    assert "POWERTOOLS_DEBUG" not in env

    table_vars = {t.env_var for t in spec.TABLES}
    assert {k for k in env if k in table_vars} == {use.table.env_var for use in fn.uses}
    for use in fn.uses:
        assert env[use.table.env_var] == {"Ref": ids[use.table.id]}

    # The business time zone, from the CDK context (test_schedules.py); UTC by default.
    assert env[TIMEZONE_ENV] == DEFAULT_TIMEZONE == "UTC"

    # Nothing else: the base, the time zone, its tables, the URLs of the queues it sends to (test_queues.py),
    # the names of the buses it publishes on (test_streams_and_buses.py), of its buckets (test_buckets.py) and
    # its dead-letter queues.
    expected = (
        set(spec.base_environment(fn))
        | {TIMEZONE_ENV}
        | {u.table.env_var for u in fn.uses}
        | {q.env_var for q in fn.sends}
        | {b.env_var for b in fn.publishes}
        | {u.bucket.env_var for u in fn.buckets}
        | {u.key.env_var for u in fn.keys}
        | ({DEAD_LETTERS_ENV} if fn.dead_letters else set())  # test_dead_letters_infra.py
        | ({ALARM_PREFIX_ENV} if fn.alarms else set())  # test_alarm_states.py
        # test_notifications_infra.py
        | ({SENDER_EMAIL_ENV, SES_CONFIGURATION_SET_ENV} if fn.sends_email else set())
        | ({PUBLIC_URL_ENV} if fn.public_url else set())  # test_tracking_infra.py
    )
    assert set(env) == expected
    for use_key in fn.keys:
        assert env[use_key.key.env_var] == use_key.key.alias


def test_exactly_the_spec_functions(synthesized: Synthesized) -> None:
    handlers = {r["Properties"]["Handler"] for r in synthesized.functions.values()}
    assert handlers == {fn.handler for fn in spec.FUNCTIONS}
    cdk_own = set(synthesized.of_type("AWS::Lambda::Function")) - set(synthesized.functions)
    assert len(cdk_own) == 1  # the BucketNotificationsHandler, and nothing else


# --- least privilege ------------------------------------------------------------------------


def test_api_function_reaches_its_tables_and_manages_the_api_keys_table(
    synthesized: Synthesized,
) -> None:
    statements = role_statements(synthesized, spec.API)
    ids = table_ids(synthesized)
    reached = tables_in(statements, ids)
    assert reached == {
        spec.ORDERS.id,
        spec.CATALOG.id,
        spec.CUSTOMERS.id,
        spec.REPORTS.id,
        spec.CONNECTIONS.id,
        spec.API_KEYS.id,
        spec.IMPORTS.id,  # POST /imports records the run; GET /imports reads them
        spec.WEBHOOKS.id,  # webhook endpoints (admin) and their delivery log
        spec.NOTIFICATIONS_TABLE.id,  # notification settings and templates (issue 17)
        spec.DAILY_SALES.id,  # GET /analytics/trends reads the sales counters (issue 18); never writes them
        spec.CUSTOMER_STATS.id,  # customer analytics (issue 18): read only
        spec.INVENTORY_STATS.id,  # GET /analytics/inventory (issue 18), read only
        spec.DAILY_SALES.id,  # today's units sold, not rolled up yet (issue 18), read only
    }
    for read_only in (spec.DAILY_SALES, spec.INVENTORY_STATS):
        on_table = [st for st in statements if ids[read_only.id] in refs(st["Resource"])]
        assert {a for st in on_table for a in as_list(st["Action"])} == set(TABLE_ACTIONS["read"])
    assert spec.HOOK_DELIVERIES.id not in reached
    # API keys (issue 16): sessions made and ended, people's keys made, listed and revoked; still no batch
    # writes, no streams, and nothing of API Gateway's (the usage keys are the CLI's).
    on_keys = [st for st in statements if ids[spec.API_KEYS.id] in refs(st["Resource"])]
    actions = {a for st in on_keys for a in as_list(st["Action"])}
    assert actions == {
        "dynamodb:GetItem",
        "dynamodb:BatchGetItem",
        "dynamodb:Query",
        "dynamodb:ConditionCheckItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:Scan",
    }
    all_actions = {a for st in statements for a in as_list(st["Action"])}
    assert not any(a.startswith("apigateway:") for a in all_actions)


def test_authorizer_reads_only_the_api_keys_table_and_only_updates_sessions(synthesized: Synthesized) -> None:
    statements = role_statements(synthesized, spec.AUTHORIZER)
    assert tables_in(statements, table_ids(synthesized)) == {spec.API_KEYS.id}
    actions = {a for st in statements for a in as_list(st["Action"])}
    assert {"dynamodb:GetItem", "dynamodb:BatchGetItem"} <= actions
    # It moves a session's idle expiry on (UpdateItem): it never makes nor deletes an item.
    assert actions & WRITE_ACTIONS == {"dynamodb:UpdateItem"}, actions & WRITE_ACTIONS


@pytest.mark.parametrize("fn", spec.FUNCTIONS, ids=lambda f: f.name)
def test_grants_follow_spec_access(synthesized: Synthesized, fn: Function) -> None:
    statements = role_statements(synthesized, fn)
    ids = table_ids(synthesized)
    used = {use.table.id for use in fn.uses}
    streamed = {t.table.id for t in fn.triggers if isinstance(t, StreamTrigger)}
    assert tables_in(statements, ids) == used | streamed
    for table_id in streamed - used:  # read through its stream only: not one action on the table itself
        on_table = [st for st in statements if ids[table_id] in refs(st["Resource"])]
        assert {a for st in on_table for a in as_list(st["Action"])} <= STREAM_READ_ACTIONS
        assert {json.dumps(st["Resource"]) for st in on_table} == {
            json.dumps({"Fn::GetAtt": [ids[table_id], "StreamArn"]})
        }
    for use in fn.uses:
        on_table = [st for st in statements if ids[use.table.id] in refs(st["Resource"])]
        actions = {a for st in on_table for a in as_list(st["Action"])} - STREAM_READ_ACTIONS
        assert actions == set(TABLE_ACTIONS[use.access])
        assert ("dynamodb:GetItem" in actions) == (use.access not in ("write", "query_index"))
        assert bool(actions & WRITE_ACTIONS) == (use.access not in ("read", "query_index"))
        # Only the customers table (an email's claim is released), the API keys table (sessions end,
        # keys are revoked) and the webhooks table (staff delete an endpoint) may be deleted from; elsewhere
        # finished items expire by TTL.
        assert ("dynamodb:DeleteItem" in actions) == (use.access in ("read_write_delete", "manage"))
        assert use.access != "read_write_delete" or (use.table, fn) in (
            (spec.CUSTOMERS, spec.API),
            (spec.WEBHOOKS, spec.API),
        )
        assert use.access != "manage" or (use.table, fn) == (spec.API_KEYS, spec.API)
    for st in statements:
        assert not any(a in ("*", "dynamodb:*") for a in as_list(st["Action"]))
    granted = {a for st in statements for a in as_list(st["Action"]) if a.startswith("dynamodb:")}
    assert granted - STREAM_READ_ACTIONS == {a for use in fn.uses for a in TABLE_ACTIONS[use.access]}
    streams = any(isinstance(t, StreamTrigger) for t in fn.triggers)
    assert bool(granted & STREAM_READ_ACTIONS) == streams
    assert not granted & {"dynamodb:BatchWriteItem", "dynamodb:DeleteTable"}
    # A Scan of the API keys table only (a handful of keys and their people's sessions), by the API alone.
    scanning = [st for st in statements if "dynamodb:Scan" in as_list(st["Action"])]
    assert tables_in(scanning, ids) == ({spec.API_KEYS.id} if fn is spec.API else set())


def test_function_roles_carry_no_managed_policies(synthesized: Synthesized) -> None:
    for fn in spec.FUNCTIONS:
        _, function = function_resource(synthesized, fn)
        (role_id,) = refs(function["Properties"]["Role"])
        assert "ManagedPolicyArns" not in synthesized.resources[role_id]["Properties"]


# --- API ------------------------------------------------------------------------------------


def resource_paths(s: Synthesized) -> dict[str, str]:
    """AWS::ApiGateway::Resource logical id -> its full path (/orders/{order_id})."""
    resources = s.of_type("AWS::ApiGateway::Resource")
    paths: dict[str, str] = {}

    def path_of(lid: str) -> str:
        if lid not in paths:
            props = resources[lid]["Properties"]
            parent = props["ParentId"]
            prefix = path_of(parent["Ref"]) if "Ref" in parent else ""  # GetAtt RootResourceId: /
            paths[lid] = f"{prefix}/{props['PathPart']}"
        return paths[lid]

    for lid in resources:
        path_of(lid)
    return paths


def methods_by_route(s: Synthesized) -> dict[tuple[str, str], dict[str, Any]]:
    paths = resource_paths(s)
    return {
        (m["Properties"]["HttpMethod"], paths[m["Properties"]["ResourceId"]["Ref"]]): m["Properties"]
        for m in s.of_type("AWS::ApiGateway::Method").values()
    }


def test_every_spec_route_is_a_method_and_nothing_else(synthesized: Synthesized) -> None:
    assert set(methods_by_route(synthesized)) == {(r.method, r.path) for _, r in ROUTES}


@pytest.mark.parametrize(("fn", "route"), ROUTES, ids=[f"{r.method} {r.path}" for _, r in ROUTES])
def test_route_method(synthesized: Synthesized, fn: Function, route: Route) -> None:
    method = methods_by_route(synthesized)[(route.method, route.path)]
    (authorizer_id,) = synthesized.of_type("AWS::ApiGateway::Authorizer")
    function_id, _ = function_resource(synthesized, fn)
    # What API Gateway invokes: the function itself, or (SnapStart) its live alias on it.
    target_id = synthesized.logical_id(synthesized.stack.functions.target(fn))
    if fn.snap_start:
        assert synthesized.resources[target_id]["Properties"]["FunctionName"] == {"Ref": function_id}
    else:
        assert target_id == function_id

    assert method["Integration"]["Type"] == "AWS_PROXY"
    assert method["Integration"]["IntegrationHttpMethod"] == "POST"
    assert refs(method["Integration"]["Uri"]) == {target_id}
    if route.authorized:
        assert method["AuthorizationType"] == "CUSTOM"
        assert method["AuthorizerId"] == {"Ref": authorizer_id}
    else:
        assert method["AuthorizationType"] == "NONE"
        assert "AuthorizerId" not in method


def test_only_health_signing_in_the_swagger_redirect_the_webhooks_and_the_console_are_public(
    synthesized: Synthesized,
) -> None:
    public = {k for k, m in methods_by_route(synthesized).items() if m["AuthorizationType"] == "NONE"}
    assert public == {
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
    }


def test_the_authorizer_takes_a_key_or_a_session_and_is_never_cached(synthesized: Synthesized) -> None:
    """No identity source (API Gateway would answer 401 without calling it when any listed one is missing:
    a key or a cookie, never both), and no cache (a session's CSRF check depends on the method; sign-out
    and revocation end a session at once)."""
    synthesized.template.resource_count_is("AWS::ApiGateway::Authorizer", 1)
    (authorizer,) = synthesized.of_type("AWS::ApiGateway::Authorizer").values()
    props = authorizer["Properties"]
    assert props["Type"] == "REQUEST"
    assert props["AuthorizerResultTtlInSeconds"] == 0
    assert "IdentitySource" not in props
    authorizer_fn_id, _ = function_resource(synthesized, spec.AUTHORIZER)
    assert authorizer_fn_id in refs(props["AuthorizerUri"])


def test_stage_throttles_logs_and_traces(synthesized: Synthesized) -> None:
    (stage,) = synthesized.of_type("AWS::ApiGateway::Stage").values()
    props = stage["Properties"]
    assert props["StageName"] == "prod"
    assert props["TracingEnabled"] is True

    by_path = {(m["HttpMethod"], m["ResourcePath"]): m for m in props["MethodSettings"]}
    settings = by_path.pop(("*", "/*"))
    # the hook routes', the tracking page's (test_tracking_infra.py) and signing in's own limits; nothing
    # else has method settings
    sign_in = by_path.pop(("POST", "/~1session"))
    assert (sign_in["ThrottlingRateLimit"], sign_in["ThrottlingBurstLimit"]) == (20, 40)
    assert set(by_path) == {
        ("POST", "/~1hooks~1shopify~1{channel}"),
        ("POST", "/~1hooks~1woocommerce~1{channel}"),
        ("GET", "/~1track"),
        ("GET", "/~1track~1{token}"),
    }
    assert settings["ThrottlingRateLimit"] == 100
    assert settings["ThrottlingBurstLimit"] == 200
    assert settings["MetricsEnabled"] is True
    assert settings["LoggingLevel"] in ("OFF", "ERROR")
    assert settings["DataTraceEnabled"] is False, "full request/response logs would hold personal data"

    access = props["AccessLogSetting"]
    (log_group_id,) = refs(access["DestinationArn"])
    assert synthesized.resources[log_group_id]["Type"] == "AWS::Logs::LogGroup"
    fields = json.loads(access["Format"])
    assert fields["requestId"] == "$context.requestId"
    assert fields["status"] == "$context.status"
    assert not any("body" in k.lower() or "header" in v.lower() for k, v in fields.items())


EXPECTED_GATEWAY_STATUS = {
    "UNAUTHORIZED": 401,
    "ACCESS_DENIED": 403,
    "MISSING_AUTHENTICATION_TOKEN": 404,
    "REQUEST_TOO_LARGE": 413,
    "THROTTLED": 429,
    "DEFAULT_4XX": None,
    "DEFAULT_5XX": None,
}


def gateway_responses(s: Synthesized) -> dict[str, dict[str, Any]]:
    return {
        r["Properties"]["ResponseType"]: r["Properties"]
        for r in s.of_type("AWS::ApiGateway::GatewayResponse").values()
    }


@pytest.mark.parametrize(("response_type", "status"), EXPECTED_GATEWAY_STATUS.items())
def test_gateway_response_is_problem_json(
    synthesized: Synthesized, response_type: str, status: int | None
) -> None:
    response = gateway_responses(synthesized)[response_type]
    retry_after = {"gatewayresponse.header.Retry-After": "'1'"} if response_type == "THROTTLED" else {}
    assert response["ResponseParameters"] == {
        "gatewayresponse.header.Content-Type": "'application/problem+json'",
        # Every answer carries the security headers (issue 16), API Gateway's own answers too.
        "gatewayresponse.header.X-Content-Type-Options": "'nosniff'",
        "gatewayresponse.header.Referrer-Policy": "'no-referrer'",
        "gatewayresponse.header.Strict-Transport-Security": "'max-age=31536000; includeSubDomains'",
        "gatewayresponse.header.Content-Security-Policy": (
            "'default-src 'none'; frame-ancestors 'none'; base-uri 'none''"
        ),
        **retry_after,
    }
    body = json.loads(response["ResponseTemplates"]["application/json"])
    assert body["type"].startswith("urn:oms:problem:")
    assert body["title"]
    assert body["detail"]
    assert body["status"] == int(response["StatusCode"])
    if status is not None:
        assert int(response["StatusCode"]) == status


def test_every_gateway_response_is_consistent_problem_json(synthesized: Synthesized) -> None:
    for response_type, response in gateway_responses(synthesized).items():
        body = json.loads(response["ResponseTemplates"]["application/json"])
        assert body["status"] == int(response["StatusCode"]), response_type
        assert 400 <= body["status"] <= 599


def test_unauthorized_body_is_exact(synthesized: Synthesized) -> None:
    body = json.loads(gateway_responses(synthesized)["UNAUTHORIZED"]["ResponseTemplates"]["application/json"])
    assert body == {
        "type": "urn:oms:problem:unauthorized",
        "title": "Unauthorized",
        "status": 401,
        "detail": "Send a valid X-Api-Key header, or sign in (POST /session).",
    }


def test_outputs(synthesized: Synthesized) -> None:
    outputs = synthesized.template.to_json()["Outputs"]
    ids = table_ids(synthesized)
    (rest_api_id,) = synthesized.of_type("AWS::ApiGateway::RestApi")
    assert rest_api_id in refs(outputs["ApiUrl"]["Value"])
    for table in spec.TABLES:
        assert outputs[f"{table.id}TableName"]["Value"] == {"Ref": ids[table.id]}
    queue_urls = {f"{q.id}QueueUrl" for q in spec.QUEUES}
    buses = {f"{b.id}{what}" for b in spec.BUSES for what in ("BusName", "LogGroupName")}
    buckets = {f"{b.id}BucketName" for b in spec.BUCKETS}
    plans = {plan.output for plan in spec.USAGE_PLANS}
    assert (
        set(outputs)
        == {"ApiUrl", "AlarmTopicArn", "AnalyticsWorkGroup", "AnalyticsDatabase", "AnalyticsQueryPolicyArn"}
        | {f"{t.id}TableName" for t in spec.TABLES}
        | queue_urls
        | buses
        | buckets
        | plans
    )


# --- cdk-nag --------------------------------------------------------------------------------


def test_nag_finds_nothing_unacknowledged(synthesized: Synthesized) -> None:
    # Synth itself would have raised; this re-runs the pack over the tree and reads the CDK report.
    report = AwsSolutionsChecks().validate_scope(synthesized.app)
    assert [v.rule_name for v in report.violations] == []
    assert report.success is True

    validation = json.loads((synthesized.outdir / "validation-report.json").read_text())
    violations = [v for plugin in validation["pluginReports"] for v in plugin.get("violations", [])]
    assert violations == []


def nag_metadata(s: Synthesized) -> dict[str, list[dict[str, str]]]:
    return {
        lid: r["Metadata"]["cdk_nag"]["rules_to_suppress"]
        for lid, r in s.resources.items()
        if "cdk_nag" in r.get("Metadata", {})
    }


def test_every_acknowledgment_has_a_reason(synthesized: Synthesized) -> None:
    metadata = nag_metadata(synthesized)
    assert metadata, "no cdk_nag metadata: nag is not wired into the app"
    for lid, rules in metadata.items():
        for rule in rules:
            assert rule["id"].startswith("AwsSolutions-"), (lid, rule)
            assert len(rule["reason"].strip()) >= 40, f"{lid}: {rule['id']} has no real reason"


def test_acknowledgments_are_narrow(synthesized: Synthesized) -> None:
    metadata = nag_metadata(synthesized)
    by_rule: dict[str, set[str]] = {}
    for lid, rules in metadata.items():
        for rule in rules:
            by_rule.setdefault(rule["id"], set()).add(synthesized.resources[lid]["Type"])
    # A public method is acknowledged only on /health; wildcards only on the function roles and their
    # policies (acknowledged on the role, so a statement CDK moves to an OverflowPolicyN is covered too).
    role_and_policies = {"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::Role"}
    assert by_rule["AwsSolutions-APIG4"] == {"AWS::ApiGateway::Method"}
    assert by_rule["AwsSolutions-IAM5[Resource::*]"] <= role_and_policies
    assert by_rule["AwsSolutions-L1"] == {"AWS::Lambda::Function"}
    # dead-letter, stream on-failure and schedule failures queues (test_queues.py)
    assert by_rule["AwsSolutions-SQS3"] == {"AWS::SQS::Queue"}
    # server access logs: only the access-log bucket itself has none (test_buckets.py)
    assert by_rule["AwsSolutions-S1"] == {"AWS::S3::Bucket"}
    # object prefixes of bucket grants (function policies), versions of the scheduled function (the
    # schedule's role policy): wildcard resources, on IAM policies only
    # the analysts' managed policy (attached to no function): its export and results prefixes and its
    # database's tables (test_analytics_infra.py)
    analysts = {
        r["id"] for r in metadata.get(synthesized.logical_id(synthesized.stack.analytics.query_policy), [])
    }
    for rule, types in by_rule.items():
        if rule.startswith("AwsSolutions-IAM5"):
            assert types <= role_and_policies, rule
            assert "AWS::IAM::Policy" in types or (
                rule in analysts and types == {"AWS::IAM::ManagedPolicy"}
            ), rule
    public = [lid for lid, rules in metadata.items() if any(r["id"] == "AwsSolutions-APIG4" for r in rules)]
    assert len(public) == sum(1 for _, r in ROUTES if not r.authorized)
    # The api keys table's indexes (one, keys only) are reached with a wildcard by the two functions that
    # use the table: the authorizer and the API (sessions and people's keys, issue 16).
    api_keys_id = table_ids(synthesized)[spec.API_KEYS.id]
    policies, under_roles = set(), set()
    for fn in (spec.AUTHORIZER, spec.API):
        role = synthesized.stack.functions.function(fn).role
        assert role is not None
        policies.add(synthesized.logical_id(role.node.find_child("DefaultPolicy")))
        under_roles |= {synthesized.logical_id(c) for c in role.node.find_all() if isinstance(c, CfnElement)}
    acknowledged = {lid for lid, acks in metadata.items() for ack in acks if api_keys_id in ack["id"]}
    assert policies <= acknowledged <= under_roles


def test_nag_fails_the_synth_on_a_finding(tmp_path: Path) -> None:
    app = App(outdir=str(tmp_path))
    stack = Stack(app, "Careless")
    dynamodb.Table(
        stack, "NoRecovery", partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING)
    )
    add_nag(app)
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()


# --- packaging ------------------------------------------------------------------------------


def test_lambda_asset_holds_only_functions_and_shared(synthesized: Synthesized) -> None:
    keys = {r["Properties"]["Code"]["S3Key"] for r in synthesized.functions.values()}
    (key,) = keys  # all functions share one asset
    asset = synthesized.outdir / f"asset.{key.removesuffix('.zip')}"
    assert asset.is_dir()

    for required in (
        *(f"functions/{fn.name}/handler.py" for fn in spec.FUNCTIONS),  # every spec handler ships
        "shared/domain/orders.py",
    ):
        assert (asset / required).is_file(), required
    assert {p.name for p in asset.iterdir()} == {"functions", "shared"}
    files = [p.relative_to(asset).as_posix() for p in asset.rglob("*")]
    for forbidden in ("tests/", "infra/", ".venv/", "cdk.out/", "events/", ".git/"):
        assert not any(f.startswith(forbidden) for f in files), forbidden
    assert not any("__pycache__" in f or f.endswith(".pyc") for f in files)


@pytest.mark.parametrize("fn", spec.FUNCTIONS, ids=lambda f: f.name)
def test_each_handler_imports_from_the_asset_alone(synthesized: Synthesized, fn: Function) -> None:
    """What Lambda will have: the asset on the path, plus the libraries the layer and runtime bring
    (here the venv's site-packages), and not the repository (no infra/, no tests/, no editable install)."""
    import subprocess
    import sys
    import sysconfig

    (key,) = {r["Properties"]["Code"]["S3Key"] for r in synthesized.functions.values()}
    asset = synthesized.outdir / f"asset.{key.removesuffix('.zip')}"
    module = fn.handler.rpartition(".")[0]
    script = (
        f"import sys; sys.path[:] = [{str(asset)!r}, *sys.path[1:], {sysconfig.get_paths()['purelib']!r}]; "
        f"import {module} as m; assert m.__file__.startswith({str(asset)!r}), m.__file__; "
        "assert not {n.split('.')[0] for n in sys.modules} & {'infra', 'tests'}, 'imports infra or tests'"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "POWERTOOLS_TRACE_DISABLED": "true",
        **spec.function_environment(
            fn,
            lambda t: t.local_name,
            lambda q: f"https://sqs.example/{q.local_name}",
            bucket_name=lambda b: b.local_name,
        ),
    }
    result = subprocess.run(
        [sys.executable, "-S", "-c", script], env=env, cwd="/", capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
