"""Every sample event in events/ is accepted by its function (they document the real shapes)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from functions.api.handler import lambda_handler as api
from functions.authorizer.handler import lambda_handler as authorizer
from infra.local.workers import LambdaContext
from tests.support.http import ApiClient

EVENTS = sorted(Path("events/api").glob("*.json"))


def test_there_is_a_sample_for_every_api_route() -> None:
    from infra.spec import API

    sampled = {(e["httpMethod"], e["resource"]) for e in (json.loads(p.read_text()) for p in EVENTS)}
    undocumented = {("GET", "/openapi.json"), ("GET", "/swagger")}  # served by Powertools itself
    assert {(r.method, r.path) for r in API.routes} - undocumented <= sampled


@pytest.mark.parametrize("path", EVENTS, ids=lambda p: p.stem)
def test_api_sample_events(staff: ApiClient, path: Path) -> None:
    staff.put("/products/TSHIRT-RED-M", {"name": "T-shirt", "price": "19.99"})
    staff.put("/inventory/TSHIRT-RED-M", {"on_hand": 10})
    staff.put("/products/MUG-WHITE", {"name": "Mug", "price": "8.50"})
    staff.put("/inventory/MUG-WHITE", {"on_hand": 10})
    event = json.loads(path.read_text())

    result = api(event, LambdaContext("api", 1024, 10, "sample"))

    expected = {"get_order": 404, "post_order": 201, "put_product": 200}.get(path.stem, 200)
    assert result["statusCode"] == expected, result["body"]


def test_the_authorizer_sample_event(aws: Any) -> None:
    event = json.loads(Path("events/authorizer/request.json").read_text())
    assert authorizer(event, LambdaContext("authorizer", 256, 5, "sample"))["context"]["channel"] == "web"
