"""python -m infra.keys against a running endpoint (the embedded moto server)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest

from infra import keys as cli
from infra.local.moto_server import EmbeddedAws
from infra.local.resources import ensure_tables
from infra.spec import API_KEYS, CONNECTIONS
from shared.dal.api_keys import ApiKeyStore
from tests.support.ports import free_port


@pytest.fixture
def endpoint() -> Iterator[str]:
    aws = EmbeddedAws("127.0.0.1", free_port()).start()
    ensure_tables(boto3.client("dynamodb", endpoint_url=aws.url))
    try:
        yield aws.url
    finally:
        aws.stop()


def test_create_list_and_revoke(endpoint: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        cli.main(
            ["--endpoint", endpoint, "create", "--role", "channel", "--channel", "web-store", "--name", "S"]
        )
        == 0
    )
    created = json.loads(capsys.readouterr().out)
    store = ApiKeyStore(boto3.client("dynamodb", endpoint_url=endpoint), API_KEYS.local_name)
    principal = store.lookup(created["key"])
    assert principal is not None
    assert (principal.role, principal.channel) == ("channel", "web-store")

    assert cli.main(["--endpoint", endpoint, "list"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [k["key_id"] for k in listed] == [created["key_id"]]
    assert created["key"] not in json.dumps(listed)

    assert cli.main(["--endpoint", endpoint, "revoke", created["key_id"]]) == 0
    assert store.lookup(created["key"]) is None
    assert cli.main(["--endpoint", endpoint, "revoke", created["key_id"]]) == 1


def test_a_channel_key_needs_a_valid_channel(endpoint: str) -> None:
    with pytest.raises(SystemExit):
        cli.main(["--endpoint", endpoint, "create", "--role", "channel"])
    with pytest.raises(SystemExit):
        cli.main(["--endpoint", endpoint, "create", "--role", "channel", "--channel", "Bad Channel"])
    with pytest.raises(SystemExit):  # "staff" is the channel of staff-entered orders
        cli.main(["--endpoint", endpoint, "create", "--role", "channel", "--channel", "staff"])


def test_a_channel_key_claims_its_channel_and_a_connected_channel_gets_none(
    endpoint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    dynamodb = boto3.client("dynamodb", endpoint_url=endpoint)
    assert (
        cli.main(["--endpoint", endpoint, "create", "--role", "channel", "--channel", "web", "--name", "W"])
        == 0
    )
    capsys.readouterr()
    claim = dynamodb.get_item(TableName=CONNECTIONS.local_name, Key={"pk": {"S": "CHANNEL#web"}})["Item"]
    assert claim["owner"] == {"S": "api_key"}
    # a second key of the same channel is fine
    assert cli.main(["--endpoint", endpoint, "create", "--role", "channel", "--channel", "web"]) == 0
    capsys.readouterr()

    dynamodb.put_item(
        TableName=CONNECTIONS.local_name,
        Item={"pk": {"S": "CHANNEL#shop-us"}, "owner": {"S": "connection"}, "platform": {"S": "shopify"}},
    )
    assert cli.main(["--endpoint", endpoint, "create", "--role", "channel", "--channel", "shop-us"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and "belongs to a platform connection" in err
    assert cli.main(["--endpoint", endpoint, "list"]) == 0
    assert {k["channel"] for k in json.loads(capsys.readouterr().out)} == {"web"}
