"""Customers in DynamoDB (the customers table) and erasure of their personal data on orders.

customers table (pk, sk; the keys: shared/dal/keys.py):
  CUSTOMER#{customer_id}  PROFILE   the customer (email, name, phone, addresses, counts, dates)
  EMAIL#{sha256(email)}   EMAIL     which customer an email belongs to (one customer per email)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from shared.dal.dynamo import (
    Throttled,
    batch_get,
    error_code,
    from_item,
    is_throttling,
    to_item,
    to_values,
    transact,
)
from shared.dal.keys import email_item_key, profile_key
from shared.domain.customers import (
    CheckEmail,
    ClaimEmail,
    CreateCustomer,
    CustomerWrite,
    TouchCustomer,
    email_key,
)
from shared.models.customers import CustomerPatch, CustomerRecord

PERSONAL = ("email", "name", "phone", "addresses")


def customer_write(table: str, write: CustomerWrite) -> dict[str, Any]:
    """One TransactWriteItems entry of an order's customer link."""
    if isinstance(write, ClaimEmail):
        return {
            "Put": {
                "TableName": table,
                "Item": {**email_item_key(write.email_key), **to_item({"customer_id": write.customer_id})},
                "ConditionExpression": "attribute_not_exists(pk)",
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",  # whose it is
            }
        }
    if isinstance(write, CheckEmail):
        return {
            "ConditionCheck": {
                "TableName": table,
                "Key": email_item_key(write.email_key),
                "ConditionExpression": "customer_id = :id",
                "ExpressionAttributeValues": to_values({":id": write.customer_id}),
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }
    if isinstance(write, CreateCustomer):
        record = {
            "customer_id": write.customer_id,
            "email": write.email,
            "name": write.name,
            "phone": write.phone,
            "addresses": [write.address.model_dump(exclude_none=True)] if write.address else None,
            "first_channel": write.channel,
            "order_count": 1,
            "created_at": write.at,
            "updated_at": write.at,
            "last_order_at": write.at,
        }
        return {
            "Put": {
                "TableName": table,
                "Item": {**profile_key(write.customer_id), **to_item(record)},
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }
    touch: TouchCustomer = write  # the last kind left: mypy checks none is forgotten
    return {
        "Update": {
            "TableName": table,
            "Key": profile_key(touch.customer_id),
            "UpdateExpression": "SET last_order_at = :at ADD order_count :one",
            "ConditionExpression": "attribute_exists(pk) AND attribute_not_exists(erased_at) "
            "AND attribute_not_exists(erasing)",
            "ExpressionAttributeValues": to_values({":at": touch.at, ":one": 1}),
        }
    }


def email_owner(item: Mapping[str, Any] | None) -> str | None:
    """Whose an email is, from its claim item (None: nobody's)."""
    owner = item.get("customer_id") if item else None
    return str(owner) if owner else None


def record_of(item: dict[str, Any]) -> CustomerRecord:
    return CustomerRecord.model_validate({k: v for k, v in item.items() if k not in ("pk", "sk", "erasing")})


class EmailTaken(Exception):
    """Another customer has this email."""


class CustomerChanged(Exception):
    """The customer changed (or was erased) between the read and the write: read again."""


@dataclass(frozen=True)
class CustomerName:
    name: str | None  # None once erased (or never given)
    erased: bool


class CustomerStore:
    def __init__(self, client: Any, table_name: str) -> None:
        self._db = client
        self._table = table_name

    def get(self, customer_id: str, *, consistent: bool = False) -> CustomerRecord | None:
        item = from_item(
            self._db.get_item(
                TableName=self._table, Key=profile_key(customer_id), ConsistentRead=consistent
            ).get("Item")
        )
        return record_of(item) if item else None

    def names(self, customer_ids: Sequence[str]) -> dict[str, CustomerName]:
        """Each customer's name and whether they were erased (absent: no such customer); one BatchGetItem
        per 100 ids, the name and erasure only (the top customers' answer; never stored elsewhere)."""
        items = batch_get(
            self._db,
            self._table,
            [profile_key(cid) for cid in customer_ids],
            projection="customer_id, #n, erased_at",
            names={"#n": "name"},
        )
        return {
            str(item["customer_id"]): CustomerName(
                name=None if item.get("erased_at") else (str(item["name"]) if item.get("name") else None),
                erased=bool(item.get("erased_at")),
            )
            for item in items
            if "customer_id" in item
        }

    def owner_of(self, email: str) -> str | None:
        """The id of the customer an email belongs to."""
        item = from_item(
            self._db.get_item(TableName=self._table, Key=email_item_key(email_key(email))).get("Item")
        )
        return email_owner(item)

    def patch(self, current: CustomerRecord, patch: CustomerPatch, now: str) -> None:
        """Apply staff corrections on condition that the customer is still as read; a new email
        moves the email's claim in the same transaction (EmailTaken if another customer has it)."""
        values: dict[str, Any] = {":now": now, ":read": current.updated_at}
        sets = ["updated_at = :now"]
        for name in patch.model_fields_set:
            value = getattr(patch, name)
            if name == "addresses":
                value = [a.model_dump(exclude_none=True) for a in value or []]
            values[f":{name}"] = value
            sets.append(f"#{name} = :{name}")
        update: dict[str, Any] = {
            "TableName": self._table,
            "Key": profile_key(current.customer_id),
            "UpdateExpression": "SET " + ", ".join(sets),
            "ConditionExpression": "updated_at = :read AND attribute_not_exists(erased_at)",
            "ExpressionAttributeNames": {f"#{n}": n for n in patch.model_fields_set},
            "ExpressionAttributeValues": to_values(values),
        }
        items: list[dict[str, Any]] = [{"Update": update}]
        moved = (
            patch.email is not None
            and current.email is not None
            and email_key(patch.email) != email_key(current.email)
        )
        if moved and patch.email is not None and current.email is not None:
            items += [
                {
                    "Delete": {
                        "TableName": self._table,
                        "Key": email_item_key(email_key(current.email)),
                        "ConditionExpression": "customer_id = :id",
                        "ExpressionAttributeValues": to_values({":id": current.customer_id}),
                    }
                },
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": {
                            **email_item_key(email_key(patch.email)),
                            **to_item({"customer_id": current.customer_id}),
                        },
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        try:
            self._db.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if error_code(exc) != "TransactionCanceledException":
                raise
            reasons = [r.get("Code") for r in exc.response.get("CancellationReasons") or []]
            if len(reasons) == 3 and reasons[2] == "ConditionalCheckFailed":
                raise EmailTaken from exc
            raise CustomerChanged from exc

    def start_erasure(self, record: CustomerRecord, now: str) -> None:
        """Step one: the email no longer finds the customer (a later order with it creates a new
        one; an order placed meanwhile with a remembered link fails its check and does the same)
        and the profile is marked as being erased. Idempotent."""
        items: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self._table,
                    "Key": profile_key(record.customer_id),
                    "UpdateExpression": "SET erasing = if_not_exists(erasing, :now)",
                    "ConditionExpression": "attribute_exists(pk)",
                    "ExpressionAttributeValues": to_values({":now": now}),
                }
            }
        ]
        if record.email is not None:
            items.append(
                {
                    "Delete": {
                        "TableName": self._table,
                        "Key": email_item_key(email_key(record.email)),
                        "ConditionExpression": "attribute_not_exists(pk) OR customer_id = :id",
                        "ExpressionAttributeValues": to_values({":id": record.customer_id}),
                    }
                }
            )
        try:
            self._db.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if error_code(exc) != "TransactionCanceledException":
                raise
            raise CustomerChanged from exc

    def finish_erasure(self, customer_id: str, now: str) -> None:
        """Last step: the person's details leave the profile; ids, counts and dates stay."""
        self._db.update_item(
            TableName=self._table,
            Key=profile_key(customer_id),
            UpdateExpression="REMOVE #email, #name, phone, addresses, erasing "
            "SET erased_at = if_not_exists(erased_at, :now), updated_at = :now",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={"#email": "email", "#name": "name"},
            ExpressionAttributeValues=to_values({":now": now}),
        )


