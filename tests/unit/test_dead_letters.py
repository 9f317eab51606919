"""Dead letters without I/O: the search by id in rounds, its bound, masking, reasons, the redriven copy."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from infra import cli
from shared.dal.dead_letters import BATCH, Depth, QueueStore, Received
from shared.domain.dead_letters import (
    MAX_ATTRIBUTES,
    MOVED_BY_SQS,
    PREVIOUS_REASONS,
    masked_body,
    reason_of,
    redrive_attributes,
)
from shared.models.dead_letters import DeadLetterListing, DeadLetterOutcome, DeadLetterQueueConfig
from shared.services.dead_letters import DeadLetterService, Limits, NotRedrivable, UnknownQueue

DLQ, SOURCE = "https://sqs/dlq", "https://sqs/source"


class FakeQueues:
    """A QueueStore in memory. SQS hands out visible messages in order; a received one is hidden for its
    visibility timeout (counted in receive calls here: a held message never comes back in one search)."""

    def __init__(self, messages: Iterable[Received] = ()) -> None:
        self.queues: dict[str, list[Received]] = {DLQ: list(messages), SOURCE: []}
        self.hidden: set[str] = set()
        self.receives = 0
        self.peeks = 0
        self.released: list[str] = []
        self.log: list[tuple[str, str]] = []

    def depth(self, url: str) -> Depth:
        return Depth(len([m for m in self.queues[url] if m.message_id not in self.hidden]), len(self.hidden))

    def receive(self, url: str, *, visibility_timeout_s: int, wait_s: int = 0) -> list[Received]:
        visible = [m for m in self.queues[url] if m.message_id not in self.hidden][:BATCH]
        if visibility_timeout_s == 0:
            self.peeks += 1
        else:
            self.receives += 1
            self.hidden |= {m.message_id for m in visible}
        return visible

    def release(self, url: str, messages: Iterable[Received]) -> None:
        for m in messages:
            self.hidden.discard(m.message_id)
            self.released.append(m.message_id)

    def send(self, url: str, body: str, attributes: dict[str, dict[str, Any]]) -> str:
        new_id = f"copy-{len(self.queues[url])}"
        text = {k: v["StringValue"] for k, v in attributes.items()}
        self.queues[url].append(Received(new_id, f"h-{new_id}", body, 0, 0, text, attributes))
        self.log.append(("send", body))
        return new_id

    def delete(self, url: str, message: Received) -> None:
        self.queues[url] = [m for m in self.queues[url] if m.message_id != message.message_id]
        self.hidden.discard(message.message_id)
        self.log.append(("delete", message.message_id))


def message(i: int, reason: str | None = "order rejected: unknown SKU", **attrs: str) -> Received:
    attributes = {**({"oms_reason": reason} if reason else {}), **attrs}
    raw = {k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()}
    return Received(f"m-{i}", f"h-{i}", json.dumps({"n": i}), 1, 1_700_000_000_000, attributes, raw)


def service(store: QueueStore, limits: Limits | None = None, clock: Any = None) -> DeadLetterService:
    queues = {
        "marketplace-orders": DeadLetterQueueConfig(url=DLQ, redrive_to=SOURCE),
        "order-events": DeadLetterQueueConfig(url=DLQ),
    }
    return DeadLetterService(queues, store, limits or Limits(), **({"clock": clock} if clock else {}))


def test_the_fake_is_a_queue_store() -> None:
    store: QueueStore = FakeQueues()  # mypy checks the fake against the Protocol
    assert store.depth(DLQ) == Depth(0, 0)


def test_an_id_is_found_in_rounds_of_ten_and_the_rest_released() -> None:
    store = FakeQueues(message(i) for i in range(35))
    outcome = service(store).delete("marketplace-orders", frozenset({"m-23"}))
    assert isinstance(outcome, DeadLetterOutcome)
    assert (outcome.done, outcome.not_found, outcome.complete) == (["m-23"], [], True)
    assert store.receives == 3  # 0-9, 10-19, 20-29: found in the third round, no fourth
    assert outcome.searched == 30
    assert sorted(store.released) == sorted(f"m-{i}" for i in range(30) if i != 23)
    assert store.hidden == set()  # nothing stays held
    assert store.depth(DLQ).available == 34


def test_an_unknown_id_reads_the_queue_to_its_end_and_is_reported() -> None:
    store = FakeQueues(message(i) for i in range(25))
    outcome = service(store).delete("marketplace-orders", frozenset({"m-3", "nope"}))
    assert isinstance(outcome, DeadLetterOutcome)
    assert (outcome.done, outcome.not_found, outcome.complete) == (["m-3"], ["nope"], True)
    assert store.receives == 4  # 3 rounds of messages and the empty answer that says "exhausted"


def test_the_search_stops_at_its_rounds_and_says_it_is_incomplete() -> None:
    store = FakeQueues(message(i) for i in range(100))
    outcome = service(store, Limits(rounds=4)).delete("marketplace-orders", frozenset({"m-99"}))
    assert isinstance(outcome, DeadLetterOutcome)
    assert (outcome.complete, outcome.searched, outcome.not_found) == (False, 40, ["m-99"])
    assert store.receives == 4 and store.hidden == set()


def test_the_search_stops_at_its_time() -> None:
    ticks = iter(range(100))
    store = FakeQueues(message(i) for i in range(100))
    outcome = service(store, Limits(seconds=2.0), clock=lambda: float(next(ticks))).delete(
        "marketplace-orders", None
    )
    assert isinstance(outcome, DeadLetterOutcome)
    assert not outcome.complete and len(outcome.done) == 10  # start at 0, a round at 1, stop at 2


def test_all_is_every_message_until_exhausted() -> None:
    store = FakeQueues(message(i) for i in range(23))
    outcome = service(store).redrive("marketplace-orders", None)
    assert isinstance(outcome, DeadLetterOutcome)
    assert outcome.complete and len(outcome.done) == 23
    assert store.queues[DLQ] == [] and len(store.queues[SOURCE]) == 23


def test_redrive_sends_before_it_deletes() -> None:
    store = FakeQueues([message(1)])
    service(store).redrive("marketplace-orders", frozenset({"m-1"}))
    assert store.log == [("send", json.dumps({"n": 1})), ("delete", "m-1")]


def test_a_copy_this_run_sent_is_left_when_it_comes_back() -> None:
    """A redriven message that failed again during the same run is not redriven round and round."""
    store = FakeQueues([message(1)])
    original_send = store.send

    def send_and_fail_at_once(url: str, body: str, attributes: dict[str, dict[str, Any]]) -> str:
        new_id = original_send(url, body, attributes)
        store.queues[DLQ].append(message(99, oms_source_message_id=new_id))  # the consumer parked it
        return new_id

    store.send = send_and_fail_at_once  # type: ignore[method-assign]
    outcome = service(store).redrive("marketplace-orders", None)
    assert isinstance(outcome, DeadLetterOutcome)
    assert outcome.done == ["m-1"] and [m.message_id for m in store.queues[DLQ]] == ["m-99"]


def test_failure_records_are_not_redrivable_and_unknown_queues_are_unknown() -> None:
    store = FakeQueues([message(1)])
    assert service(store).redrive("order-events", None) == NotRedrivable("order-events")
    assert service(store).redrive("nope", None) == UnknownQueue("nope")
    assert service(store).listing("nope") == UnknownQueue("nope")
    assert store.log == []


def test_a_listing_only_peeks() -> None:
    store = FakeQueues(message(i) for i in range(3))
    listing = service(store).listing("marketplace-orders", 10)
    assert isinstance(listing, DeadLetterListing)
    assert [m.message_id for m in listing.messages] == ["m-0", "m-1", "m-2"]
    assert store.receives == 0 and store.peeks >= 1 and store.hidden == set()
    assert listing.messages[0].first_seen_at == "2023-11-14T22:13:20.000000Z"


def test_a_listing_masks_personal_data() -> None:
    body = {
        "marketplace": "generic",
        "order": {
            "external_id": "ETSY-1",
            "customer": {"email": "ada@example.com", "name": "Ada Lovelace"},
            "shipping_address": {"line1": "1 Street"},
            "note": "call +44 20 7946 0958 or mail ada@example.com",
            "lines": [{"sku": "MUG-WHITE", "quantity": 2}],
        },
    }
    assert masked_body(json.dumps(body)) == {
        "marketplace": "generic",
        "order": {
            "external_id": "ETSY-1",
            "customer": "*****",
            "shipping_address": "*****",
            "note": "call ***** or mail *****",
            "lines": [{"sku": "MUG-WHITE", "quantity": 2}],
        },
    }
    assert masked_body("not json: ada@example.com") == "not json: *****"
    assert masked_body("[" * 100_000) == "[" * 100_000  # too deep to parse: text, never a crash
    # Deep enough that the listing could not serialise it (pydantic stops at about 255 levels): text too.
    deep = "[" * 300 + '"ada@example.com"' + "]" * 300
    assert masked_body(deep) == "[" * 300 + '"*****"' + "]" * 300
    assert isinstance(masked_body("[" * 64 + "]" * 64), list)  # at the limit: still JSON


def test_the_reason_of_each_kind_of_dead_letter() -> None:
    assert reason_of({"oms_reason": "envelope: x"}, "{}", has_source=True) == "envelope: x"
    assert reason_of({}, "{}", has_source=True) == MOVED_BY_SQS
    assert reason_of({}, "{}", has_source=False) is None
    scheduler = {"ERROR_CODE": "AWS.Lambda.Throttled", "ERROR_MESSAGE": "Rate exceeded"}
    assert reason_of(scheduler, "{}", has_source=False) == "AWS.Lambda.Throttled: Rate exceeded"
    lambda_record = {
        "requestContext": {"condition": "RetriesExhausted"},
        "responsePayload": {"errorType": "KeyError"},
    }
    assert reason_of({}, json.dumps(lambda_record), has_source=False) == "RetriesExhausted: KeyError"


def test_the_redriven_copy_keeps_the_producers_attributes_and_the_reason_history() -> None:
    parked = message(1, trace="abc", oms_source="feed", oms_source_message_id="src")
    first = redrive_attributes(parked.raw_attributes, parked.attributes, "order rejected: unknown SKU")
    assert set(first) == {"trace", PREVIOUS_REASONS}  # the parking attributes are the old failure's
    assert json.loads(first[PREVIOUS_REASONS]["StringValue"]) == ["order rejected: unknown SKU"]
    # It fails again, is moved by SQS (attributes kept), and is redriven once more: both reasons.
    again = {k: v["StringValue"] for k, v in first.items()}
    second = redrive_attributes(first, again, MOVED_BY_SQS)
    assert json.loads(second[PREVIOUS_REASONS]["StringValue"]) == [
        "order rejected: unknown SKU",
        MOVED_BY_SQS,
    ]


def test_the_copy_never_exceeds_sqs_limits() -> None:
    many = {f"a{i}": f"v{i}" for i in range(10)}
    raw = {k: {"DataType": "String", "StringValue": v} for k, v in many.items()}
    copy = redrive_attributes(raw, many, "x" * 5000)
    assert len(copy) == MAX_ATTRIBUTES and PREVIOUS_REASONS in copy
    assert len(copy[PREVIOUS_REASONS]["StringValue"]) <= 1024


def test_redrive_all_in_aws_hands_the_work_to_a_move_task(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto lacks StartMessageMoveTask: the AWS path is checked against botocore's Stubber."""
    sqs = boto3.client("sqs", region_name="us-east-1")
    monkeypatch.setattr(cli, "_queue_urls", lambda args, client: lambda q: f"https://sqs/{q.local_name}")
    arn = "arn:aws:sqs:us-east-1:1:{}".format
    with Stubber(sqs) as stub:
        for name in ("oms-marketplace-orders-dlq", "oms-marketplace-orders"):
            stub.add_response(
                "get_queue_attributes",
                {"Attributes": {"QueueArn": arn(name)}},
                {"QueueUrl": f"https://sqs/{name}", "AttributeNames": ["QueueArn"]},
            )
        stub.add_response(
            "start_message_move_task",
            {"TaskHandle": "task-1"},
            {"SourceArn": arn("oms-marketplace-orders-dlq"), "DestinationArn": arn("oms-marketplace-orders")},
        )
        stub.add_response(
            "list_message_move_tasks",
            {"Results": [{"Status": "COMPLETED", "ApproximateNumberOfMessagesMoved": 7}]},
            {"SourceArn": arn("oms-marketplace-orders-dlq"), "MaxResults": 10},
        )
        args = argparse.Namespace(aws=True, all=True, queue="marketplace-orders", stack="OmsStack")
        assert cli._move_task(args, sqs) == 0
        stub.assert_no_pending_responses()  # no ReceiveMessage: SQS moved them itself


