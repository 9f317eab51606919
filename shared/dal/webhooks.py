"""DynamoDB: the WEBHOOKS table: endpoints, their deliveries and each delivery's attempts.

* ``WEBHOOK#{endpoint_id}`` ``ENDPOINT``: the endpoint (URL, event types, sealed secrets, enabled, the first
  failure since the last success). ``listed`` puts it on the ``endpoints`` index (oldest first).
* ``WEBHOOK#{endpoint_id}`` ``DELIVERY#{delivery_id}``: one event for one endpoint: the envelope as sent,
  its status and its attempts (a list, appended to by each attempt). ``delivery_of`` and ``created_key``
  put it on the ``deliveries`` index (newest first per endpoint). Deliveries expire after 30 days.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from shared.dal import cursors
from shared.dal.dynamo import from_item, is_condition_failure, to_item, to_values
from shared.domain.moments import utc_text
from shared.domain.webhooks import Attempt, Delivery, Endpoint, SealedSecret

ENDPOINTS_INDEX = "endpoints"
DELIVERIES_INDEX = "deliveries"
ENDPOINT_SK = "ENDPOINT"
DELIVERY_PREFIX = "DELIVERY#"
LISTED = "ENDPOINT"
DELIVERY_DAYS = 30


def endpoint_pk(endpoint_id: str) -> str:
    return f"WEBHOOK#{endpoint_id}"


def _key(endpoint_id: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": endpoint_pk(endpoint_id)}, "sk": {"S": sk}}


MAX_DELAY_S = 12 * 3600 - 120  # SQS: 12 hours from the receive; two minutes spent at most before


@dataclass(frozen=True)
class Conflict:
    """The endpoint changed (or went) since it was read."""


class WebhookStore:
    def __init__(self, client: Any, table_name: str) -> None:
        self._db = client
        self._table = table_name

    # --- endpoints --------------------------------------------------------------------------------

    def create_endpoint(self, endpoint: Endpoint) -> None:
        self._db.put_item(
            TableName=self._table,
            Item=_endpoint_item(endpoint),
            ConditionExpression="attribute_not_exists(pk)",
        )

    def get_endpoint(self, endpoint_id: str) -> Endpoint | None:
        response = self._db.get_item(
            TableName=self._table, Key=_key(endpoint_id, ENDPOINT_SK), ConsistentRead=True
        )
        item = from_item(response.get("Item"))
        return _endpoint(item) if item else None

    def save_endpoint(self, endpoint: Endpoint, *, previous: datetime) -> Conflict | None:
        """Write ``endpoint`` over the one read at ``previous`` (its updated_at)."""
        try:
            self._db.put_item(
                TableName=self._table,
                Item=_endpoint_item(endpoint),
                ConditionExpression="updated_at = :previous",
                ExpressionAttributeValues={":previous": {"S": utc_text(previous)}},
            )
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise
            return Conflict()
        return None

    def delete_endpoint(self, endpoint_id: str) -> bool:
        response = self._db.delete_item(
            TableName=self._table, Key=_key(endpoint_id, ENDPOINT_SK), ReturnValues="ALL_OLD"
        )
        return bool(response.get("Attributes"))

    def list_endpoints(self, cursor: str | None, limit: int) -> tuple[list[Endpoint], str | None]:
        params: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": ENDPOINTS_INDEX,
            "KeyConditionExpression": "listed = :listed",
            "ExpressionAttributeValues": {":listed": {"S": LISTED}},
            "Limit": limit,
        }
        start = cursors.index_key(cursor, partition="listed", value=LISTED, sort="created_key")
        if start:
            params["ExclusiveStartKey"] = to_item(start)
        response = self._db.query(**params)
        endpoints = [
            _endpoint(item) for item in (from_item(raw) for raw in response.get("Items", [])) if item
        ]
        last = from_item(response.get("LastEvaluatedKey"))
        return endpoints, cursors.encode({"key": last}) if last else None

    def enabled_endpoints(self) -> list[Endpoint]:
        """Every enabled endpoint: one Query of the endpoints index (more only past 1 MB of endpoints)."""
        params: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": ENDPOINTS_INDEX,
            "KeyConditionExpression": "listed = :listed",
            "FilterExpression": "enabled = :enabled",
            "ExpressionAttributeValues": {":listed": {"S": LISTED}, ":enabled": {"BOOL": True}},
        }
        found: list[Endpoint] = []
        while True:
            response = self._db.query(**params)
            found += [_endpoint(i) for i in (from_item(raw) for raw in response.get("Items", [])) if i]
            if not response.get("LastEvaluatedKey"):
                return found
            params["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def mark_failing(self, endpoint_id: str, now: datetime) -> datetime | None:
        """Keep the first failure since the last success; returns it (None: the endpoint is gone)."""
        try:
            response = self._db.update_item(
                TableName=self._table,
                Key=_key(endpoint_id, ENDPOINT_SK),
                UpdateExpression="SET failing_since = if_not_exists(failing_since, :now)",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={":now": {"S": utc_text(now)}},
                ReturnValues="UPDATED_NEW",
            )
        except ClientError as exc:
            if is_condition_failure(exc):
                return None
            raise
        return datetime.fromisoformat(response["Attributes"]["failing_since"]["S"])

    def clear_failing(self, endpoint_id: str) -> None:
        try:
            self._db.update_item(
                TableName=self._table,
                Key=_key(endpoint_id, ENDPOINT_SK),
                UpdateExpression="REMOVE failing_since",
                ConditionExpression="attribute_exists(failing_since)",
            )
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise

    def disable(self, endpoint_id: str, reason: str, now: datetime) -> bool:
        """Disable an enabled endpoint; False when it was not enabled (someone else disabled it first)."""
        try:
            self._db.update_item(
                TableName=self._table,
                Key=_key(endpoint_id, ENDPOINT_SK),
                UpdateExpression="SET enabled = :off, disabled_reason = :reason, updated_at = :now",
                ConditionExpression="enabled = :on",
                ExpressionAttributeValues=to_values(
                    {":off": False, ":on": True, ":reason": reason, ":now": utc_text(now)}
                ),
            )
        except ClientError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True

    # --- deliveries -------------------------------------------------------------------------------

    def create_delivery(self, delivery: Delivery) -> bool:
        """Put a new delivery; False when it exists (the same event for the same endpoint, again)."""
        created_key = f"{utc_text(delivery.created_at)}#{delivery.delivery_id}"
        item = to_item(
            {
                "pk": endpoint_pk(delivery.endpoint_id),
                "sk": DELIVERY_PREFIX + delivery.delivery_id,
                "delivery_of": delivery.endpoint_id,
                "created_key": created_key,
                "delivery_id": delivery.delivery_id,
                "endpoint_id": delivery.endpoint_id,
                "event_type": delivery.event_type,
                "event_id": delivery.event_id,
                "body": delivery.body,
                "created_at": utc_text(delivery.created_at),
                "status": delivery.status,
                "attempts": [],
                "expires_at": int((delivery.created_at + timedelta(days=DELIVERY_DAYS)).timestamp()),
            }
        )
        try:
            self._db.put_item(
                TableName=self._table, Item=item, ConditionExpression="attribute_not_exists(pk)"
            )
        except ClientError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True

    def get_delivery(self, endpoint_id: str, delivery_id: str) -> Delivery | None:
        response = self._db.get_item(
            TableName=self._table, Key=_key(endpoint_id, DELIVERY_PREFIX + delivery_id), ConsistentRead=True
        )
        item = from_item(response.get("Item"))
        return _delivery(item) if item else None

    def record_attempt(self, delivery: Delivery, attempt: Attempt, status: str) -> None:
        self._db.update_item(
            TableName=self._table,
            Key=_key(delivery.endpoint_id, DELIVERY_PREFIX + delivery.delivery_id),
            UpdateExpression="SET attempts = list_append(if_not_exists(attempts, :none), :attempt), "
            "#status = :status, last_attempt_at = :at",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=to_values(
                {
                    ":none": [],
                    ":attempt": [_attempt_item(attempt)],
                    ":status": status,
                    ":at": utc_text(attempt.at),
                }
            ),
        )

    def deliveries(
        self, endpoint_id: str, cursor: str | None, limit: int
    ) -> tuple[list[Delivery], str | None]:
        params: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": DELIVERIES_INDEX,
            "KeyConditionExpression": "delivery_of = :endpoint",
            "ExpressionAttributeValues": {":endpoint": {"S": endpoint_id}},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        start = cursors.index_key(cursor, partition="delivery_of", value=endpoint_id, sort="created_key")
        if start:
            params["ExclusiveStartKey"] = to_item(start)
        response = self._db.query(**params)
        found = [_delivery(item) for item in (from_item(raw) for raw in response.get("Items", [])) if item]
        last = from_item(response.get("LastEvaluatedKey"))
        return found, cursors.encode({"key": last}) if last else None


def _endpoint_item(endpoint: Endpoint) -> dict[str, Any]:
    return to_item(
        {
            "pk": endpoint_pk(endpoint.endpoint_id),
            "sk": ENDPOINT_SK,
            "listed": LISTED,
            "created_key": f"{utc_text(endpoint.created_at)}#{endpoint.endpoint_id}",
            "endpoint_id": endpoint.endpoint_id,
            "url": endpoint.url,
            "events": list(endpoint.events),
            "description": endpoint.description,
            "enabled": endpoint.enabled,
            "secrets": [
                {
                    "ciphertext": s.ciphertext,
                    "added_at": utc_text(s.added_at),
                    "expires_at": utc_text(s.expires_at) if s.expires_at else None,
                }
                for s in endpoint.secrets
            ],
            "created_at": utc_text(endpoint.created_at),
            "updated_at": utc_text(endpoint.updated_at),
            "failing_since": utc_text(endpoint.failing_since) if endpoint.failing_since else None,
            "disabled_reason": endpoint.disabled_reason,
        }
    )


def _bytes(value: Any) -> bytes:
    return bytes(getattr(value, "value", value))  # boto3 deserialises B as Binary


def _time(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _endpoint(item: dict[str, Any]) -> Endpoint:
    return Endpoint(
        endpoint_id=item["endpoint_id"],
        url=item["url"],
        events=tuple(item.get("events", [])),
        description=item.get("description"),
        enabled=bool(item.get("enabled")),
        secrets=tuple(
            SealedSecret(
                ciphertext=_bytes(s["ciphertext"]),
                added_at=datetime.fromisoformat(s["added_at"]),
                expires_at=_time(s.get("expires_at")),
            )
            for s in item.get("secrets", [])
        ),
        created_at=datetime.fromisoformat(item["created_at"]),
        updated_at=datetime.fromisoformat(item["updated_at"]),
        failing_since=_time(item.get("failing_since")),
        disabled_reason=item.get("disabled_reason"),
    )


def _attempt_item(attempt: Attempt) -> dict[str, Any]:
    return {
        key: value
        for key, value in {
            "at": utc_text(attempt.at),
            "status": attempt.status,
            "verdict": attempt.verdict,
            "duration_ms": attempt.duration_ms,
            "response": attempt.response,
            "error": attempt.error,
            "replay": attempt.replay,
        }.items()
        if value is not None
    }


def _delivery(item: dict[str, Any]) -> Delivery:
    return Delivery(
        delivery_id=item["delivery_id"],
        endpoint_id=item["endpoint_id"],
        event_type=item["event_type"],
        event_id=item["event_id"],
        body=item["body"],
        created_at=datetime.fromisoformat(item["created_at"]),
        status=item.get("status", "pending"),
        attempts=tuple(
            Attempt(
                at=datetime.fromisoformat(a["at"]),
                status=int(a["status"]) if a.get("status") is not None else None,
                verdict=a.get("verdict", "failed"),
                duration_ms=int(a.get("duration_ms", 0)),
                response=a.get("response", ""),
                error=a.get("error"),
                replay=bool(a.get("replay", False)),
            )
            for a in item.get("attempts", [])
        ),
    )


MAX_BATCH = 10  # SendMessageBatch's limit


class DeliveryMessages:
    """SQS: the webhooks queue's delivery messages (the function's own, and the API's replays)."""

    def __init__(self, client: Any, queue_url: str) -> None:
        self._sqs = client
        self._url = queue_url

    def send_all(self, bodies: Sequence[str]) -> None:
        for start in range(0, len(bodies), MAX_BATCH):
            entries = [
                {"Id": str(n), "MessageBody": body}
                for n, body in enumerate(bodies[start : start + MAX_BATCH])
            ]
            for _attempt in range(2):
                failed = self._sqs.send_message_batch(QueueUrl=self._url, Entries=entries).get("Failed") or []
                refused = {f["Id"] for f in failed}
                entries = [e for e in entries if e["Id"] in refused]
                if not entries:
                    break
            if entries:
                raise RuntimeError(f"SQS refused {len(entries)} webhook delivery messages twice")

    def delay(self, receipt_handle: str, seconds: int) -> None:
        """The received message comes back in ``seconds``, at most ``MAX_DELAY_S``: SQS allows 12 hours
        counted from the receive, and some of that has passed (an attempt takes up to 10 s)."""
        self._sqs.change_message_visibility(
            QueueUrl=self._url,
            ReceiptHandle=receipt_handle,
            VisibilityTimeout=max(0, min(seconds, MAX_DELAY_S)),
        )
