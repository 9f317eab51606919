"""``oms`` (infra/cli.py) against a running endpoint: the embedded moto server, as ``make run`` starts it."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from infra import cli
from infra.description import queue_url_output
from infra.local.moto_server import EmbeddedAws
from infra.local.resources import ensure_queues
from infra.spec import MARKETPLACE_ORDERS, MARKETPLACE_ORDERS_DLQ, QUEUES, STOCK_UPDATES_DLQ
from tests.support.ports import free_port

LOCAL = {"aws_access_key_id": "local", "aws_secret_access_key": "local", "region_name": "us-east-1"}


@pytest.fixture
def endpoint() -> Iterator[str]:
    aws = EmbeddedAws("127.0.0.1", free_port()).start()
    ensure_queues(boto3.client("sqs", endpoint_url=aws.url, **LOCAL))
    try:
        yield aws.url
    finally:
        aws.stop()


def sqs(endpoint: str) -> Any:
    return boto3.client("sqs", endpoint_url=endpoint, **LOCAL)


def url(endpoint: str, name: str) -> str:
    return str(sqs(endpoint).get_queue_url(QueueName=name)["QueueUrl"])


def park(endpoint: str, external_id: str) -> str:
    reply = sqs(endpoint).send_message(
        QueueUrl=url(endpoint, MARKETPLACE_ORDERS_DLQ.local_name),
        MessageBody=json.dumps({"marketplace": "generic", "order": {"external_id": external_id}}),
        MessageAttributes={
            "oms_reason": {"DataType": "String", "StringValue": "order rejected: unknown SKU"}
        },
    )
    return str(reply["MessageId"])


def bodies(endpoint: str, name: str) -> list[str]:
    got: list[str] = []
    while (
        batch := sqs(endpoint)
        .receive_message(QueueUrl=url(endpoint, name), MaxNumberOfMessages=10)
        .get("Messages", [])
    ):
        got += [json.loads(m["Body"])["order"]["external_id"] for m in batch]
    return sorted(got)


def test_redrive_all_on_the_local_stack(endpoint: str, capsys: pytest.CaptureFixture[str]) -> None:
    for i in range(13):
        park(endpoint, f"E-{i:02}")
    assert cli.main(["redrive", "marketplace-orders", "--all", "--endpoint", endpoint]) == 0
    assert "13 message(s) redriven from marketplace-orders" in capsys.readouterr().out
    assert bodies(endpoint, MARKETPLACE_ORDERS.local_name) == [f"E-{i:02}" for i in range(13)]
    assert bodies(endpoint, MARKETPLACE_ORDERS_DLQ.local_name) == []


def test_redrive_by_id_reports_what_it_did_not_find(
    endpoint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    wanted = park(endpoint, "WANTED")
    park(endpoint, "STAYS")
    code = cli.main(["redrive", "marketplace-orders", "--id", wanted, "--id", "gone", "--endpoint", endpoint])
    out = capsys.readouterr()
    assert code == 1  # one id was not found
    assert f"redriven {wanted}" in out.out and "not found: gone" in out.err
    assert bodies(endpoint, MARKETPLACE_ORDERS.local_name) == ["WANTED"]
    assert bodies(endpoint, MARKETPLACE_ORDERS_DLQ.local_name) == ["STAYS"]


def test_only_redrivable_queues_are_offered(endpoint: str) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["redrive", "order-events", "--all", "--endpoint", endpoint])
    assert exited.value.code == 2


def test_dead_letters_lists_depths_and_peeks(endpoint: str, capsys: pytest.CaptureFixture[str]) -> None:
    park(endpoint, "PEEKED")
    sqs(endpoint).send_message(QueueUrl=url(endpoint, STOCK_UPDATES_DLQ.local_name), MessageBody="{}")
    assert cli.main(["dead-letters", "--endpoint", endpoint]) == 0
    rows = {line.split()[0]: line.split() for line in capsys.readouterr().out.splitlines()[1:]}
    assert rows["marketplace-orders"][1] == "1" and rows["stock-updates"][1] == "1"
    assert rows["order-events"][1] == "0" and "no" in rows["order-events"]
    assert cli.main(["dead-letters", "marketplace-orders", "--endpoint", endpoint]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert listing["messages"][0]["reason"] == "order rejected: unknown SKU"
    assert bodies(endpoint, MARKETPLACE_ORDERS_DLQ.local_name) == ["PEEKED"]  # still there, at once


def test_with_aws_the_urls_come_from_the_stack_and_redrive_falls_back_without_a_move_task(
    endpoint: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--aws`` against moto (AWS_ENDPOINT_URL): the queue URLs from DescribeStacks, StartMessageMoveTask
    tried and refused (moto lacks it), then send-then-delete."""
    for name, value in {**LOCAL, "AWS_ENDPOINT_URL": endpoint, "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name.upper(), value)
    template = {
        "Resources": {"Nothing": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {queue_url_output(q): {"Value": url(endpoint, q.local_name)} for q in QUEUES},
    }
    boto3.client("cloudformation", endpoint_url=endpoint, **LOCAL).create_stack(
        StackName="OmsTest", TemplateBody=json.dumps(template)
    )
    park(endpoint, "FROM-AWS")
    assert cli.main(["redrive", "marketplace-orders", "--all", "--aws", "--stack", "OmsTest"]) == 0
    assert "StartMessageMoveTask unavailable" in capsys.readouterr().err
    assert bodies(endpoint, MARKETPLACE_ORDERS.local_name) == ["FROM-AWS"]
    assert os.environ["AWS_ENDPOINT_URL"] == endpoint
