"""Retrying a conditional write that lost a race: how many attempts, and the pause between them.

A transaction cancelled by contention (another writer changed an item between our read and our
write) is decided again from fresh state; between attempts each service pauses with full jitter, so
two writers that collided do not collide again in step.
"""

from __future__ import annotations

import random
from collections.abc import Callable

MAX_ATTEMPTS = 5
BASE_PAUSE_S = 0.05


def pause(attempt: int, sleep: Callable[[float], None], attempts: int = MAX_ATTEMPTS) -> None:
    """Jittered exponential backoff after ``attempt`` (0-based) failed; none after the last attempt."""
    if attempt + 1 < attempts:
        sleep(random.uniform(0, BASE_PAUSE_S * 2**attempt))  # noqa: S311 - jitter, not crypto
