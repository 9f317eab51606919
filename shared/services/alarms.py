"""What ``GET /alarms`` answers: the stack's alarms, those that fired first; or, where the deployment has
no alarms (the local stack), that it has none."""

from __future__ import annotations

from shared.dal.alarms import AlarmSource
from shared.models.alarms import AlarmList, AlarmState, AlarmView

NO_ALARMS = "The local stack has no alarms."
_ORDER: dict[AlarmState, int] = {"ALARM": 0, "INSUFFICIENT_DATA": 1, "OK": 2}


def alarm_list(source: AlarmSource | None) -> AlarmList:
    """``source``'s alarms, those in ALARM first; ``source: none`` when there is no source. Raises
    ``shared.dal.alarms.AlarmsUnavailable`` when CloudWatch does not answer."""
    if source is None:
        return AlarmList(source="none", detail=NO_ALARMS, items=[])
    return AlarmList(source="cloudwatch", detail=None, items=sorted(source.alarms(), key=_rank))


def _rank(alarm: AlarmView) -> tuple[int, str]:
    return _ORDER[alarm.state], alarm.name
