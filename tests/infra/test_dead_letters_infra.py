"""The API's dead-letter grants in the stack: consume on the dead-letter queues, send on the queues they
redrive to, nothing else on SQS; their URLs in OMS_DEAD_LETTERS."""

from __future__ import annotations

from typing import Any

from infra import spec
from shared.config import DEAD_LETTERS_ENV
from tests.infra.conftest import Synthesized
from tests.infra.test_queues import all_sqs_actions, queue_ids, sqs_actions_on
from tests.infra.test_stack import function_resource, refs, role_statements

CONSUME = {
    "sqs:ReceiveMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl",
}
SEND = {"sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"}


def test_the_api_consumes_each_dead_letter_queue_and_sends_only_to_where_it_redrives(
    synthesized: Synthesized,
) -> None:
    statements = role_statements(synthesized, spec.API)
    ids = queue_ids(synthesized)
    for dead_letter in spec.API.dead_letters:
        # Receive, hold and release, delete, depth: never send into a dead-letter queue, never purge it.
        assert sqs_actions_on(statements, ids[dead_letter.queue.id]) == CONSUME, dead_letter.name
    assert sqs_actions_on(statements, ids[spec.MARKETPLACE_ORDERS.id]) == SEND
    assert sqs_actions_on(statements, ids[spec.STOCK_UPDATES.id]) == SEND
    assert sqs_actions_on(statements, ids[spec.IMPORT_WORK.id]) == SEND
    assert sqs_actions_on(statements, ids[spec.WEBHOOKS_QUEUE.id]) == SEND  # redrive, and a replay
    assert sqs_actions_on(statements, ids[spec.NOTIFICATIONS_QUEUE.id]) == SEND  # redrive
    reached = {
        lid
        for st in statements
        if any(a.startswith("sqs:") for a in _actions(st))
        for lid in refs(st["Resource"])
    }
    expected = {ids[d.queue.id] for d in spec.API.dead_letters} | {
        ids[spec.MARKETPLACE_ORDERS.id],
        ids[spec.STOCK_UPDATES.id],
        ids[spec.IMPORT_WORK.id],
        ids[spec.WEBHOOKS_QUEUE.id],
        ids[spec.NOTIFICATIONS_QUEUE.id],
    }
    assert reached == expected  # not the events tap, nothing else
    assert all_sqs_actions(statements) == CONSUME | SEND  # no PurgeQueue, no StartMessageMoveTask
    for st in statements:
        if any(a.startswith("sqs:") for a in _actions(st)):
            assert "*" not in str(st["Resource"]), st


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return action if isinstance(action, list) else [action]


def test_only_the_api_may_touch_the_dead_letters_as_staff(synthesized: Synthesized) -> None:
    """The feeds send their poison in; nobody else receives from or deletes in a dead-letter queue."""
    ids = queue_ids(synthesized)
    for fn in spec.FUNCTIONS:
        if fn is spec.API:
            continue
        statements = role_statements(synthesized, fn)
        for dead_letter in spec.DEAD_LETTER_QUEUES:
            actions = sqs_actions_on(statements, ids[dead_letter.queue.id])
            assert not actions & {"sqs:ReceiveMessage", "sqs:DeleteMessage"}, (fn.name, dead_letter.name)


def test_the_api_gets_every_dead_letter_queue_url_in_one_variable(synthesized: Synthesized) -> None:
    _, function = function_resource(synthesized, spec.API)
    value = function["Properties"]["Environment"]["Variables"][DEAD_LETTERS_ENV]
    ids = queue_ids(synthesized)
    # CloudFormation joins the JSON around each queue's URL (its Ref).
    assert refs(value) == {ids[d.queue.id] for d in spec.DEAD_LETTER_QUEUES} | {
        ids[spec.MARKETPLACE_ORDERS.id],
        ids[spec.STOCK_UPDATES.id],
        ids[spec.IMPORT_WORK.id],
        ids[spec.WEBHOOKS_QUEUE.id],
        ids[spec.NOTIFICATIONS_QUEUE.id],
    }
    text = "".join(part if isinstance(part, str) else "<url>" for part in value["Fn::Join"][1])
    for dead_letter in spec.DEAD_LETTER_QUEUES:
        assert f'"{dead_letter.name}":{{"url":"<url>","redrive_to":' in text


def test_the_queues_other_functions_see_carry_no_dead_letters(synthesized: Synthesized) -> None:
    for fn in spec.FUNCTIONS:
        if fn is not spec.API:
            _, function = function_resource(synthesized, fn)
            assert DEAD_LETTERS_ENV not in function["Properties"]["Environment"]["Variables"], fn.name
