"""EventBridge Scheduler on a laptop: a ``ScheduleTrigger`` (infra/description.py) run on the local clock.

``LocalScheduler`` (a daemon thread, started and stopped like the pollers in ``infra/local/pollers.py``)
sleeps until the trigger is next due in the business time zone (``infra.schedule_time.next_run``: DST as
Scheduler handles it), then invokes the function with the trigger's event, ``<aws.scheduler.scheduled-time>``
replaced by the time the run was due (UTC, ``2026-11-25T00:00:00Z``; the same for every retry).

A run whose invocation fails is invoked again, as Lambda retries an asynchronous invocation
(``function_error_retries``: ``retry_attempts``, at most Lambda's two), after a short backoff; when every
attempt failed, the run goes to the trigger's ``failures`` queue as Lambda's on-failure record of an
asynchronous invocation (the event in ``requestPayload``, the error in ``responsePayload``), which is what
the stack in AWS sends there for a function error.

A run missed while the laptop slept is run once on waking (still with the time it was due); the clock is
checked at least every ``MAX_SLEEP_S`` so a suspended machine does not stretch the wait. The clock and the
sleep are injectable: tests run a schedule without waiting.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from infra.description import ScheduleTrigger
from infra.local.pollers import DaemonLoop
from infra.local.workers import InvocationError
from infra.schedule_time import function_error_retries, next_run, scheduled_event

MAX_SLEEP_S = 60.0
RETRY_BACKOFF_S = 1.0  # then 2 s, 4 s...: Lambda waits a minute, then two; a laptop need not
REGION = "us-east-1"


def utc_now() -> datetime:
    return datetime.now(UTC)


class LocalScheduler(DaemonLoop):
    """One schedule trigger of one function, on a daemon thread."""

    def __init__(
        self,
        trigger: ScheduleTrigger,
        invoke: Callable[[dict[str, Any]], Any],
        sqs: Any,
        failures_url: str,
        zone: ZoneInfo,
        *,
        function_name: str = "local",
        clock: Callable[[], datetime] = utc_now,
        sleep: Callable[[float], bool] | None = None,
        backoff_s: float = RETRY_BACKOFF_S,
    ) -> None:
        super().__init__(f"schedule-{trigger.id}")
        self.trigger = trigger
        self.zone = zone
        self.function_name = function_name
        self._invoke = invoke
        self._sqs = sqs
        self._failures_url = failures_url
        self._function_arn = f"arn:aws:lambda:{REGION}:000000000000:function:{function_name}"
        self._clock = clock
        # Returns True when the scheduler is stopping (Event.wait's answer): stop the wait and the loop.
        self._sleep = sleep or self._stop.wait
        self._backoff_s = backoff_s
        self._last: datetime | None = None  # the last run handed out: never run twice

    def next_run(self) -> datetime:
        """When the next run is due, in the business time zone."""
        now = self._clock()
        after = now if self._last is None else max(now, self._last)
        return next_run(self.trigger, after, self.zone)

    def describe(self) -> str:
        """``DailyReports -> reports at 01:00 Europe/Berlin (next 2026-11-25T01:00:00+01:00)``."""
        at = f"{self.trigger.hour:02d}:{self.trigger.minute:02d}"
        return (
            f"{self.trigger.id} -> {self.function_name} at {at} {self.zone.key} "
            f"(next {self.next_run().isoformat()})"
        )

    def run_once(self) -> bool:
        """Wait for the next run and run it; False if the scheduler stopped while waiting."""
        due = self.next_run()
        while (remaining := (due - self._clock()).total_seconds()) > 0:
            if self._sleep(min(remaining, MAX_SLEEP_S)):
                return False
        self._last = due
        self.fire(due)
        return True

    def fire(self, due: datetime) -> bool:
        """Invoke the function for the run due at ``due``, with retries; True if an attempt succeeded."""
        event = scheduled_event(self.trigger, due)
        retries = function_error_retries(self.trigger)
        error: InvocationError | None = None
        for attempt in range(retries + 1):
            if attempt and self._sleep(self._backoff_s * 2 ** (attempt - 1)):
                return False  # stopping: the run is neither done nor failed
            try:
                self._invoke(event)
            except InvocationError as exc:
                error = exc
            except Exception as exc:  # whatever the invoker raises is a function error to Scheduler
                error = InvocationError(type(exc).__name__, str(exc))
            else:
                self._log(f"run {event} done" + (f" (attempt {attempt + 1})" if attempt else ""))
                return True
            self._log(f"run {event} failed ({error.error_type}); attempt {attempt + 1} of {retries + 1}")
        if error is not None:
            self._give_up(event, error, retries + 1)
        return False

    def _give_up(self, event: dict[str, str], error: InvocationError, attempts: int) -> None:
        """Lambda's on-failure record of an asynchronous invocation whose retries were exhausted."""
        record = {
            "version": "1.0",
            "timestamp": self._clock()
            .astimezone(UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": f"{self._function_arn}:$LATEST",
                "condition": "RetriesExhausted",
                "approximateInvokeCount": attempts,
            },
            "requestPayload": event,
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": "Unhandled",
            },
            "responsePayload": {"errorType": error.error_type, "errorMessage": error.message},
        }
        self._sqs.send_message(QueueUrl=self._failures_url, MessageBody=json.dumps(record))
        self._log(f"gave up on run {event} after {attempts} attempts; recorded in the failures queue")

    def _log(self, message: str) -> None:
        print(f"[schedule {self.trigger.id}] {message}", flush=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if not self.run_once():
                    return
            except Exception as exc:  # the failures queue went away: keep the schedule, like Scheduler
                self._log(f"{type(exc).__name__}: {exc}")
                if self._sleep(MAX_SLEEP_S):
                    return
