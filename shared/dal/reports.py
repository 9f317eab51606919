"""Report records (reports table).

  REPORT#{report_id}   REPORT   the report: type, period, status, files (shared.models.reports.Report),
                                with ``listed`` = REPORT, ``report_type`` and ``listing_key`` =
                                {period_start}#{requested_at}#{report_id} for the two listing indexes

Inserting a PENDING record is what asks for a report: the table's stream hands it to the reports
function, so a request is never accepted without being built, nor built without being recorded.
Status moves only forward, PENDING -> READY | FAILED, each on a condition.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from shared.dal import cursors
from shared.dal.dynamo import from_item, is_condition_failure, to_item, to_values
from shared.dal.keys import REPORT_SK, report_key, report_pk
from shared.models.reports import Report, ReportFile, ReportType

LISTED = "REPORT"


def report_item(report: Report) -> dict[str, Any]:
    values = report.model_dump(mode="python", exclude_none=True)
    values.update(
        pk=report_pk(report.report_id),
        sk=REPORT_SK,
        listed=LISTED,
        report_type=report.type,
        listing_key=f"{report.period_start}#{report.requested_at}#{report.report_id}",
    )
    return to_item(values)


def report_from_item(item: dict[str, Any]) -> Report:
    return Report.model_validate(item)


class ReportStore:
    def __init__(self, client: Any, table_name: str) -> None:
        self._db = client
        self._table = table_name

    def create(self, report: Report) -> tuple[Report, bool]:
        """Record a new report: ``(report, True)``; or, when its id exists already (a retried request or
        scheduled run), the stored one and False, from the refused write itself (``ALL_OLD``: one request)."""
        try:
            self._db.put_item(
                TableName=self._table,
                Item=report_item(report),
                ConditionExpression="attribute_not_exists(pk)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise
            return report_from_item(from_item(exc.response["Item"]) or {}), False
        return report, True

    def get(self, report_id: str, *, consistent: bool = False) -> Report | None:
        item = from_item(
            self._db.get_item(
                TableName=self._table, Key=report_key(report_id), ConsistentRead=consistent
            ).get("Item")
        )
        return report_from_item(item) if item else None

    def finish(self, report_id: str, files: list[ReportFile], rows: int, now: str) -> bool:
        """PENDING -> READY with its files. False: it was no longer PENDING."""
        return self._close(
            report_id,
            "SET #status = :ready, files = :files, #rows = :rows, completed_at = :now",
            {":ready": "READY", ":files": [f.model_dump(exclude_none=True) for f in files], ":rows": rows},
            now,
        )

    def fail(self, report_id: str, reason: str, now: str) -> bool:
        """PENDING -> FAILED with the reason. False: it was no longer PENDING."""
        return self._close(
            report_id,
            "SET #status = :failed, reason = :reason, completed_at = :now",
            {":failed": "FAILED", ":reason": reason},
            now,
        )

    def _close(self, report_id: str, update: str, values: dict[str, Any], now: str) -> bool:
        try:
            self._db.update_item(
                TableName=self._table,
                Key=report_key(report_id),
                UpdateExpression=update,
                ConditionExpression="#status = :pending",
                ExpressionAttributeNames={
                    "#status": "status",
                    **({"#rows": "rows"} if "#rows" in update else {}),
                },
                ExpressionAttributeValues=to_values({**values, ":now": now, ":pending": "PENDING"}),
            )
        except ClientError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True

    def list(
        self,
        report_type: ReportType | None,
        first: str | None,
        last: str | None,
        cursor: str | None,
        limit: int,
    ) -> tuple[list[Report], str | None]:
        """Newest period first; only reports whose period starts within [first, last] (ISO dates)."""
        index, attribute, value = (
            ("by_type_period", "report_type", report_type) if report_type else ("by_period", "listed", LISTED)
        )
        condition = "#pk = :pk"
        values: dict[str, Any] = {":pk": value}
        if first and last:
            condition += " AND listing_key BETWEEN :first AND :last"
            values.update({":first": first, ":last": last + "#\uffff"})
        elif first:
            condition += " AND listing_key >= :first"
            values[":first"] = first
        elif last:
            condition += " AND listing_key <= :last"
            values[":last"] = last + "#\uffff"
        params: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": index,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": {"#pk": attribute},
            "ExpressionAttributeValues": to_values(values),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        start = self._start(cursor, attribute, value)
        if start:
            params["ExclusiveStartKey"] = start
        response = self._db.query(**params)
        reports = [report_from_item(from_item(raw) or {}) for raw in response.get("Items", [])]
        last_key = from_item(response.get("LastEvaluatedKey"))
        return reports, cursors.encode({"key": last_key, "of": value}) if last_key else None

    @staticmethod
    def _start(cursor: str | None, attribute: str, value: str) -> dict[str, Any] | None:
        if not cursor:
            return None
        state = cursors.decode(cursor)
        key = state.get("key")
        if (
            state.get("of") != value
            or not isinstance(key, dict)
            or set(key) != {"pk", "sk", attribute, "listing_key"}
            or key.get(attribute) != value
            or not all(isinstance(v, str) for v in key.values())
        ):
            raise cursors.InvalidCursor("next_token does not belong to this query")
        return to_item(key)