# --- imports: customers read in batches and written on condition they are still as read ----------


@dataclass(frozen=True)
class CreateImported:
    """A customer new to this OMS: its email claimed and its profile created, in one transaction."""

    email_key: str
    customer_id: str
    fields: Mapping[str, Any]  # email, name, phone, addresses (dicts), accepts_email_marketing
    at: str


@dataclass(frozen=True)
class UpdateImported:
    """The fields of a known customer that differ, on condition it is as read (and not being erased)."""

    email_key: str
    customer_id: str
    changes: Mapping[str, Any]
    read_updated_at: str
    at: str


ImportedWrite = CreateImported | UpdateImported


class CustomerImportStore:
    """What the customers importer needs of the customers table."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._db = client
        self._table = table_name

    def owners(self, email_keys: Sequence[str]) -> dict[str, str]:
        """Email key -> the customer it belongs to (consistent: a create is conditioned on it)."""
        items = batch_get(self._db, self._table, [email_item_key(key) for key in email_keys], consistent=True)
        found: dict[str, str] = {}
        for item in items:
            owner = email_owner(item)
            if owner:
                found[str(item["pk"]).removeprefix("EMAIL#")] = owner
        return found

    def profiles(self, customer_ids: Sequence[str]) -> dict[str, CustomerRecord]:
        items = batch_get(self._db, self._table, [profile_key(cid) for cid in customer_ids], consistent=True)
        return {str(item["customer_id"]): record_of(item) for item in items if "customer_id" in item}

    def write(self, writes: Sequence[ImportedWrite]) -> list[str] | None:
        """All ``writes`` in one TransactWriteItems (a create is two items: at most 50 creates); None
        when committed, else the email keys whose items were not as read (empty: only contended)."""
        items: list[tuple[str, dict[str, Any]]] = []
        for write in writes:
            if isinstance(write, CreateImported):
                items.append(
                    (
                        write.email_key,
                        customer_write(self._table, ClaimEmail(write.email_key, write.customer_id)),
                    )
                )
                record = {
                    "order_count": 0,
                    "created_at": write.at,
                    **write.fields,  # an export's created_at, order_count, ... win
                    "customer_id": write.customer_id,
                    "updated_at": write.at,
                }
                items.append(
                    (
                        write.email_key,
                        {
                            "Put": {
                                "TableName": self._table,
                                "Item": {**profile_key(write.customer_id), **to_item(record)},
                                "ConditionExpression": "attribute_not_exists(pk)",
                            }
                        },
                    )
                )
            else:
                names = {f"#f{i}": name for i, name in enumerate(write.changes)}
                values: dict[str, Any] = {f":f{i}": value for i, value in enumerate(write.changes.values())}
                values.update({":now": write.at, ":read": write.read_updated_at})
                sets = [f"#f{i} = :f{i}" for i in range(len(write.changes))] + ["updated_at = :now"]
                update = {
                    "TableName": self._table,
                    "Key": profile_key(write.customer_id),
                    "UpdateExpression": "SET " + ", ".join(sets),
                    "ConditionExpression": "updated_at = :read AND attribute_not_exists(erased_at) "
                    "AND attribute_not_exists(erasing)",
                    "ExpressionAttributeValues": to_values(values),
                }
                if names:
                    update["ExpressionAttributeNames"] = names
                items.append((write.email_key, {"Update": update}))
        try:
            cancelled = transact(self._db, items, lambda item: item[1])
        except ClientError as exc:
            if is_throttling(exc):
                raise Throttled(error_code(exc)) from exc
            raise
        if cancelled is None:
            return None
        return sorted({key for (key, _), _ in cancelled.failed})
