"""Customer shapes: the record staff read and correct, and what an erasure leaves."""

from __future__ import annotations

from pydantic import ConfigDict, Field, model_validator

from shared.models.common import Email, Model, StrictModel
from shared.models.orders import Address

MAX_ADDRESSES = 10


class CustomerRecord(Model):
    customer_id: str
    email: str | None = Field(default=None, description="Absent once erased")
    name: str | None = None
    phone: str | None = None
    addresses: list[Address] = Field(default_factory=list)
    first_channel: str | None = Field(default=None, description="The channel of the first order")
    order_count: int = 0
    created_at: str
    updated_at: str
    last_order_at: str | None = None
    erased_at: str | None = Field(default=None, description="Set when the person was erased")


class CustomerPatch(StrictModel):
    """Corrections by staff; only the fields sent change. Orders keep the details they were placed
    with (they are what was shipped and invoiced)."""

    email: Email | None = None
    name: str | None = Field(default=None, min_length=1, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    addresses: list[Address] | None = Field(default=None, max_length=MAX_ADDRESSES)

    model_config = ConfigDict(json_schema_extra={"minProperties": 1})

    @model_validator(mode="after")
    def _something(self) -> CustomerPatch:
        if not self.model_fields_set:
            raise ValueError("send at least one of email, name, phone, addresses")
        return self


class CustomerPage(Model):
    items: list[CustomerRecord]
    next_token: str | None = None


class Erasure(Model):
    customer_id: str
    erased_at: str
    orders_erased: int = Field(description="Orders whose personal data was removed by this request")
