"""Channel listings: staff map a listing that has no SKU on its channel to the SKU it sells."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from functions.api import wiring
from shared.dal.listings import UnknownSku
from shared.domain.moments import utc_text
from shared.http import invalid_field, json_response, require
from shared.models.catalog import Listing, ListingIn
from shared.models.common import CHANNEL_NAME_PATTERN, described
from shared.observability import logger
from shared.openapi import problem_responses

router = Router()
Channel = Annotated[str, Path(pattern=CHANNEL_NAME_PATTERN)]
_LISTING_ID = described(
    r"^[A-Za-z0-9._-]{1,64}$",
    "must be up to 64 letters, digits, '.', '_' or '-' (a listing's id on its channel)",
)
ListingId = Annotated[str, Path(pattern=_LISTING_ID, description="eBay legacyItemId, WooCommerce product_id")]
VariationId = Annotated[
    str, Path(pattern=_LISTING_ID, description="eBay legacyVariationId, WooCommerce variation_id")
]


@router.put(
    "/channels/<channel>/listings/<listing_id>",
    summary="Map a channel's listing to a SKU (staff): its orders' lines without a SKU resolve through it",
    tags=["channels"],
    responses=problem_responses(
        503,
        success={200: "Mapped"},
        notes={422: "Invalid fields, or the SKU is not in the catalog"},
        body=True,
    ),
)
def put_listing(
    channel: Channel, listing_id: ListingId, body: Annotated[ListingIn, Body()]
) -> Response[Listing]:
    return _put(channel, listing_id, body)


@router.put(
    "/channels/<channel>/listings/<listing_id>/<variation_id>",
    summary="Map one variation of a channel's listing to a SKU (staff)",
    tags=["channels"],
    responses=problem_responses(
        503,
        success={200: "Mapped"},
        notes={422: "Invalid fields, or the SKU is not in the catalog"},
        body=True,
    ),
)
def put_variation(
    channel: Channel, listing_id: ListingId, variation_id: VariationId, body: Annotated[ListingIn, Body()]
) -> Response[Listing]:
    return _put(channel, f"{listing_id}/{variation_id}", body)


def _put(channel: str, listing: str, body: ListingIn) -> Response[Listing]:
    caller = require(router, "staff")
    at = utc_text(datetime.now(UTC))
    try:
        wiring.listing_store().put(channel, listing, body.sku, at=at, actor=caller.actor)
    except UnknownSku:
        raise invalid_field("body.sku", "unknown SKU: create the product first") from None
    logger.info("listing mapped", channel=channel, listing=listing, sku=body.sku)
    return json_response(
        200, Listing(channel=channel, listing=listing, sku=body.sku, updated_at=at, updated_by=caller.actor)
    )
