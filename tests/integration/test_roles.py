"""Who may call what: every authorized route of infra/spec.py against the lowest role allowed on it, through
the API handler (against moto), as a viewer, a member of staff, an admin and a channel key.

The table is the API's half of the roles contract (the console shows and hides by the same one). A route
added to the spec without a row here fails ``test_every_route_has_a_row``: decide who may call it.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Literal

import pytest

from functions.api.handler import lambda_handler as api
from infra.local.workers import LambdaContext
from infra.spec import FUNCTIONS
from shared.domain.auth import PERSON_ROLES, PersonRole
from tests.support.http import ApiClient

Caller = Literal["viewer", "staff", "admin", "channel"]
CALLERS: tuple[Caller, ...] = ("viewer", "staff", "admin", "channel")
# The authorizer's context for each caller (shared.http.principal_of reads it).
CONTEXTS: dict[Caller, dict[str, str]] = {
    "viewer": {"role": "viewer", "channel": "", "key_id": "viewer-key", "name": "dev-viewer"},
    "staff": {"role": "staff", "channel": "", "key_id": "staff-key", "name": "dev-staff"},
    "admin": {"role": "admin", "channel": "", "key_id": "admin-key", "name": "dev-admin"},
    "channel": {"role": "channel", "channel": "web", "key_id": "web-key", "name": ""},
}

# (method, path) -> (the lowest person role allowed, whether a channel key is allowed too).
ROLES: dict[tuple[str, str], tuple[PersonRole, bool]] = {
    ("GET", "/openapi.json"): ("viewer", False),
    ("GET", "/session"): ("viewer", True),  # who is signed in: a channel key is never signed in (401)
    ("DELETE", "/session"): ("viewer", True),  # signing out ends the session the cookie names, if any
    ("GET", "/keys"): ("admin", False),
    ("POST", "/keys"): ("admin", False),
    ("DELETE", "/keys/{key_id}"): ("admin", False),
    ("GET", "/products"): ("viewer", False),
    ("GET", "/products/{sku}"): ("viewer", False),
    ("PUT", "/products/{sku}"): ("staff", False),
    ("GET", "/inventory"): ("viewer", False),
    ("GET", "/inventory/{sku}"): ("viewer", False),
    ("PUT", "/inventory/{sku}"): ("staff", False),
    ("POST", "/inventory/{sku}/adjustments"): ("staff", False),
    ("GET", "/inventory/{sku}/movements"): ("viewer", False),
    ("GET", "/orders"): ("viewer", True),
    ("POST", "/orders"): ("staff", True),
    ("GET", "/orders/{order_id}"): ("viewer", True),
    ("POST", "/orders/{order_id}/cancel"): ("staff", True),
    ("POST", "/orders/{order_id}/shipments"): ("staff", False),
    ("POST", "/orders/{order_id}/delivery"): ("staff", False),
    ("POST", "/orders/{order_id}/returns"): ("staff", False),
    ("POST", "/orders/{order_id}/attention/{attention_id}/resolution"): ("staff", False),
    ("PUT", "/channels/{channel}/listings/{listing_id}"): ("staff", False),
    ("PUT", "/channels/{channel}/listings/{listing_id}/{variation_id}"): ("staff", False),
    ("GET", "/customers"): ("viewer", False),
    ("GET", "/customers/{customer_id}"): ("viewer", False),
    ("PATCH", "/customers/{customer_id}"): ("staff", False),
    ("DELETE", "/customers/{customer_id}"): ("admin", False),
    ("GET", "/customers/{customer_id}/orders"): ("viewer", False),
    ("GET", "/reports"): ("viewer", False),
    ("POST", "/reports"): ("staff", False),
    ("GET", "/reports/{report_id}"): ("viewer", False),
    ("GET", "/analytics/trends"): ("viewer", False),
    ("GET", "/channels/{channel}/connection"): ("admin", False),
    ("PUT", "/channels/{channel}/connection"): ("admin", False),
    ("GET", "/dead-letters"): ("viewer", False),
    ("GET", "/dead-letters/{queue}"): ("viewer", False),
    ("POST", "/dead-letters/{queue}/redrive"): ("admin", False),
    ("POST", "/dead-letters/{queue}/delete"): ("admin", False),
    ("GET", "/imports"): ("viewer", False),
    ("POST", "/imports"): ("staff", False),
    ("GET", "/imports/{import_id}"): ("viewer", False),
    ("GET", "/alarms"): ("viewer", False),
    # Webhook endpoints: admin only, reads too (an endpoint's URL may itself be a credential, as Slack's is).
    ("GET", "/webhooks"): ("admin", False),
    ("POST", "/webhooks"): ("admin", False),
    ("GET", "/webhooks/{endpoint_id}"): ("admin", False),
    ("PATCH", "/webhooks/{endpoint_id}"): ("admin", False),
    ("DELETE", "/webhooks/{endpoint_id}"): ("admin", False),
    ("POST", "/webhooks/{endpoint_id}/secret/rotate"): ("admin", False),
    ("GET", "/webhooks/{endpoint_id}/deliveries"): ("admin", False),
    ("POST", "/webhooks/{endpoint_id}/deliveries/{delivery_id}/replay"): ("admin", False),
    # notifications (issue 17): the staff list holds addresses, templates are the shop's words: admin
    ("GET", "/notifications/settings"): ("admin", False),
    ("PUT", "/notifications/settings"): ("admin", False),
    ("GET", "/notifications/templates/{channel}/{kind}"): ("admin", False),
    ("PUT", "/notifications/templates/{channel}/{kind}"): ("admin", False),
    ("DELETE", "/notifications/templates/{channel}/{kind}"): ("admin", False),
    # customer analytics (issue 18): viewers read the figures; the top customers (named people) need staff
    ("GET", "/analytics/customers"): ("viewer", False),
    ("GET", "/analytics/customers/top"): ("staff", False),
    # inventory analytics (issue 18): SKUs and units, no person: every person reads them
    ("GET", "/analytics/inventory"): ("viewer", False),
}
WEBHOOK_ROUTES = {route for route in ROLES if route[1].startswith("/webhooks")}

SAMPLES = {
    (e["httpMethod"], e["resource"]): e
    for e in (json.loads(p.read_text()) for p in sorted(Path("events/api").glob("*.json")))
}


def authorized_routes() -> set[tuple[str, str]]:
    return {(r.method, r.path) for fn in FUNCTIONS for r in fn.routes if r.authorized}


def allowed(route: tuple[str, str], caller: Caller) -> bool:
    lowest, channel = ROLES[route]
    if caller == "channel":
        return channel
    return PERSON_ROLES.index(caller) >= PERSON_ROLES.index(lowest)


def event(route: tuple[str, str], caller: Caller) -> dict[str, Any]:
    """The route's sample event (events/api: valid parameters and body, so validation passes and only
    the role can refuse), as ``caller`` would send it."""
    method, path = route
    sample = SAMPLES.get(route) or {**SAMPLES[("GET", "/dead-letters")], "resource": path, "path": path}
    sent = copy.deepcopy(sample)
    sent["httpMethod"] = method
    sent["requestContext"] = {
        **sent["requestContext"],
        "resourcePath": path if route not in SAMPLES else sent["requestContext"]["resourcePath"],
        "authorizer": {**CONTEXTS[caller], "principalId": CONTEXTS[caller]["key_id"]},
    }
    return sent


def test_every_route_has_a_row() -> None:
    """A new route fails here until someone decides who may call it; a row for a route that is gone too."""
    routes = authorized_routes()
    assert sorted(routes - set(ROLES)) == [], "routes with no row in ROLES: add one"
    assert sorted(set(ROLES) - routes) == [], "rows for routes infra/spec.py no longer has"


def test_the_table_says_what_the_issue_says() -> None:
    admin_only = {route for route, (lowest, _) in ROLES.items() if lowest == "admin"}
    assert admin_only - WEBHOOK_ROUTES == {
        ("DELETE", "/customers/{customer_id}"),
        ("GET", "/channels/{channel}/connection"),
        ("PUT", "/channels/{channel}/connection"),
        ("POST", "/dead-letters/{queue}/redrive"),
        ("POST", "/dead-letters/{queue}/delete"),
        ("GET", "/keys"),
        ("POST", "/keys"),
        ("DELETE", "/keys/{key_id}"),
        ("GET", "/notifications/settings"),
        ("PUT", "/notifications/settings"),
        ("GET", "/notifications/templates/{channel}/{kind}"),
        ("PUT", "/notifications/templates/{channel}/{kind}"),
        ("DELETE", "/notifications/templates/{channel}/{kind}"),
    }
    # A viewer reads everything (but connections, keys and notification settings, an admin's, and the top
    # customers by lifetime value, staff's: issue 18); reading never needs staff otherwise.
    assert ROLES[("GET", "/analytics/customers/top")] == ("staff", False)
    for (method, path), (lowest, _) in ROLES.items():
        if path == "/analytics/customers/top":
            continue
        if (
            method == "GET"
            and "/connection" not in path
            and path != "/keys"
            and not path.startswith("/webhooks")
            and "/notifications/" not in path
        ):
            assert lowest == "viewer", path
        if method != "GET" and path != "/session":
            assert lowest != "viewer", path


@pytest.mark.parametrize("route", sorted(ROLES), ids=lambda r: f"{r[0]} {r[1]}")
def test_each_caller_is_refused_or_let_through_as_the_table_says(
    staff: ApiClient, route: tuple[str, str]
) -> None:
    staff.put("/products/TSHIRT-RED-M", {"name": "T-shirt", "price": "19.99"})
    staff.put("/inventory/TSHIRT-RED-M", {"on_hand": 10})
    # The refused first: a refusal must change nothing, so the allowed calls after it find the same state.
    order = sorted(CALLERS, key=lambda c: allowed(route, c))
    for caller in order:
        result = api(event(route, caller), LambdaContext("api", 1024, 10, f"roles-{caller}"))
        status, body = result["statusCode"], result["body"]
        if allowed(route, caller):
            assert status != 403, f"{caller} was refused: {body}"
            assert status < 500, f"{caller}: {body}"
        else:
            assert status == 403, f"{caller} was let through ({status}): {body}"
            problem = json.loads(body)
            assert problem["type"] == "urn:oms:problem:forbidden", body
            headers = result.get("headers") or {k: v[0] for k, v in result["multiValueHeaders"].items()}
            assert headers["Content-Type"] == "application/problem+json"


def test_what_a_person_asks_for_is_signed_with_their_name(admin: ApiClient) -> None:
    """Reports and import runs record who asked as the audit trail does (staff:dev-admin), not a key id."""
    report = admin.post("/reports", {"type": "daily_sales", "date": "2026-11-23"})
    assert report.status == 202, report.body
    assert report.json()["requested_by"] == "staff:dev-admin"
    announced = admin.post(
        "/imports", {"file_name": "orders.csv", "options": {"format": "shopify-orders", "channel": "shopify"}}
    )
    assert announced.status == 201, announced.body
    assert announced.json()["run"]["actor"] == "staff:dev-admin"
