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


def test_a_persons_key_is_named_for_them_once(endpoint: str, capsys: pytest.CaptureFixture[str]) -> None:
    """admin, staff and viewer keys (issue 16): the name is the person's actor (staff:alice), and two live
    keys never share it."""
    for role in ("admin", "staff", "viewer"):
        assert cli.main(["--endpoint", endpoint, "create", "--role", role, "--name", f"{role}.one"]) == 0
        created = json.loads(capsys.readouterr().out)
        store = ApiKeyStore(boto3.client("dynamodb", endpoint_url=endpoint), API_KEYS.local_name)
        principal = store.lookup(created["key"])
        assert principal is not None
        assert (principal.role, principal.channel, principal.actor) == (role, None, f"staff:{role}.one")

    assert cli.main(["--endpoint", endpoint, "create", "--role", "viewer", "--name", "admin.one"]) == 1
    assert "admin.one" in capsys.readouterr().err


@pytest.mark.parametrize("name", [None, "", "Alice", "a b", "x" * 41])
def test_a_persons_key_needs_a_persons_name(endpoint: str, name: str | None) -> None:
    args = ["--endpoint", endpoint, "create", "--role", "staff"] + ([] if name is None else ["--name", name])
    with pytest.raises(SystemExit):
        cli.main(args)


def test_revoking_a_key_ends_its_sessions_and_listing_skips_them(
    endpoint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    import time

    from shared.dal.sessions import SessionStore

    # The embedded endpoint's tables outlive one test (moto's backends are the process's): a fresh name.
    assert cli.main(["--endpoint", endpoint, "create", "--role", "staff", "--name", "alice.sessions"]) == 0
    created = json.loads(capsys.readouterr().out)
    dynamodb = boto3.client("dynamodb", endpoint_url=endpoint)
    item = ApiKeyStore(dynamodb, API_KEYS.local_name).item(created["key"])
    assert item is not None
    sessions = SessionStore(dynamodb, API_KEYS.local_name)
    made = sessions.create(item, int(time.time()))

    assert sessions.find(made.token, int(time.time())) is not None
    assert cli.main(["--endpoint", endpoint, "list"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [k["name"] for k in listed if k["key_id"] == created["key_id"]] == ["alice.sessions"]  # once
    assert not any(k.get("kind") == "session" or "csrf_token" in k for k in listed)

    assert cli.main(["--endpoint", endpoint, "revoke", created["key_id"]]) == 0
    assert sessions.find(made.token, int(time.time())) is None
    items = dynamodb.scan(TableName=API_KEYS.local_name)["Items"]
    assert not [i for i in items if i.get("key_pk", {}).get("S") == item["pk"]]  # the session's item went
