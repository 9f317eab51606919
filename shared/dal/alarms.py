"""CloudWatch alarms: the states of this stack's alarms, by their name prefix (``shared.config``'s
``ALARM_PREFIX_ENV``). Speaks CloudWatch and nothing else; a failed call leaves as ``AlarmsUnavailable``,
never as a botocore error."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol, get_args

from botocore.exceptions import BotoCoreError, ClientError

from shared.domain.moments import utc_text
from shared.models.alarms import AlarmState, AlarmView

MAX_PAGES = 10  # 100 alarms a page: far more than the stack has (see infra/constructs/alarms.py)
_STATES: tuple[AlarmState, ...] = get_args(AlarmState)


class AlarmsUnavailable(Exception):
    """CloudWatch did not answer: throttled, refused (permissions) or unreachable."""

    def __init__(self, code: str) -> None:
        super().__init__(f"alarms unavailable ({code})")
        self.code = code


class AlarmSource(Protocol):
    def alarms(self) -> list[AlarmView]: ...


class CloudWatchAlarms:
    """An ``AlarmSource`` on a CloudWatch client: the metric alarms whose names start with ``prefix``."""

    def __init__(self, client: Any, prefix: str) -> None:
        self._cloudwatch = client
        self._prefix = prefix

    def alarms(self) -> list[AlarmView]:
        found: list[AlarmView] = []
        token: str | None = None
        for _ in range(MAX_PAGES):
            params: dict[str, Any] = {
                "AlarmNamePrefix": self._prefix,
                # Composite alarms need DescribeAlarms on "*"; the stack has none and is granted less.
                "AlarmTypes": ["MetricAlarm"],
                "MaxRecords": 100,
            }
            if token:
                params["NextToken"] = token
            try:
                page = self._cloudwatch.describe_alarms(**params)
            except ClientError as exc:
                raise AlarmsUnavailable(str(exc.response.get("Error", {}).get("Code", "Unknown"))) from exc
            except BotoCoreError as exc:
                raise AlarmsUnavailable(type(exc).__name__) from exc
            found.extend(_view(alarm) for alarm in page.get("MetricAlarms", []))
            token = page.get("NextToken")
            if not token:
                break
        return found


def _view(alarm: dict[str, Any]) -> AlarmView:
    state = alarm.get("StateValue")
    updated = alarm.get("StateUpdatedTimestamp")
    return AlarmView(
        name=str(alarm["AlarmName"]),
        state=state if state in _STATES else "INSUFFICIENT_DATA",
        reason=alarm.get("StateReason") or None,
        updated_at=utc_text(updated) if isinstance(updated, datetime) else None,
        description=alarm.get("AlarmDescription") or None,
    )
