"""DynamoDB: webhook deliveries already put on the feed, remembered for ``DELIVERY_TTL_S``.

Read before the send, written after it: a delivery whose send failed was never claimed and is taken
again when the platform retries; one whose claim failed after the send may be sent twice, and the feed
is idempotent on the platform's order id. Nothing is ever lost between the two.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from shared.dal.dynamo import is_condition_failure


class DeliveryLog:
    def __init__(self, client: Any, table_name: str) -> None:
        self._db = client
        self._table = table_name

    def seen(self, key: str, now_epoch: int) -> bool:
        """Whether the delivery was put on the feed (and its claim has not expired: TTL deletes late)."""
        item = self._db.get_item(
            TableName=self._table,
            Key={"pk": {"S": key}},
            ConsistentRead=True,
            ProjectionExpression="expires_at",
        ).get("Item")
        return bool(item) and int(item["expires_at"]["N"]) > now_epoch

    def claim(self, key: str, *, now_epoch: int, expires_at: int) -> bool:
        """Record the delivery; False when another request recorded it first (or it was still claimed)."""
        try:
            self._db.put_item(
                TableName=self._table,
                Item={"pk": {"S": key}, "expires_at": {"N": str(expires_at)}},
                ConditionExpression="attribute_not_exists(pk) OR expires_at <= :now",
                ExpressionAttributeValues={":now": {"N": str(now_epoch)}},
            )
        except ClientError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True
