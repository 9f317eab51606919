"""Channel listings mapped to SKUs: where a channel's line has no SKU (an eBay listing without a seller
SKU, a WooCommerce product without one), staff map the listing to a SKU once, and every order of it
resolves through the map.

catalog table: ``LISTING#{channel}#{listing}`` ``LISTING`` -> ``sku``. The sort key keeps these items apart
from the products whatever a SKU is named, and out of the catalog stream's filter (SKU, WAIT#).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from botocore.exceptions import ClientError

from shared.dal import keys
from shared.dal.dynamo import error_code, from_item, to_item

_BATCH_GET_LIMIT = 100


class UnknownSku(LookupError):
    """The SKU a listing was to map to is not in the catalog."""


class ListingStore:
    def __init__(self, client: Any, table_name: str) -> None:
        self._db = client
        self._table = table_name

    def put(self, channel: str, listing: str, sku: str, *, at: str, actor: str) -> None:
        """Map a listing to a SKU the catalog has (checked in the same write)."""
        try:
            self._db.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": {
                                **keys.listing_key(channel, listing),
                                **to_item(
                                    {
                                        "channel": channel,
                                        "listing": listing,
                                        "sku": sku,
                                        "updated_at": at,
                                        "updated_by": actor,
                                    }
                                ),
                            },
                        }
                    },
                    {
                        "ConditionCheck": {
                            "TableName": self._table,
                            "Key": keys.sku_key(sku),
                            "ConditionExpression": "attribute_exists(price)",
                        }
                    },
                ]
            )
        except ClientError as exc:
            reasons = exc.response.get("CancellationReasons") or []
            if error_code(exc) == "TransactionCanceledException" and any(
                r.get("Code") == "ConditionalCheckFailed" for r in reasons
            ):
                raise UnknownSku(sku) from None
            raise

    def resolve(self, channel: str, listings: Iterable[str]) -> dict[str, str]:
        """The SKU of each mapped listing; unmapped ones are absent. One BatchGetItem per 100."""
        wanted = sorted(set(listings))
        found: dict[str, str] = {}
        for start in range(0, len(wanted), _BATCH_GET_LIMIT):
            request: dict[str, Any] = {
                self._table: {
                    "Keys": [
                        keys.listing_key(channel, listing)
                        for listing in wanted[start : start + _BATCH_GET_LIMIT]
                    ],
                    "ProjectionExpression": "listing, sku",
                }
            }
            while request:
                response = self._db.batch_get_item(RequestItems=request)
                for raw in response.get("Responses", {}).get(self._table, []):
                    item = from_item(raw) or {}
                    found[str(item["listing"])] = str(item["sku"])
                request = response.get("UnprocessedKeys") or {}
        return found
