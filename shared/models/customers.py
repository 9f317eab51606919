"""Customer shapes: the record staff read and correct, and what an erasure leaves."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field, WithJsonSchema, model_validator

from shared.models.common import Email, Model, StrictModel
from shared.models.orders import Address

MAX_ADDRESSES = 10


class CustomerRecord(Model):
    customer_id: str
    email: str | None = Field(default=None, description="Absent once erased")
    name: str | None = None
    phone: str | None = None
    addresses: list[Address] = Field(default_factory=list)
    accepts_email_marketing: bool | None = Field(
        default=None, description="The customer's consent to marketing email, as imported; null: not known"
    )
    first_channel: str | None = Field(default=None, description="The channel of the first order")
    order_count: int = 0
    created_at: str
    updated_at: str
    last_order_at: str | None = None
    erased_at: str | None = Field(default=None, description="Set when the person was erased")


_EMAIL_SCHEMA = {"type": "string", "format": "email", "maxLength": 254}
_NAME_SCHEMA = {"type": "string", "minLength": 1, "maxLength": 200}


class CustomerPatch(StrictModel):
    """Corrections by staff; only the fields sent change. Orders keep the details they were placed
    with (they are what was shipped and invoiced)."""

    # An email and a name are corrected, never removed: null is refused (a customer without its email
    # would keep the email's claim, and after an erasure that claim would point at nobody).
    email: Annotated[Email | None, WithJsonSchema(_EMAIL_SCHEMA)] = None
    name: Annotated[str | None, WithJsonSchema(_NAME_SCHEMA)] = Field(
        default=None, min_length=1, max_length=200
    )
    phone: str | None = Field(default=None, max_length=40)
    addresses: list[Address] | None = Field(default=None, max_length=MAX_ADDRESSES)

    model_config = ConfigDict(json_schema_extra={"minProperties": 1})

    @model_validator(mode="after")
    def _something(self) -> CustomerPatch:
        if not self.model_fields_set:
            raise ValueError("send at least one of email, name, phone, addresses")
        for field in ("email", "name"):
            if field in self.model_fields_set and getattr(self, field) is None:
                raise ValueError(f"{field} can be corrected, not removed: send the new {field}")
        return self


class CustomerPage(Model):
    items: list[CustomerRecord]
    next_token: str | None = None


class Erasure(Model):
    customer_id: str
    erased_at: str
    orders_erased: int = Field(description="Orders whose personal data was removed by this request")
