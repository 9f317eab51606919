"""shared.aws.once and reset(): each collaborator is built once per environment, even when handlers run in
threads, and reset() forgets every one."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from shared import aws


def test_a_builder_called_from_many_threads_at_once_builds_once() -> None:
    builds: list[int] = []
    start = threading.Barrier(8)

    @aws.once
    def slow(n: int) -> object:
        builds.append(n)
        time.sleep(0.05)  # every thread misses the cache while the first is still building
        return object()

    def call(_: int) -> object:
        start.wait()
        return slow(1)

    with ThreadPoolExecutor(8) as pool:
        made = list(pool.map(call, range(8)))

    assert builds == [1]
    assert all(m is made[0] for m in made)
    assert slow(2) is not made[0] and builds == [1, 2]  # kept per arguments


def test_reset_forgets_every_builder() -> None:
    @aws.once
    def thing() -> object:
        return object()

    first = thing()
    assert thing() is first
    aws.reset()
    assert thing() is not first
