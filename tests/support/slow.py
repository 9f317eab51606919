"""A Lambda handler for local-stack tests: sleeps as long as the event says, then echoes it."""

from __future__ import annotations

import time
from typing import Any


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    time.sleep(float(event.get("sleep", 0)))
    return {"echo": event.get("value")}
