"""The local stack's clock: a test hook that moves the functions' time, never faked inside a handler.

Analytics need orders on several business days. On ``make run`` the stack keeps one offset from the real
time; every function invocation runs with ``time.time()``, ``datetime.now()`` and friends moved by it
(``time_machine.travel(..., tick=True)`` in the worker process, around that one invocation: time goes on
ticking from there). The handlers are the modules that deploy, untouched.

Set it over HTTP on the local gateway (no key: it exists only on 127.0.0.1, never in AWS):

    curl -X PUT localhost:3000/_local/clock -d '{"now": "2026-03-02T10:00:00Z"}'  # it is then, from now on
    curl localhost:3000/_local/clock      # {"now": ..., "offset_s": ..., "moved": true}
    curl -X DELETE localhost:3000/_local/clock   # the real time again

or start the stack with ``OMS_LOCAL_CLOCK=2026-03-02T10:00:00Z``. What it does not move: the embedded
AWS endpoint (moto's own timestamps, SQS visibility, TTL), the pollers, and the schedules' timers (they
keep the real time; run a schedule on demand with ``POST /_local/schedules/{id}/run``, which hands the
function the clock's time as the scheduled time). Presigned S3 links are signed at the moved time: ask
for a fresh one after resetting the clock.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

CLOCK_ENV = "OMS_LOCAL_CLOCK"
LOCAL_CLOCK_PATH = "/_local/clock"


def parse_instant(text: str) -> datetime:
    """An ISO 8601 instant with a zone (``Z`` or an offset): ValueError otherwise."""
    instant = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if instant.tzinfo is None:
        raise ValueError("the time needs a zone: 2026-03-02T10:00:00Z")
    return instant


class LocalClock:
    """An offset from the real time, shared by every function pool of the stack."""

    def __init__(self, start: str | None = None) -> None:
        self._lock = threading.Lock()
        self._offset_s = 0.0
        if start:
            self.set(parse_instant(start))

    @property
    def offset_s(self) -> float:
        with self._lock:
            return self._offset_s

    def now(self) -> datetime:
        return datetime.fromtimestamp(time.time() + self.offset_s, UTC)

    def set(self, instant: datetime) -> None:
        with self._lock:
            self._offset_s = instant.timestamp() - time.time()

    def reset(self) -> None:
        with self._lock:
            self._offset_s = 0.0

    def describe(self) -> dict[str, object]:
        offset = self.offset_s
        return {
            "now": self.now().isoformat().replace("+00:00", "Z"),
            "offset_s": round(offset, 3),
            "moved": offset != 0.0,
        }


@contextlib.contextmanager
def moved(offset_s: float) -> Iterator[None]:
    """Run the body at the real time moved by ``offset_s`` (nothing is patched when it is 0)."""
    if not offset_s:
        yield
        return
    import time_machine  # a dev dependency: only the local stack ever moves the clock

    with time_machine.travel(time.time() + offset_s, tick=True):
        yield
