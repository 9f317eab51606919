"""The one way a plan is committed (shared.dal.dynamo.transact), with a fake client (no AWS)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from shared.dal.dynamo import Cancellation, to_item, transact


class Client:
    def __init__(self, error: ClientError | None = None) -> None:
        self.error = error
        self.requests: list[dict[str, Any]] = []

    def transact_write_items(self, **params: Any) -> dict[str, Any]:
        self.requests.append(params)
        if self.error:
            raise self.error
        return {}


def cancelled(*codes: str, item: dict[str, Any] | None = None) -> ClientError:
    reasons = [{"Code": code} for code in codes]
    if item is not None:
        reasons[0]["Item"] = to_item(item)
    return ClientError(
        {"Error": {"Code": "TransactionCanceledException"}, "CancellationReasons": reasons},
        "TransactWriteItems",
    )


def render(write: str) -> dict[str, Any]:
    return {"Put": {"TableName": "t", "Item": {"pk": {"S": write}}}}


def test_a_committed_plan_is_one_request_in_write_order_with_the_token_when_given() -> None:
    client = Client()

    assert transact(client, ["a", "b"], render, token="tok") is None
    assert transact(client, ["c"], render) is None

    first, second = client.requests
    assert first == {"TransactItems": [render("a"), render("b")], "ClientRequestToken": "tok"}
    assert second == {"TransactItems": [render("c")]}  # no token: none sent


def test_a_cancellation_pairs_each_refused_write_with_the_item_it_met() -> None:
    client = Client(cancelled("ConditionalCheckFailed", "None", "ConditionalCheckFailed", item={"n": 1}))

    result = transact(client, ["a", "b", "c"], render)

    assert result == Cancellation([("a", {"n": 1}), ("c", None)], contended=False)


@pytest.mark.parametrize("code", ["TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"])
def test_a_write_only_contended_is_said_so(code: str) -> None:
    result = transact(Client(cancelled("None", code)), ["a", "b"], render)

    assert result == Cancellation([], contended=True)


@pytest.mark.parametrize(
    "error",
    [
        cancelled("ValidationError"),
        ClientError({"Error": {"Code": "ResourceNotFoundException"}}, "TransactWriteItems"),
    ],
)
def test_anything_else_is_raised_not_returned(error: ClientError) -> None:
    with pytest.raises(ClientError):
        transact(Client(error), ["a"], render)
