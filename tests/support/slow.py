"""A Lambda handler for local-stack tests: sleeps as long as the event says, then echoes it."""

from __future__ import annotations

import time
from typing import Any


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    time.sleep(float(event.get("sleep", 0)))
    if event.get("clock"):  # what time it is for a function: the local clock hook's test
        import datetime as dt

        return {"time": time.time(), "now": dt.datetime.now(dt.UTC).isoformat()}
    return {"echo": event.get("value")}
