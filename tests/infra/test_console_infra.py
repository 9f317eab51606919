"""The staff console in the stack: its routes open (static files), its function with no grant on any data,
and its files in the Lambda asset."""

from __future__ import annotations

import json

from infra import spec
from infra.constructs.api import PUBLIC_BECAUSE
from tests.infra.conftest import Synthesized
from tests.infra.test_stack import as_list, function_resource, methods_by_route, refs, role_statements

CONSOLE_ROUTES = [("GET", "/console"), ("GET", "/console/{page}"), ("GET", "/console/{page}/{item}")]


def test_the_console_routes_have_no_authorizer_and_reach_the_console_function(
    synthesized: Synthesized,
) -> None:
    methods = methods_by_route(synthesized)
    console_id, _ = function_resource(synthesized, spec.CONSOLE)
    for route in CONSOLE_ROUTES:
        method = methods[route]
        assert method["AuthorizationType"] == "NONE"
        assert "AuthorizerId" not in method
        assert method["ApiKeyRequired"] is False
        assert method["Integration"]["Type"] == "AWS_PROXY"
        assert refs(method["Integration"]["Uri"]) == {console_id}
    assert {k for k, m in methods.items() if console_id in refs(m["Integration"]["Uri"])} == set(
        CONSOLE_ROUTES
    )


def test_the_console_function_may_write_its_logs_and_traces_and_nothing_else(
    synthesized: Synthesized,
) -> None:
    actions = {a for st in role_statements(synthesized, spec.CONSOLE) for a in as_list(st["Action"])}
    services = {a.split(":")[0] for a in actions}

    assert services <= {"logs", "xray"}, sorted(actions)
    _, function = function_resource(synthesized, spec.CONSOLE)
    env = function["Properties"]["Environment"]["Variables"]
    assert not {t.env_var for t in spec.TABLES} & set(env)
    assert not {q.env_var for q in spec.QUEUES} & set(env)
    assert not {b.env_var for b in spec.BUCKETS} & set(env)


def test_the_public_console_methods_are_acknowledged_with_their_reason(synthesized: Synthesized) -> None:
    console_id, _ = function_resource(synthesized, spec.CONSOLE)
    reasons = {
        rule["id"]: rule["reason"]
        for resource in synthesized.of_type("AWS::ApiGateway::Method").values()
        if console_id in refs(resource["Properties"]["Integration"]["Uri"])
        for rule in resource["Metadata"]["cdk_nag"]["rules_to_suppress"]
    }
    assert PUBLIC_BECAUSE["console"] in reasons["AwsSolutions-APIG4"]
    assert "static files" in reasons["AwsSolutions-COG4"]


def test_the_consoles_files_are_in_the_lambda_asset(synthesized: Synthesized) -> None:
    _, function = function_resource(synthesized, spec.CONSOLE)
    asset = synthesized.outdir / f"asset.{function['Properties']['Code']['S3Key'].removesuffix('.zip')}"
    static = asset / "functions" / "console" / "static"

    for name in ("index.html", "swagger.html", "app.js", "app.css", "api.js", "orders.js", "swagger-init.js"):
        assert (static / name).is_file(), name
    assert function["Properties"]["Handler"] == "functions.console.handler.lambda_handler"
    # Swagger UI's files come from the Powertools layer every function has (not copied into the asset).
    assert not (static / "swagger-ui-bundle.min.js").exists()
    assert (
        "PowertoolsLayer" in json.dumps(function["Properties"]["Layers"]) or function["Properties"]["Layers"]
    )
