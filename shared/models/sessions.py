"""Signing in to the console: the key a person sends, and who the session says they are."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr

from shared.models.common import Model, StrictModel


class SignIn(StrictModel):
    api_key: SecretStr = Field(
        min_length=1,
        max_length=256,
        description="A person's API key (admin, staff or viewer). Channel keys cannot sign in.",
        json_schema_extra={"writeOnly": True},
    )


class SessionView(Model):
    name: str = Field(description="The person's name: the actor on every change they make (staff:<name>)")
    role: Literal["viewer", "staff", "admin"]
    key_id: str = Field(description="The public id of the key the session was made from")
    csrf_token: str = Field(
        description="Send it back as the X-CSRF-Token header on every POST, PUT, PATCH and DELETE made with "
        "the session's cookie"
    )
    expires_at: str = Field(description="When the session ends if it is not used (UTC; each use moves it on)")
