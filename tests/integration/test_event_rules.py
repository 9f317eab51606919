"""Event rules on the embedded endpoint (infra/local/resources.py ``ensure_event_rules``): what the local
stack does with ``spec.EVENT_RULES``. An event the rule matches lands on its queue as the EventBridge
event, as an SQS target delivers it in AWS; one it does not match never does."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra import spec
from infra.description import EventRule
from infra.local.resources import ensure_buses, ensure_event_rules, ensure_queues

RULE = EventRule(
    "StockLowToStockUpdates",
    spec.EVENTS,
    spec.STOCK_UPDATES,
    detail_types=("StockLow",),
    sources=("oms.inventory",),
)


@pytest.fixture
def local() -> Iterator[tuple[Any, Any, dict[str, str]]]:
    with mock_aws():
        sqs, events = (
            boto3.client("sqs", region_name="eu-west-1"),
            boto3.client("events", region_name="eu-west-1"),
        )
        urls = ensure_queues(sqs)
        ensure_buses(events, sqs)
        yield sqs, events, urls


def put(events: Any, source: str, detail_type: str, detail: dict[str, Any]) -> None:
    reply = events.put_events(
        Entries=[
            {
                "EventBusName": spec.EVENTS.name,
                "Source": source,
                "DetailType": detail_type,
                "Detail": json.dumps(detail),
            }
        ]
    )
    assert reply["FailedEntryCount"] == 0


def bodies(sqs: Any, url: str) -> list[dict[str, Any]]:
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def test_a_matching_event_lands_on_the_rules_queue_as_the_eventbridge_event(
    local: tuple[Any, Any, dict[str, str]],
) -> None:
    sqs, events, urls = local
    assert ensure_event_rules(events, sqs, urls, (RULE,)) == ["local-StockLowToStockUpdates"]
    assert ensure_event_rules(events, sqs, urls, (RULE,)) == ["local-StockLowToStockUpdates"]  # again: same

    put(events, "oms.inventory", "StockLow", {"sku": "MUG"})
    put(events, "oms.orders", "StockLow", {"sku": "OTHER-SOURCE"})  # the rule names its source
    put(events, "oms.inventory", "OrderCreated", {"order_id": "o-1"})  # and its detail types

    (body,) = bodies(sqs, urls[spec.STOCK_UPDATES.local_name])
    assert (body["source"], body["detail-type"], body["detail"]) == (
        "oms.inventory",
        "StockLow",
        {"sku": "MUG"},
    )
    assert {"id", "time", "version"} <= set(body)


def test_the_rule_is_on_its_bus_with_one_target(local: tuple[Any, Any, dict[str, str]]) -> None:
    sqs, events, urls = local
    ensure_event_rules(events, sqs, urls, (RULE,))
    rule = events.describe_rule(Name=RULE.local_name, EventBusName=spec.EVENTS.name)
    assert json.loads(rule["EventPattern"]) == {"detail-type": ["StockLow"], "source": ["oms.inventory"]}
    (target,) = events.list_targets_by_rule(Rule=RULE.local_name, EventBusName=spec.EVENTS.name)["Targets"]
    assert target["Arn"].endswith(f":{spec.STOCK_UPDATES.local_name}")


def test_a_rule_names_what_it_matches() -> None:
    with pytest.raises(ValueError, match="detail types"):
        EventRule("Nothing", spec.EVENTS, spec.STOCK_UPDATES, detail_types=())
    assert EventRule("A", spec.EVENTS, spec.STOCK_UPDATES, ("X",)).pattern() == {"detail-type": ["X"]}


def test_every_spec_rule_feeds_a_queue_a_function_consumes() -> None:
    consumed = {t.queue.id for fn in spec.FUNCTIONS for t in fn.triggers if hasattr(t, "queue")}
    queues = {q.id for q in spec.QUEUES}
    for rule in spec.EVENT_RULES:
        assert rule.bus in spec.BUSES
        assert rule.queue.id in queues and rule.queue.id in consumed, rule.id
    assert len({r.id for r in spec.EVENT_RULES}) == len(spec.EVENT_RULES)
