"""The nightly inventory roll-up's collaborators, built once per execution environment."""

from __future__ import annotations

from shared.aws import client, once
from shared.config import DAILY_SALES_TABLE_ENV, INVENTORY_STATS_TABLE_ENV, required
from shared.dal.inventory_stats import InventoryStatsStore
from shared.dal.sales import SalesStore
from shared.services.inventory_performance import InventoryRollup, SalesUnits


@once
def rollup() -> InventoryRollup:
    dynamodb = client("dynamodb")
    stats = InventoryStatsStore(dynamodb, required(INVENTORY_STATS_TABLE_ENV))
    return InventoryRollup(stats, SalesUnits(SalesStore(dynamodb, required(DAILY_SALES_TABLE_ENV))))
