"""Tables holding personal data are encrypted with one customer-managed KMS key: the key (rotated,
retained, aliased), which tables use it, and exactly which functions may use it, and how. (The
personal-data queues use it too, through SQS only: those grants carry a kms:ViaService condition and are
tested in test_limits.py; here a "table grant" is a key statement without a condition.)"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk.assertions import Template

from infra import spec
from infra.constructs.events import Buses
from infra.constructs.functions import Functions
from infra.constructs.queues import Queues
from infra.constructs.tables import PERSONAL_DATA_KEY_ALIAS, Tables
from infra.description import Function, StreamTrigger, Table, Uses
from tests.infra.conftest import Synthesized
from tests.infra.test_stack import as_list, refs, role_statements, table_ids

KEY_READ = {"kms:Decrypt"}
KEY_STREAM = {"kms:Decrypt", "kms:DescribeKey"}
KEY_WRITE = {"kms:Decrypt", "kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"}


def key_id(s: Synthesized) -> str:
    key = s.stack.tables.personal_data_key
    assert key is not None
    return s.logical_id(key)


def kms_statements(statements: list[dict[str, Any]], key: str | None = None) -> list[dict[str, Any]]:
    """The statements granting KMS actions for the tables (on ``key`` only, when given: the secrets key has
    its own tests, test_hooks_infra.py), not the queue grants (through SQS only)."""
    return [
        st
        for st in statements
        if any(a.startswith("kms:") for a in as_list(st["Action"]))
        and (key is None or key in refs(st["Resource"]))
        and "kms:ViaService" not in json.dumps(st.get("Condition", {}))
    ]


def key_actions(statements: list[dict[str, Any]], key: str) -> set[str]:
    """The KMS actions granted on ``key``, each statement checked to name that one key and nothing else."""
    found = kms_statements(statements, key)
    for st in found:
        assert st["Effect"] == "Allow"
        assert refs(st["Resource"]) == {key} and not isinstance(st["Resource"], list), st
        assert all(a.startswith("kms:") for a in as_list(st["Action"])), st
    return {a for st in found for a in as_list(st["Action"])}


# --- the key and the tables ---------------------------------------------------------------------


def test_orders_and_customers_hold_personal_data_and_the_catalog_does_not() -> None:
    assert spec.ORDERS.personal_data
    assert spec.CUSTOMERS.personal_data
    assert not spec.CATALOG.personal_data
    assert not spec.API_KEYS.personal_data


def test_one_customer_managed_key_rotated_retained_and_aliased(synthesized: Synthesized) -> None:
    keys = synthesized.of_type("AWS::KMS::Key")
    secrets_key = synthesized.logical_id(synthesized.stack.keys.key(spec.SECRETS_KEY))
    alarms_key = synthesized.logical_id(synthesized.stack.alarms.topic_key)
    feedback_key = synthesized.logical_id(synthesized.stack.email.feedback_key)
    tracking_key = synthesized.logical_id(synthesized.stack.keys.key(spec.TRACKING_KEY))
    # the others seal webhook secrets, the alarm notifications and SES's bounces and complaints, and sign
    # the tracking links
    assert set(keys) == {key_id(synthesized), secrets_key, alarms_key, feedback_key, tracking_key}
    key = keys[key_id(synthesized)]
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "Retain"
    assert key["UpdateReplacePolicy"] == "Retain"
    (alias,) = [
        a
        for a in synthesized.of_type("AWS::KMS::Alias").values()
        if a["Properties"]["AliasName"] == PERSONAL_DATA_KEY_ALIAS
    ]
    assert alias["Properties"] == {
        "AliasName": PERSONAL_DATA_KEY_ALIAS,
        "TargetKeyId": {"Fn::GetAtt": [key_id(synthesized), "Arn"]},
    }
    assert PERSONAL_DATA_KEY_ALIAS == "alias/oms-personal-data"


@pytest.mark.parametrize("table", spec.TABLES, ids=lambda t: t.id)
def test_personal_data_tables_are_encrypted_with_the_key(synthesized: Synthesized, table: Table) -> None:
    sse = synthesized.resources[table_ids(synthesized)[table.id]]["Properties"]["SSESpecification"]
    if table.personal_data:
        assert sse == {
            "SSEEnabled": True,
            "SSEType": "KMS",
            "KMSMasterKeyId": {"Fn::GetAtt": [key_id(synthesized), "Arn"]},
        }
    else:
        assert sse == {"SSEEnabled": True}  # the AWS-managed key


# --- who may use the key ----------------------------------------------------------------------


@pytest.mark.parametrize("fn", spec.FUNCTIONS, ids=lambda f: f.name)
def test_functions_may_use_the_key_as_their_access_to_personal_tables_needs(
    synthesized: Synthesized, fn: Function
) -> None:
    granted = key_actions(role_statements(synthesized, fn), key_id(synthesized))
    personal = [use for use in fn.uses if use.table.personal_data]
    if not personal:
        # A consumer of a personal table's stream only decrypts the records (CDK's stream grant).
        assert granted == (KEY_STREAM if reads_a_personal_stream(fn) else set())
    elif all(use.access == "read" for use in personal):
        assert granted == KEY_READ
    else:
        assert granted == KEY_WRITE


def reads_a_personal_stream(fn: Function) -> bool:
    return any(isinstance(t, StreamTrigger) and t.table.personal_data for t in fn.triggers)


def test_the_functions_that_place_orders_may_encrypt_and_decrypt(synthesized: Synthesized) -> None:
    for fn in (spec.API, spec.MARKETPLACE_FEED, spec.INVENTORY_EVENTS):
        assert key_actions(role_statements(synthesized, fn), key_id(synthesized)) == KEY_WRITE
    for fn in (spec.AUTHORIZER, spec.STOCK_UPDATES_FUNCTION, spec.HOOKS):
        assert kms_statements(role_statements(synthesized, fn), key_id(synthesized)) == []


def test_nothing_but_the_function_roles_is_granted_the_key(synthesized: Synthesized) -> None:
    granted_to = {
        role["Ref"]
        for policy in synthesized.of_type("AWS::IAM::Policy").values()
        if kms_statements(policy["Properties"]["PolicyDocument"]["Statement"], key_id(synthesized))
        for role in policy["Properties"]["Roles"]
    }
    function_roles = {
        synthesized.logical_id(synthesized.stack.functions.function(fn).role)
        for fn in spec.FUNCTIONS
        if any(use.table.personal_data for use in fn.uses) or reads_a_personal_stream(fn)
    }
    assert granted_to == function_roles


def test_wildcard_key_actions_are_acknowledged_only_where_granted(synthesized: Synthesized) -> None:
    for lid, policy in synthesized.of_type("AWS::IAM::Policy").items():
        rules = {r["id"] for r in policy.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])}
        acknowledged = {r for r in rules if r.startswith("AwsSolutions-IAM5[Action::kms:")}
        granted = {
            a
            for st in kms_statements(policy["Properties"]["PolicyDocument"]["Statement"])
            for a in as_list(st["Action"])
        }
        wildcards = {f"AwsSolutions-IAM5[Action::{a}]" for a in granted if a.endswith("*")}
        assert acknowledged == wildcards, lid


# --- variants of the spec: a reader, a stream consumer -------------------------------------------


def variant(monkeypatch: pytest.MonkeyPatch, tables: tuple[Table, ...], fn: Function) -> Template:
    """A stack of ``tables`` and one function (no nag, no synth to disk)."""
    monkeypatch.setattr(spec, "TABLES", tables)
    monkeypatch.setattr(spec, "FUNCTIONS", (fn,))
    stack = Stack(App(), "Variant")
    tables_construct = Tables(stack, "Tables")
    Functions(
        stack,
        "Functions",
        tables=tables_construct,
        queues=Queues(stack, "Queues", personal_data_key=tables_construct.personal_data_key),
        buses=Buses(stack, "Buses"),
    )
    return Template.from_stack(stack)


def variant_key_actions(template: Template) -> set[str]:
    resources = template.to_json()["Resources"]
    (key,) = [lid for lid, r in resources.items() if r["Type"] == "AWS::KMS::Key"]
    statements = [
        st
        for r in resources.values()
        if r["Type"] == "AWS::IAM::Policy"
        for st in r["Properties"]["PolicyDocument"]["Statement"]
    ]
    return key_actions(statements, key)


def test_a_reader_of_a_personal_table_may_only_decrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    reader = dataclasses.replace(spec.AUTHORIZER, uses=(Uses(spec.ORDERS, "read"),))
    assert variant_key_actions(variant(monkeypatch, (spec.ORDERS,), reader)) == KEY_READ


def test_a_stream_consumer_of_a_personal_table_may_decrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    """The stream mapping's own grant (stream read) brings decrypt, with no table access in ``uses``."""
    catalog = dataclasses.replace(spec.CATALOG, personal_data=True)
    (trigger,) = spec.INVENTORY_EVENTS.triggers
    assert isinstance(trigger, StreamTrigger)
    consumer = dataclasses.replace(
        spec.INVENTORY_EVENTS, uses=(), publishes=(), triggers=(dataclasses.replace(trigger, table=catalog),)
    )
    granted = variant_key_actions(variant(monkeypatch, (catalog,), consumer))
    assert "kms:Decrypt" in granted
    assert granted <= {"kms:Decrypt", "kms:DescribeKey"}  # (CDK's stream-read grant adds DescribeKey)
