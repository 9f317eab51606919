"""Limits: MaximumConcurrency on every queue event source, reserved concurrency behind its context toggle,
and the marketplace queues encrypted with the personal-data key, used through SQS only (kms:ViaService)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_kms as kms

from infra import spec
from infra.constructs import queues as queues_module
from infra.constructs.functions import check_concurrency
from infra.constructs.queues import key_actions
from infra.description import MIN_QUEUE_CONCURRENCY, Function, Queue, QueueTrigger
from infra.stack import context_flag
from tests.infra.conftest import Synthesized
from tests.infra.test_queues import event_source_mappings, queue_ids, queue_props
from tests.infra.test_stack import as_list, function_resource, refs, role_statements

VIA_SQS = {"Fn::Join": ["", ["sqs.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]}
QUEUE_TRIGGERS = [(fn, t) for fn in spec.FUNCTIONS for t in fn.triggers if isinstance(t, QueueTrigger)]


def personal_key_id(s: Synthesized) -> str:
    key = s.stack.tables.personal_data_key
    assert key is not None
    return s.logical_id(key)


# --- MaximumConcurrency ---------------------------------------------------------------------


@pytest.mark.parametrize(("fn", "trigger"), QUEUE_TRIGGERS, ids=[fn.name for fn, _ in QUEUE_TRIGGERS])
def test_every_queue_event_source_has_its_maximum_concurrency(
    synthesized: Synthesized, fn: Function, trigger: QueueTrigger
) -> None:
    lid = queue_ids(synthesized)[trigger.queue.id]
    (mapping,) = [m for m in event_source_mappings(synthesized, fn) if refs(m["EventSourceArn"]) == {lid}]
    assert mapping["ScalingConfig"] == {"MaximumConcurrency": trigger.max_concurrency}
    assert trigger.max_concurrency >= MIN_QUEUE_CONCURRENCY


def test_no_stream_mapping_has_a_scaling_config(synthesized: Synthesized) -> None:
    """MaximumConcurrency is an SQS setting; a stream's is the shard count (parallelization factor 1)."""
    with_scaling = [
        m["Properties"]
        for m in synthesized.of_type("AWS::Lambda::EventSourceMapping").values()
        if "ScalingConfig" in m["Properties"]
    ]
    assert len(with_scaling) == len(QUEUE_TRIGGERS)


@pytest.mark.parametrize("value", [0, 1, 1001])
def test_the_spec_refuses_a_maximum_concurrency_lambda_refuses(value: int) -> None:
    with pytest.raises(ValueError, match="max_concurrency"):
        QueueTrigger(spec.STOCK_UPDATES, max_concurrency=value)
    assert QueueTrigger(spec.STOCK_UPDATES).max_concurrency == 5  # the default


# --- reserved concurrency -------------------------------------------------------------------


def reserved(s: Synthesized) -> dict[str, Any]:
    return {
        fn.name: function_resource(s, fn)[1]["Properties"].get("ReservedConcurrentExecutions")
        for fn in spec.FUNCTIONS
    }


def test_no_reservation_by_default(synthesized: Synthesized) -> None:
    """A new account's concurrency quota (10) refuses any reservation: off unless the context asks."""
    assert set(reserved(synthesized).values()) == {None}


def test_with_the_toggle_each_function_reserves_what_the_spec_says(staging: Synthesized) -> None:
    assert reserved(staging) == {fn.name: fn.reserved_concurrency for fn in spec.FUNCTIONS}
    assert any(fn.reserved_concurrency for fn in spec.FUNCTIONS)
    assert spec.API.reserved_concurrency is None  # the API is capped by the stage's throttling instead


def test_a_reservation_is_never_under_its_queues_maximum_concurrency() -> None:
    for fn in spec.FUNCTIONS:
        check_concurrency(fn)
    starved = dataclasses.replace(spec.MARKETPLACE_FEED, reserved_concurrency=4)
    with pytest.raises(ValueError, match="under the max_concurrency"):
        check_concurrency(starved)


@pytest.mark.parametrize(
    ("value", "expected"), [(None, False), (True, True), (False, False), ("true", True), ("False", False)]
)
def test_the_toggle_reads_json_and_text(value: object, expected: bool) -> None:
    app = App(context={} if value is None else {"reserved_concurrency": value})
    assert context_flag(app, "reserved_concurrency", default=False) is expected


def test_the_toggle_refuses_anything_else() -> None:
    with pytest.raises(ValueError, match="true or false"):
        context_flag(App(context={"reserved_concurrency": "yes"}), "reserved_concurrency", default=False)


# --- the marketplace queues and the personal-data key ---------------------------------------


def test_the_marketplace_queues_carry_personal_data_and_no_other_does() -> None:
    assert {q.id for q in spec.QUEUES if q.personal_data} == {
        spec.MARKETPLACE_ORDERS.id,
        spec.MARKETPLACE_ORDERS_DLQ.id,
    }