def test_oms_is_the_projects_console_script() -> None:
    import tomllib
    from importlib import import_module
    from pathlib import Path

    scripts = tomllib.loads(Path("pyproject.toml").read_text())["project"]["scripts"]
    module, _, name = scripts["oms"].partition(":")
    assert getattr(import_module(module), name) is cli.main


def test_every_queue_of_failures_is_a_dead_letter_queue_staff_can_reach() -> None:
    from infra import spec
    from infra.constructs.queues import (
        dead_letter_queues,
        failure_destinations,
        schedule_failure_destinations,
    )

    failures = {*dead_letter_queues(), *failure_destinations(), *schedule_failure_destinations()}
    assert {d.queue.id for d in spec.DEAD_LETTER_QUEUES} == failures
    assert len({d.name for d in spec.DEAD_LETTER_QUEUES}) == len(spec.DEAD_LETTER_QUEUES)
    # Exactly the dead-letter queues of a source queue redrive, each to that source.
    assert {(d.queue.id, d.redrive_to.id) for d in spec.DEAD_LETTER_QUEUES if d.redrive_to} == {
        (q.dead_letter.id, q.id) for q in spec.QUEUES if q.dead_letter
    }


def test_a_dead_letter_queue_redrives_only_to_the_queue_it_serves() -> None:
    from infra import spec
    from infra.description import DeadLetterQueue

    with pytest.raises(ValueError, match="not the dead-letter queue"):
        DeadLetterQueue("wrong", spec.STOCK_UPDATES_DLQ, redrive_to=spec.MARKETPLACE_ORDERS)


def test_the_api_environment_names_each_dead_letter_queue_and_where_it_redrives() -> None:
    from infra import spec
    from shared.config import DEAD_LETTERS_ENV
    from shared.services.dead_letters import configured_queues

    env = spec.function_environment(
        spec.API,
        lambda t: t.local_name,
        lambda q: f"https://sqs/{q.local_name}",
        bucket_name=lambda b: b.local_name,
    )
    queues = configured_queues(env[DEAD_LETTERS_ENV])
    assert queues["marketplace-orders"] == DeadLetterQueueConfig(
        url="https://sqs/oms-marketplace-orders-dlq", redrive_to="https://sqs/oms-marketplace-orders"
    )
    assert queues["schedules"] == DeadLetterQueueConfig(url="https://sqs/oms-schedule-failures")
    assert set(queues) == {d.name for d in spec.DEAD_LETTER_QUEUES}
    with pytest.raises(ValueError, match="queue_url"):
        spec.function_environment(spec.API, lambda t: t.local_name, bucket_name=lambda b: b.local_name)
