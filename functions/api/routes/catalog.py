"""Catalog routes (staff only)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from shared import deps
from shared.http import json_response, not_found, staff_only
from shared.models.catalog import Product, ProductIn
from shared.models.common import Sku

router = Router()
# The Sku type itself (one definition), read from the path: one segment, percent-encoded by the
# caller and decoded by the resolver (shared.http.PercentDecodedResolver) before it is validated.
SkuPath = Annotated[
    Sku,
    Path(
        description="The SKU, percent-encoded as one path segment (RFC 3986): TEE/RED/M is "
        "TEE%2FRED%2FM, A#1 is A%231, MUG WHITE 11oz is MUG%20WHITE%2011oz"
    ),
]


@router.put(
    "/products/<sku>",
    summary="Create or replace a product",
    tags=["catalog"],
    responses={200: {"description": "Replaced"}, 201: {"description": "Created"}},
)
def put_product(sku: SkuPath, product: Annotated[ProductIn, Body()]) -> Response[Product]:
    staff_only(router)
    saved, created = deps.catalog_store().put_product(
        sku, product.name, product.price, _now(), product.low_stock_threshold
    )
    return json_response(201 if created else 200, saved)


@router.get("/products/<sku>", summary="Read a product", tags=["catalog"])
def get_product(sku: SkuPath) -> Response[Product]:
    staff_only(router)
    product = deps.catalog_store().get_product(sku)
    if product is None:
        raise not_found(f"Product {sku}")
    return json_response(200, product)


def _now() -> str:
    return datetime.now(UTC).isoformat()