@pytest.mark.parametrize("queue", spec.QUEUES, ids=lambda q: q.id)
def test_personal_data_queues_are_encrypted_with_the_personal_data_key(
    synthesized: Synthesized, queue: Queue
) -> None:
    props = queue_props(synthesized, queue)
    if queue.personal_data:
        assert props["KmsMasterKeyId"] == {"Fn::GetAtt": [personal_key_id(synthesized), "Arn"]}
        assert props["KmsDataKeyReusePeriodSeconds"] == 300
        assert "SqsManagedSseEnabled" not in props
    else:
        assert props["SqsManagedSseEnabled"] is True
        assert "KmsMasterKeyId" not in props


def key_statements(s: Synthesized, fn: Function) -> list[dict[str, Any]]:
    """The statements of ``fn``'s role that grant the personal-data key."""
    key = personal_key_id(s)
    return [
        st
        for st in role_statements(s, fn)
        if key in refs(st["Resource"]) and any(a.startswith("kms:") for a in as_list(st["Action"]))
    ]


def queue_key_grants(s: Synthesized, fn: Function) -> set[str]:
    """The key actions ``fn`` may use through SQS, each statement checked: this key only, via SQS only."""
    granted: set[str] = set()
    for st in key_statements(s, fn):
        if "Condition" not in st:
            continue  # a table grant (test_personal_data_key.py)
        assert st["Effect"] == "Allow"
        assert st["Condition"] == {"StringEquals": {"kms:ViaService": VIA_SQS}}, st
        assert st["Resource"] == {"Fn::GetAtt": [personal_key_id(s), "Arn"]}, st
        granted |= set(as_list(st["Action"]))
    return granted


@pytest.mark.parametrize("fn", spec.FUNCTIONS, ids=lambda f: f.name)
def test_key_use_through_sqs_is_what_the_functions_queues_need(
    synthesized: Synthesized, fn: Function
) -> None:
    sqs_actions: list[str] = []
    for trigger in fn.triggers:
        if isinstance(trigger, QueueTrigger) and trigger.queue.personal_data:
            sqs_actions += queues_module.CONSUME_ACTIONS
    for queue in fn.sends:
        if queue.personal_data:
            sqs_actions += queues_module.SEND_ACTIONS
    for dead_letter in fn.dead_letters:  # the API: receive from a dead-letter queue, send to its source
        if dead_letter.queue.personal_data:
            sqs_actions += queues_module.CONSUME_ACTIONS
        if dead_letter.redrive_to is not None and dead_letter.redrive_to.personal_data:
            sqs_actions += queues_module.SEND_ACTIONS
    assert queue_key_grants(synthesized, fn) == set(key_actions(sqs_actions))


def test_the_hooks_may_only_have_sqs_make_data_keys_and_the_feed_decrypt(synthesized: Synthesized) -> None:
    # Hooks send to the marketplace queue: SQS makes (and checks) a data key for them; they touch no
    # personal-data table, so that is all their key use.
    assert queue_key_grants(synthesized, spec.HOOKS) == {"kms:GenerateDataKey", "kms:Decrypt"}
    assert all("Condition" in st for st in key_statements(synthesized, spec.HOOKS))
    # The feed receives from the queue (decrypt) and sends poison to its DLQ (a data key).
    assert queue_key_grants(synthesized, spec.MARKETPLACE_FEED) == {"kms:GenerateDataKey", "kms:Decrypt"}
    assert queue_key_grants(synthesized, spec.STOCK_UPDATES_FUNCTION) == set()


def test_the_key_actions_sqs_needs() -> None:
    assert key_actions(queues_module.SEND_ACTIONS) == ["kms:GenerateDataKey", "kms:Decrypt"]
    assert key_actions(queues_module.CONSUME_ACTIONS) == ["kms:Decrypt"]
    assert key_actions(["sqs:GetQueueAttributes", "sqs:PurgeQueue"]) == []


def test_a_personal_data_queue_needs_a_personal_data_dead_letter_queue(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    plain_dlq = dataclasses.replace(spec.MARKETPLACE_ORDERS_DLQ, personal_data=False)
    queue = dataclasses.replace(spec.MARKETPLACE_ORDERS, dead_letter=plain_dlq)
    monkeypatch.setattr(spec, "QUEUES", (plain_dlq, queue))
    stack = Stack(App(), "Careless")
    with pytest.raises(ValueError, match="so does its dead-letter queue"):
        queues_module.Queues(stack, "Queues", personal_data_key=kms.Key(stack, "Key"))


def test_a_personal_data_queue_needs_the_key() -> None:
    with pytest.raises(ValueError, match="pass personal_data_key"):
        queues_module.Queues(Stack(App(), "Careless"), "Queues")
