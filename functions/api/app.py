"""The API's resolver: every route of this function, its validation and its problem handlers."""

from __future__ import annotations

from functions.api.routes import (
    alarms,
    analytics_customers,
    analytics_inventory,
    analytics_trends,
    catalog,
    connections,
    customers,
    dead_letters,
    imports,
    inventory,
    keys,
    listings,
    meta,
    notifications,
    orders,
    reports,
    session,
    webhooks,
)
from shared.http import PercentDecodedResolver, register_problem_handlers

# Path parameters are the decoded segments of the path (a SKU may hold '/', '#', ' ': see the class).
app = PercentDecodedResolver(enable_validation=True)
app.include_router(meta.router)
app.include_router(session.router)
app.include_router(keys.router)
app.include_router(catalog.router)
app.include_router(inventory.router)
app.include_router(orders.router)
app.include_router(customers.router)
app.include_router(reports.router)
app.include_router(listings.router)
app.include_router(connections.router)
app.include_router(dead_letters.router)
app.include_router(imports.router)
app.include_router(alarms.router)
app.include_router(webhooks.router)
app.include_router(notifications.router)
app.include_router(analytics_customers.router)
app.include_router(analytics_inventory.router)
app.include_router(analytics_trends.router)
register_problem_handlers(app)
