"""The local stack's Lambda environments: timeouts free their slot, nothing waits forever."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from infra.description import Function
from infra.local.workers import FunctionPool, InvocationError


@dataclass(frozen=True)
class SlowFunction(Function):
    @property
    def handler(self) -> str:
        return "tests.support.slow.lambda_handler"


SLOW = SlowFunction(name="slow", description="test", timeout_s=1)


@pytest.fixture
def pool() -> FunctionPool:
    pool = FunctionPool(SLOW, {}, size=1)
    yield pool  # type: ignore[misc]
    pool.stop()


def test_an_invocation_answers(pool: FunctionPool) -> None:
    assert pool.invoke({"value": 7}) == {"echo": 7}


def test_a_timeout_frees_the_slot_for_the_next_request(pool: FunctionPool) -> None:
    with pytest.raises(InvocationError, match="timed out"):
        pool.invoke({"sleep": 5})
    assert pool.invoke({"value": "after"}) == {"echo": "after"}


def test_a_request_waiting_for_a_busy_environment_that_dies_is_served(pool: FunctionPool) -> None:
    with ThreadPoolExecutor(2) as threads:
        doomed = threads.submit(pool.invoke, {"sleep": 5})  # holds the only environment, then times out
        waiting = threads.submit(pool.invoke, {"value": "served"})
        with pytest.raises(InvocationError):
            doomed.result(timeout=30)
        assert waiting.result(timeout=30) == {"echo": "served"}


def test_the_local_clock_moves_a_functions_time_and_only_while_set() -> None:
    """The clock hook (infra/local/clock.py): the worker runs the handler at the moved time, ticking."""
    import datetime as dt
    import time

    from infra.local.clock import LocalClock

    clock = LocalClock("2026-03-02T10:00:00Z")
    pool = FunctionPool(SLOW, {}, size=1, clock=clock)
    try:
        moved = pool.invoke({"clock": True})
        assert moved["now"].startswith("2026-03-02T10:00:0")
        assert abs(moved["time"] - dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC).timestamp()) < 10
        clock.reset()
        real = pool.invoke({"clock": True})
        assert abs(real["time"] - time.time()) < 10  # the same environment, back to the real time
    finally:
        pool.stop()
