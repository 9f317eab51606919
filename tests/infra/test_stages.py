"""Stages: ``-c stage=staging`` synthesises a stack that shares neither its name nor any physical name with
prod, prod keeps its names, the functions get their stage's names, and the account-wide API Gateway role
can be left to the other stage."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import App

from infra import spec
from infra.app import build_app
from infra.constructs.tables import PERSONAL_DATA_KEY_ALIAS
from infra.description import Function
from infra.local.resources import local_function_environment
from infra.stack import context_stage, stack_name
from shared.config import CURRENCY_ENV, ConfigError
from tests.infra.conftest import Synthesized
from tests.infra.test_stack import function_resource

# Top-level properties named like a name that are not names in an account's namespace: an inline policy's
# name is unique within its role only; an alarm's MetricName names the metric it watches; a Lambda alias's
# name (``live``) is unique within its function only; an Athena named query's name is a label within its
# workgroup (the stage's own).
SCOPED = {
    ("AWS::IAM::Policy", "PolicyName"),
    ("AWS::Athena::NamedQuery", "Name"),
    ("AWS::CloudWatch::Alarm", "MetricName"),
    ("AWS::Lambda::Alias", "Name"),
}
# The resources CloudFormation names (from the stack name, so per stage): the stack names none of them.
NAMED_BY_CLOUDFORMATION = {
    "AWS::DynamoDB::Table": "TableName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::S3::Bucket": "BucketName",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::Scheduler::Schedule": "Name",
    "AWS::IAM::Role": "RoleName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::Events::Archive": "ArchiveName",
    "AWS::Events::Rule": "Name",
}
# Alarms are named by the stack, after the stack's name (``spec.alarm_prefix``): the API reads this stage's
# alarms, and only them, by that prefix (tests/infra/test_alarm_states.py).


def physical_names(s: Synthesized) -> dict[str, tuple[str, str]]:
    """Every name-like top-level property of every resource (``...Name``, an alias): value -> (type, key)."""
    names: dict[str, tuple[str, str]] = {}
    for r in s.resources.values():
        for key, value in r.get("Properties", {}).items():
            named = key.endswith("Name") or key == "AliasName"
            if named and (r["Type"], key) not in SCOPED and isinstance(value, str):
                names[value] = (r["Type"], key)
    return names


def test_the_stage_names_the_stack(synthesized: Synthesized, staging: Synthesized) -> None:
    assert synthesized.stack.stack_name == "OmsStack"
    assert staging.stack.stack_name == "OmsStack-staging"
    assert stack_name("qa") == "OmsStack-qa"


def test_prod_and_staging_share_no_physical_name(synthesized: Synthesized, staging: Synthesized) -> None:
    prod, other = physical_names(synthesized), physical_names(staging)
    assert len(prod) >= 6 and len(other) == len(prod)  # bus, 3 aliases, API, dashboard, ...
    assert set(prod) & set(other) == set()
    assert all("staging" in name for name in other), other


@pytest.mark.parametrize("which", ["synthesized", "staging"])
def test_every_other_name_is_cloudformations(which: str, request: pytest.FixtureRequest) -> None:
    s: Synthesized = request.getfixturevalue(which)
    for r in s.resources.values():
        key = NAMED_BY_CLOUDFORMATION.get(r["Type"])
        if key is not None:
            assert key not in r.get("Properties", {}), r["Type"]


def test_prod_keeps_its_names(synthesized: Synthesized) -> None:
    names = physical_names(synthesized)
    assert names["oms-events"] == ("AWS::Events::EventBus", "Name")
    assert names[PERSONAL_DATA_KEY_ALIAS] == ("AWS::KMS::Alias", "AliasName")
    assert names[spec.SECRETS_KEY.alias] == ("AWS::KMS::Alias", "AliasName")
    assert names["oms-api"] == ("AWS::ApiGateway::RestApi", "Name")
    assert names["OmsStack.Api5xxRate"] == ("AWS::CloudWatch::Alarm", "AlarmName")


def test_staging_names(staging: Synthesized) -> None:
    names = physical_names(staging)
    for name in (
        "oms-staging-events",
        "alias/oms-staging-personal-data",
        "alias/oms-staging-secrets",
        "OmsStack-staging.Api5xxRate",
    ):
        assert name in names
    (stage,) = staging.of_type("AWS::ApiGateway::Stage").values()
    assert stage["Properties"]["StageName"] == "staging"


def env(s: Synthesized, fn: Function) -> dict[str, Any]:
    variables: dict[str, Any] = function_resource(s, fn)[1]["Properties"]["Environment"]["Variables"]
    return variables


def test_the_functions_get_their_stages_names(synthesized: Synthesized, staging: Synthesized) -> None:
    assert env(staging, spec.ORDER_EVENTS)[spec.EVENTS.env_var] == "oms-staging-events"
    assert env(staging, spec.HOOKS)[spec.SECRETS_KEY.env_var] == "alias/oms-staging-secrets"
    assert env(staging, spec.API)["POWERTOOLS_METRICS_NAMESPACE"] == "OMS/staging"
    assert env(synthesized, spec.ORDER_EVENTS)[spec.EVENTS.env_var] == "oms-events"
    assert env(synthesized, spec.HOOKS)[spec.SECRETS_KEY.env_var] == "alias/oms-secrets"
    assert env(synthesized, spec.API)["POWERTOOLS_METRICS_NAMESPACE"] == "OMS"
    # The names in the environment are the resources' own.
    buses = {r["Properties"]["Name"] for r in staging.of_type("AWS::Events::EventBus").values()}
    aliases = {r["Properties"]["AliasName"] for r in staging.of_type("AWS::KMS::Alias").values()}
    assert env(staging, spec.ORDER_EVENTS)[spec.EVENTS.env_var] in buses
    assert env(staging, spec.HOOKS)[spec.SECRETS_KEY.env_var] in aliases


def test_the_catalog_currency_comes_from_the_cdk_context(
    synthesized: Synthesized, staging: Synthesized
) -> None:
    for fn in spec.FUNCTIONS:
        assert env(synthesized, fn)[CURRENCY_ENV] == spec.CURRENCY == "USD", fn.name
        assert env(staging, fn)[CURRENCY_ENV] == "EUR", fn.name
    local = local_function_environment(spec.API, lambda q: f"http://local/{q.local_name}", "UTC", "GBP")
    assert local[CURRENCY_ENV] == "GBP"


@pytest.mark.parametrize("currency", ["EURO", "€", "", "1US"])
def test_the_synth_refuses_a_currency_that_is_no_iso_code(tmp_path: Any, currency: str) -> None:
    with pytest.raises(ConfigError, match=r"the CDK context value 'currency' is .*not an ISO 4217 code"):
        build_app(outdir=str(tmp_path), context={"currency": currency})


def test_the_local_stack_keeps_the_names_as_written() -> None:
    local = local_function_environment(spec.HOOKS, lambda q: f"http://local/{q.local_name}", "UTC")
    assert local[spec.SECRETS_KEY.env_var] == "alias/oms-secrets"
    assert local["POWERTOOLS_METRICS_NAMESPACE"] == "OMS"


def test_the_account_wide_api_gateway_role_can_be_left_out(
    synthesized: Synthesized, staging: Synthesized
) -> None:
    assert len(synthesized.of_type("AWS::ApiGateway::Account")) == 1
    assert staging.of_type("AWS::ApiGateway::Account") == {}
    # Without it no role assumable by API Gateway is made either.
    assert not [
        r
        for r in staging.of_type("AWS::IAM::Role").values()
        if "apigateway.amazonaws.com" in str(r["Properties"]["AssumeRolePolicyDocument"])
    ]


@pytest.mark.parametrize(
    ("name", "stage", "expected"),
    [
        ("oms-events", "prod", "oms-events"),
        ("oms-events", "staging", "oms-staging-events"),
        ("alias/oms-secrets", "prod", "alias/oms-secrets"),
        ("alias/oms-secrets", "qa2", "alias/oms-qa2-secrets"),
    ],
)
def test_the_naming_rule(name: str, stage: str, expected: str) -> None:
    assert spec.stage_name(name, stage) == expected


@pytest.mark.parametrize("stage", ["", "Staging", "stage-1", "2nd", "averyveryverylongstage"])
def test_a_stage_is_a_short_lowercase_word(stage: str) -> None:
    with pytest.raises(ValueError, match="stage"):
        spec.stage_name("oms-events", stage)
    with pytest.raises(ValueError, match="stage"):
        context_stage(App(context={"stage": stage}))


def test_a_name_the_stack_chooses_starts_with_the_service() -> None:
    with pytest.raises(ValueError, match="starts with 'oms-'"):
        spec.stage_name("events", "staging")
    assert context_stage(App()) == spec.PROD_STAGE
