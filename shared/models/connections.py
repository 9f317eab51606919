"""Platform connections (staff API): what staff send, and the safe view they get back (never a secret)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr

from shared.models.common import Model, StrictModel


class ConnectionIn(StrictModel):
    platform: Literal["shopify", "woocommerce"] = Field(
        description="The platform whose webhooks this channel receives"
    )
    secret: SecretStr = Field(
        min_length=8,
        max_length=512,
        description="The webhook signing secret: Shopify's app client secret (or the store's webhook "
        "signing key), or the WooCommerce webhook's secret. Stored encrypted; never shown again.",
        json_schema_extra={"writeOnly": True},
    )


class ConnectionView(Model):
    channel: str
    platform: Literal["shopify", "woocommerce"]
    hook_path: str = Field(description="Where the platform delivers: POST {API URL}{hook_path}")
    created_at: str
    rotated_at: str | None = None
    active_secrets: int = Field(description="1, or 2 while the previous secret is still accepted")
    previous_secret_expires_at: str | None = Field(
        default=None, description="When the secret a rotation replaced stops being accepted"
    )
