"""A queue message that cannot apply: read as JSON or named poison, with a reason safe to log.

Shared by the marketplace feed (``shared.services.feeds``) and the warehouse stock feed
(``shared.services.stock_feed``), so the stock feed never loads the channel-order code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from pydantic import ValidationError

from shared.json_depth import TOO_DEEP, too_deep


class RetryLater(RuntimeError):
    """A transient failure: the message goes back to the queue."""


@dataclass(frozen=True)
class Poison:
    reason: str  # safe to log and to attach to the message: names fields, never their values
    marketplace: str | None = None


def load(body: str) -> object | Poison:
    """A queue message's JSON, or why it can never be read: nested too deeply (checked before the parser
    recurses), or not JSON."""
    if too_deep(body):
        return Poison(f"body is {TOO_DEEP}")
    try:
        return json.loads(body)
    except (ValueError, TypeError, RecursionError):  # not JSON, or JSON no parser should accept
        return Poison("body is not JSON")


def describe(exc: ValidationError) -> str:
    """Field paths and messages only: pydantic's ``input`` values may be personal data, and the name
    of an unknown field is the sender's text, so it is not repeated either."""
    problems = []
    for error in exc.errors():
        loc = [str(p) for p in error["loc"]]
        if error["type"] == "extra_forbidden":
            problems.append(f"{'.'.join(loc[:-1]) or '(root)'}: has an unknown field")
        else:
            problems.append(f"{'.'.join(loc) or '(root)'}: {error['msg']}")
    return "; ".join(dict.fromkeys(problems))
