"""SnapStart in the synthesised template: the API function snapshots its published versions, a ``live``
alias points at the version each deploy publishes, and API Gateway invokes that alias (integrations and
their permissions); every other function is unchanged and invoked unqualified. A second synth, with
SnapStart turned on for the authorizer, a queue consumer and a stream consumer, shows that the authorizer
and the event source mappings then invoke their aliases too."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import Any

import pytest
from aws_cdk.assertions import Template

from infra import spec
from infra.app import build_app
from infra.constructs.functions import LIVE_ALIAS, check_snap_start, python_version, runtime
from tests.infra.conftest import Synthesized

SNAP_START = {"ApplyOn": "PublishedVersions"}
APIGATEWAY = "apigateway.amazonaws.com"


def function_id(synth: Synthesized, fn: spec.Function) -> str:
    return synth.logical_id(synth.stack.functions.function(fn))


def alias_id(synth: Synthesized, fn: spec.Function) -> str:
    return synth.logical_id(synth.stack.functions.aliases[fn.name])


def unqualified(synth: Synthesized, fn: spec.Function) -> dict[str, Any]:
    return {"Fn::GetAtt": [function_id(synth, fn), "Arn"]}


def refers_to(value: Any, reference: dict[str, Any]) -> bool:
    return json.dumps(reference) in json.dumps(value)


def permissions_for(synth: Synthesized, *references: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        r["Properties"]
        for r in synth.of_type("AWS::Lambda::Permission").values()
        if r["Properties"]["FunctionName"] in references
    ]


def test_the_api_function_snapshots_its_published_versions(synthesized: Synthesized) -> None:
    api = synthesized.resources[function_id(synthesized, spec.API)]["Properties"]
    assert spec.API.snap_start
    assert api["SnapStart"] == SNAP_START
    # SnapStart's limits: a Python 3.12+ runtime, no EFS, ephemeral storage at most 512 MB.
    assert python_version(api["Runtime"]) >= (3, 12)
    assert "FileSystemConfigs" not in api
    assert api.get("EphemeralStorage", {"Size": 512})["Size"] <= 512


def test_functions_without_snap_start_are_unchanged(synthesized: Synthesized) -> None:
    for fn in spec.FUNCTIONS:
        properties = synthesized.resources[function_id(synthesized, fn)]["Properties"]
        assert ("SnapStart" in properties) == fn.snap_start, fn.name
        if not fn.snap_start:
            assert fn.name not in synthesized.stack.functions.aliases
    # Versions and aliases exist for the SnapStart functions only, one of each.
    snap_start = {function_id(synthesized, fn) for fn in spec.FUNCTIONS if fn.snap_start}
    for cfn_type in ("AWS::Lambda::Version", "AWS::Lambda::Alias"):
        owners = [r["Properties"]["FunctionName"] for r in synthesized.of_type(cfn_type).values()]
        assert sorted(owners, key=json.dumps) == [{"Ref": lid} for lid in sorted(snap_start)]


def test_a_live_alias_points_at_the_published_version(synthesized: Synthesized) -> None:
    api_id = function_id(synthesized, spec.API)
    [(version_id, version)] = [
        (lid, r)
        for lid, r in synthesized.of_type("AWS::Lambda::Version").items()
        if r["Properties"]["FunctionName"] == {"Ref": api_id}
    ]
    # A replaced version goes: no old snapshot stays cached (and billed).
    assert version["DeletionPolicy"] == "Delete"
    assert "ProvisionedConcurrencyConfig" not in version["Properties"]  # never with SnapStart
    alias = synthesized.resources[alias_id(synthesized, spec.API)]
    assert alias["Type"] == "AWS::Lambda::Alias"
    assert alias["Properties"]["Name"] == LIVE_ALIAS
    assert alias["Properties"]["FunctionName"] == {"Ref": api_id}
    assert alias["Properties"]["FunctionVersion"] == {"Fn::GetAtt": [version_id, "Version"]}
    assert "ProvisionedConcurrencyConfig" not in alias["Properties"]


def test_api_gateway_invokes_the_alias(synthesized: Synthesized) -> None:
    alias = {"Ref": alias_id(synthesized, spec.API)}
    uris = [
        r["Properties"]["Integration"]["Uri"] for r in synthesized.of_type("AWS::ApiGateway::Method").values()
    ]
    assert sum(refers_to(uri, alias) for uri in uris) == len(spec.API.routes)
    assert not any(refers_to(uri, unqualified(synthesized, spec.API)) for uri in uris)


def test_the_invoke_permissions_are_on_the_alias(synthesized: Synthesized) -> None:
    on_alias = permissions_for(synthesized, {"Ref": alias_id(synthesized, spec.API)})
    assert len(on_alias) == len(spec.API.routes)  # one per method, as before, each on the alias
    assert {p["Principal"] for p in on_alias} == {APIGATEWAY}
    assert {p["Action"] for p in on_alias} == {"lambda:InvokeFunction"}
    assert permissions_for(synthesized, unqualified(synthesized, spec.API)) == []


def test_the_other_functions_are_invoked_unqualified(synthesized: Synthesized) -> None:
    [authorizer] = synthesized.of_type("AWS::ApiGateway::Authorizer").values()
    assert not spec.AUTHORIZER.snap_start
    assert refers_to(authorizer["Properties"]["AuthorizerUri"], unqualified(synthesized, spec.AUTHORIZER))
    assert len(permissions_for(synthesized, unqualified(synthesized, spec.AUTHORIZER))) == 1
    assert len(permissions_for(synthesized, unqualified(synthesized, spec.HOOKS))) == len(spec.HOOKS.routes)
    for mapping in synthesized.of_type("AWS::Lambda::EventSourceMapping").values():
        assert set(mapping["Properties"]["FunctionName"]) == {"Ref"}  # the function's name: unqualified


def test_the_snap_start_warning_is_acknowledged(synthesized: Synthesized) -> None:
    artifact = synthesized.app.synth().get_stack_artifact(synthesized.stack.artifact_id)
    assert not [m for m in artifact.messages if "snapStartRequirePublish" in json.dumps(m.entry.data)]


def test_snap_start_needs_a_python_runtime_from_3_12() -> None:
    assert python_version("python3.13") == (3, 13)
    assert runtime().supports_snap_start is (python_version(spec.RUNTIME) >= (3, 12))


def test_a_schedule_cannot_invoke_a_snap_start_function_yet() -> None:
    with pytest.raises(ValueError, match="reports: SnapStart and a schedule"):
        check_snap_start(dataclasses.replace(spec.REPORTS_FUNCTION, snap_start=True))
    check_snap_start(spec.REPORTS_FUNCTION)


# --- SnapStart turned on where the stack leaves it off ---------------------------------------------------

ELSEWHERE = (spec.AUTHORIZER, spec.MARKETPLACE_FEED, spec.ORDER_EVENTS)


@pytest.fixture(scope="module")
def everywhere(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synthesized]:
    """The stack with SnapStart on the authorizer, the marketplace feed (SQS) and order events (stream)."""
    flipped = {fn.name: dataclasses.replace(fn, snap_start=True) for fn in ELSEWHERE}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(spec, "FUNCTIONS", tuple(flipped.get(fn.name, fn) for fn in spec.FUNCTIONS))
        patch.setattr(spec, "AUTHORIZER", flipped[spec.AUTHORIZER.name])
        outdir = tmp_path_factory.mktemp("cdk.out.snapstart")
        app, stack = build_app(outdir=str(outdir))
        app.synth()  # cdk-nag too
        yield Synthesized(app=app, stack=stack, template=Template.from_stack(stack), outdir=outdir)


def test_the_authorizer_invokes_its_alias_when_it_has_snap_start(everywhere: Synthesized) -> None:
    alias = {"Ref": alias_id(everywhere, spec.AUTHORIZER)}
    [authorizer] = everywhere.of_type("AWS::ApiGateway::Authorizer").values()
    assert refers_to(authorizer["Properties"]["AuthorizerUri"], alias)
    assert not refers_to(authorizer["Properties"]["AuthorizerUri"], unqualified(everywhere, spec.AUTHORIZER))
    [permission] = permissions_for(everywhere, alias)
    assert permission["Principal"] == APIGATEWAY
    assert permissions_for(everywhere, unqualified(everywhere, spec.AUTHORIZER)) == []


def test_event_source_mappings_invoke_the_alias_when_the_consumer_has_snap_start(
    everywhere: Synthesized,
) -> None:
    mappings = [r["Properties"] for r in everywhere.of_type("AWS::Lambda::EventSourceMapping").values()]
    for fn in (spec.MARKETPLACE_FEED, spec.ORDER_EVENTS):
        # The alias's qualified name: the function's name (from the alias ARN) and ":live".
        alias = {"Ref": alias_id(everywhere, fn)}
        on_alias = [m for m in mappings if refers_to(m["FunctionName"], alias)]
        assert len(on_alias) == len(fn.triggers), fn.name
        assert all(m["FunctionName"]["Fn::Join"][1][-1] == f":{LIVE_ALIAS}" for m in on_alias)
        assert not [m for m in mappings if m["FunctionName"] == {"Ref": function_id(everywhere, fn)}]
    # The consumers left alone still map to the function.
    inventory = {"Ref": function_id(everywhere, spec.INVENTORY_EVENTS)}
    assert [m for m in mappings if m["FunctionName"] == inventory]
