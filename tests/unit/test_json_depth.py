"""The JSON depth check: a linear scan of brackets outside strings, and each parser that calls it."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import Any

import pytest

from shared.http import guard_request
from shared.json_depth import MAX_JSON_DEPTH, too_deep
from shared.services.feeds import MarketplaceFeed, Poison
from shared.services.stock_feed import parse_stock_message


def nested(levels: int, leaf: str = "1") -> str:
    """``levels`` objects and arrays inside one another, alternating, around ``leaf``."""
    text = leaf
    for level in range(levels):
        text = f'{{"a":{text}}}' if level % 2 else f"[{text}]"
    return text


@pytest.mark.parametrize("levels", [0, 1, 63, 64])
def test_up_to_the_limit_is_not_too_deep(levels: int) -> None:
    assert not too_deep(nested(levels))
    assert not too_deep(nested(levels).encode())


@pytest.mark.parametrize("levels", [65, 1_000, 100_000])
def test_over_the_limit_is_too_deep(levels: int) -> None:
    assert too_deep(nested(levels))


def test_the_limit_is_the_parser_safe_side_of_recursion() -> None:
    assert MAX_JSON_DEPTH == 64
    with pytest.raises(RecursionError):  # what the check stands in front of
        json.loads("[" * sys.getrecursionlimit() * 2 + "]" * sys.getrecursionlimit() * 2)


def test_brackets_inside_strings_do_not_count() -> None:
    assert not too_deep(json.dumps({"note": "[" * 1_000, "k{[": "{" * 100}))
    # an escaped quote does not end the string, an escaped backslash does not escape the quote after it
    assert not too_deep(json.dumps({"a": '"' + "[" * 100, "b": "\\", "c": "\\" + "{" * 100}))
    assert too_deep(json.dumps({"a": "\\"}) + "[" * 65)


def test_siblings_do_not_add_up() -> None:
    assert not too_deep("[" + ",".join([nested(63)] * 1_000) + "]")
    assert too_deep("[" + ",".join([nested(63)] * 10 + [nested(64)]) + "]")


def test_a_custom_limit() -> None:
    assert not too_deep(nested(3), limit=3)
    assert too_deep(nested(4), limit=3)


# --- each entry point ---------------------------------------------------------------------------------


def event(body: str) -> dict[str, Any]:
    return {"body": body, "headers": {"Content-Type": "application/json"}, "path": "/orders"}


@pytest.mark.parametrize("levels", [65, 1_000])
def test_an_http_body_too_deep_is_a_400_problem_before_routing(levels: int) -> None:
    answer = guard_request(event(nested(levels)), max_body_bytes=256 * 1024)
    assert answer is not None
    assert answer["statusCode"] == 400
    problem = json.loads(answer["body"])
    assert problem["type"] == "urn:oms:problem:invalid-json"
    assert problem["detail"] == "The request body is nested more than 64 levels deep."


def test_an_http_body_at_the_limit_goes_on_to_the_router() -> None:
    assert guard_request(event(nested(64)), max_body_bytes=256 * 1024) is None


@pytest.mark.parametrize("levels", [65, 1_000])
def test_a_feed_or_stock_message_too_deep_is_poison_saying_so(levels: int) -> None:
    body = '{"marketplace":"generic","order":' + nested(levels - 1) + "}"
    assert MarketplaceFeed.parse(body) == Poison("body is nested too deeply (more than 64 levels)")
    assert parse_stock_message(nested(levels), now=datetime.now(UTC)) == Poison(
        "body is nested too deeply (more than 64 levels)"
    )


def test_a_message_at_the_limit_is_parsed_and_refused_for_what_it_says() -> None:
    body = '{"marketplace":"generic","order":' + nested(63) + "}"
    refused = MarketplaceFeed.parse(body)
    assert isinstance(refused, Poison) and "nested" not in refused.reason
    stock = parse_stock_message(nested(64), now=datetime.now(UTC))
    assert isinstance(stock, Poison) and "nested" not in stock.reason
