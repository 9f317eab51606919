"""API keys over HTTP (admin): a person's key made, listed and revoked. A key is shown once, when made."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shared.domain.auth import PERSON_NAME_PATTERN
from shared.models.common import Model, StrictModel


class KeyIn(StrictModel):
    name: str = Field(
        min_length=1,
        max_length=40,
        pattern=PERSON_NAME_PATTERN,
        description="Who holds the key: their name in the audit trail (staff:<name>). One live key per name.",
        examples=["alice"],
    )
    role: Literal["viewer", "staff", "admin"] = Field(
        description="viewer reads everything; staff also works orders, stock and reports; admin also "
        "erases customers and manages keys, connections and dead letters. Channel keys are made with "
        "python -m infra.keys."
    )


class KeyView(Model):
    key_id: str
    name: str
    role: Literal["viewer", "staff", "admin", "channel"]
    channel: str | None = None
    created_at: str


class KeyList(Model):
    items: list[KeyView]


class NewKey(Model):
    key_id: str
    name: str
    role: Literal["viewer", "staff", "admin"]
    api_key: str = Field(description="The key itself: shown this once, never again")
