"""Integration tests: the real handlers against moto, in this process."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.http import ApiClient
from tests.support.local_aws import RequestCounter, local_aws


@pytest.fixture
def aws() -> Iterator[Any]:
    with local_aws() as dynamodb:
        yield dynamodb


@pytest.fixture
def admin(aws: Any) -> ApiClient:
    return ApiClient("dev-admin-key")


@pytest.fixture
def viewer(aws: Any) -> ApiClient:
    return ApiClient("dev-viewer-key")


@pytest.fixture
def staff(aws: Any) -> ApiClient:
    return ApiClient("dev-staff-key")


@pytest.fixture
def web(aws: Any) -> ApiClient:
    return ApiClient("dev-web-key")


@pytest.fixture
def pos(aws: Any) -> ApiClient:
    return ApiClient("dev-pos-key")


@pytest.fixture
def stocked(staff: ApiClient) -> ApiClient:
    """A catalog with two products in stock."""
    assert staff.put("/products/TSHIRT", {"name": "T-shirt", "price": "19.99"}).status == 201
    assert staff.put("/inventory/TSHIRT", {"on_hand": 10}).status == 200
    assert staff.put("/products/MUG", {"name": "Mug", "price": "8.50"}).status == 201
    assert staff.put("/inventory/MUG", {"on_hand": 3}).status == 200
    return staff


@pytest.fixture
def dynamodb_calls(aws: Any) -> RequestCounter:
    return RequestCounter()
