"""DynamoDB: the notifications table (key layout in shared/dal/keys.py). Claims of emails, the
per-channel switches and staff list, channels' template overrides and the suppression list.

A claim is one email (event, kind, recipient hash). ``claim`` writes it ``pending`` with a lease on
condition that it is absent, or pending with an expired lease; ``mark_sent`` makes it ``sent`` on
condition that the caller still holds the lease. No business rules: shared/services/notifications.py
decides what a claim's answer means.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from botocore.exceptions import ClientError

from shared.dal import keys
from shared.dal.dynamo import from_item, is_condition_failure, to_item
from shared.domain.moments import utc_text
from shared.models.notifications import NotificationSettings
from shared.notifications.templates import Source

PENDING = "pending"
SENT = "sent"


@dataclass(frozen=True)
class Claimed:
    """The caller holds the lease until ``lease_until``: send, then ``mark_sent`` with ``lease``."""

    lease: str
    resent: bool  # a pending claim whose earlier lease expired (its holder may or may not have sent)


@dataclass(frozen=True)
class AlreadySent:
    """The email was sent: nothing to do."""


@dataclass(frozen=True)
class Leased:
    """Another delivery holds an unexpired lease on it: try again after the lease."""

    lease_until: int


ClaimResult = Claimed | AlreadySent | Leased


class NotificationStore:
    def __init__(self, client: Any, table_name: str) -> None:
        self._db = client
        self._table = table_name

    # --- claims ------------------------------------------------------------------------------

    def claim(self, claim: str, *, now_epoch: int, lease_s: int, expires_at: int) -> ClaimResult:
        lease = secrets.token_hex(16)
        try:
            old = self._db.put_item(
                TableName=self._table,
                Item={
                    **keys.notice_key(claim),
                    "state": {"S": PENDING},
                    "lease": {"S": lease},
                    "lease_until": {"N": str(now_epoch + lease_s)},
                    "expires_at": {"N": str(expires_at)},
                },
                ConditionExpression="attribute_not_exists(pk) OR (#state = :pending AND lease_until <= :now)",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={":pending": {"S": PENDING}, ":now": {"N": str(now_epoch)}},
                ReturnValues="ALL_OLD",
            )
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise
            item = self._db.get_item(
                TableName=self._table, Key=keys.notice_key(claim), ConsistentRead=True
            ).get("Item")
            if item is None:  # gone between the two calls (TTL): claim it again next delivery
                return Leased(lease_until=now_epoch)
            if item["state"]["S"] == SENT:
                return AlreadySent()
            return Leased(lease_until=int(item["lease_until"]["N"]))
        return Claimed(lease=lease, resent="Attributes" in old)

    def mark_sent(self, claim: str, lease: str, *, message_id: str, now: datetime) -> bool:
        """False: the lease was lost (it expired and another delivery took it): that one decides."""
        try:
            self._db.update_item(
                TableName=self._table,
                Key=keys.notice_key(claim),
                UpdateExpression="SET #state = :sent, sent_at = :now, message_id = :message REMOVE lease",
                ConditionExpression="#state = :pending AND lease = :lease",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={
                    ":sent": {"S": SENT},
                    ":pending": {"S": PENDING},
                    ":lease": {"S": lease},
                    ":now": {"S": utc_text(now)},
                    ":message": {"S": message_id},
                },
            )
        except ClientError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True

    def state(self, claim: str) -> str | None:
        """A claim's state (``pending``, ``sent``) or None: for tests and staff's questions."""
        item = self._db.get_item(TableName=self._table, Key=keys.notice_key(claim), ConsistentRead=True).get(
            "Item"
        )
        return item["state"]["S"] if item else None

    # --- suppression list --------------------------------------------------------------------

    def suppressed(self, address_hash: str) -> bool:
        item = self._db.get_item(
            TableName=self._table,
            Key=keys.suppressed_key(address_hash),
            ConsistentRead=True,
            ProjectionExpression="pk",
        ).get("Item")
        return item is not None

    def suppress(self, address_hash: str, *, reason: Literal["bounce", "complaint"], now: datetime) -> None:
        self._db.put_item(
            TableName=self._table,
            Item={
                **keys.suppressed_key(address_hash),
                "reason": {"S": reason},
                "suppressed_at": {"S": utc_text(now)},
            },
        )

    # --- settings ----------------------------------------------------------------------------

    def settings(self) -> NotificationSettings:
        item = from_item(
            self._db.get_item(
                TableName=self._table, Key=keys.notification_settings_key(), ConsistentRead=True
            ).get("Item")
        )
        if item is None:
            return NotificationSettings()
        return NotificationSettings.model_validate(
            {"channels": json.loads(item.get("channels", "{}")), "staff_emails": item.get("staff_emails", [])}
        )

    def save_settings(self, settings: NotificationSettings, *, now: datetime) -> None:
        self._db.put_item(
            TableName=self._table,
            Item={
                **keys.notification_settings_key(),
                **to_item(
                    {
                        "channels": json.dumps(settings.model_dump(mode="json")["channels"], sort_keys=True),
                        "staff_emails": list(settings.staff_emails),
                        "updated_at": utc_text(now),
                    }
                ),
            },
        )

    # --- templates ---------------------------------------------------------------------------

    def template(self, channel: str, kind: str) -> Source | None:
        item = from_item(
            self._db.get_item(TableName=self._table, Key=keys.template_key(channel, kind)).get("Item")
        )
        if item is None or "subject" not in item:
            return None
        return Source(subject=str(item["subject"]), text=str(item["text"]), html=str(item["html"]))

    def put_template(self, channel: str, kind: str, source: Source, *, now: datetime) -> None:
        self._db.put_item(
            TableName=self._table,
            Item={
                **keys.template_key(channel, kind),
                **to_item(
                    {
                        "subject": source.subject,
                        "text": source.text,
                        "html": source.html,
                        "updated_at": utc_text(now),
                    }
                ),
            },
        )

    def delete_template(self, channel: str, kind: str, *, now: datetime) -> bool:
        """Remove the override's parts (an update: the API may not delete items here); False: there was
        none. ``template`` reads an item without a subject as no override."""
        try:
            self._db.update_item(
                TableName=self._table,
                Key=keys.template_key(channel, kind),
                UpdateExpression="REMOVE subject, #text, html SET removed_at = :now",
                ConditionExpression="attribute_exists(subject)",
                ExpressionAttributeNames={"#text": "text"},
                ExpressionAttributeValues={":now": {"S": utc_text(now)}},
            )
        except ClientError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True
