"""Schemathesis over every operation of the OpenAPI document, against the running local stack.

Every built-in check (the ``--checks all`` of the CLI), the examples, coverage, fuzzing and stateful
phases (the links of the document: an order placed, then read, cancelled, shipped...), under an admin
key (the role every operation lets in) and under a channel key, on a catalog seeded with products in
stock. Deterministic: the same cases on every run. What is excluded or relaxed, and why, is in ONE
file: schemathesis.toml here.

Its own stack: thousands of generated orders, products and customers stay out of the other e2e tests'
data (reports, listings). Zero failures, or the output says which case failed and how to replay it.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.e2e.conftest import ROOT, STAFF, Stack, start_stack

CONFIG = Path(__file__).with_name("schemathesis.toml")
# The SKU examples of the document (shared.models.common.Sku) and what generation likes to send first:
# in stock, so an example order is placed rather than refused for an unknown SKU.
SEEDED_SKUS = ("TSHIRT-RED-M", "KIT:RED+BLUE", "0", "00")
# Cases per operation and phase, and the phases. The admin run reaches every operation's logic with
# every phase (staff and viewer keys would meet a 403 on the operations above their role:
# tests/integration/test_roles.py checks who may call what). Under a channel key most operations answer
# 403 before reading a field, so fewer cases show it, without the coverage phase (its thousands of
# boundary values would all meet that 403; see schemathesis.toml). Together about 3 minutes on 2 cores.
RUNS = {
    "dev-admin-key": (10, "examples,coverage,fuzzing,stateful"),
    "dev-web-key": (3, "examples,fuzzing,stateful"),
}


@pytest.fixture(scope="module")
def fuzzed() -> Iterator[Stack]:
    (ROOT / ".pytest_cache").mkdir(exist_ok=True)
    for stack in start_stack():
        seed(stack)
        yield stack


def seed(stack: Stack) -> None:
    for sku in SEEDED_SKUS:
        path = f"{stack.api}/products/{requests.utils.quote(sku, safe='')}"
        product = {"name": f"Seeded {sku}", "price": "9.99", "low_stock_threshold": 5}
        assert requests.put(path, json=product, headers=STAFF, timeout=10).status_code == 201
        count = {"on_hand": 1_000_000}
        url = f"{stack.api}/inventory/{requests.utils.quote(sku, safe='')}"
        assert requests.put(url, json=count, headers=STAFF, timeout=10).status_code == 200
    order = {
        "customer": {"email": "fuzz@example.com", "name": "Fuzz"},
        "lines": [{"sku": SEEDED_SKUS[0], "quantity": 1}],
    }
    assert requests.post(f"{stack.api}/orders", json=order, headers=STAFF, timeout=10).status_code == 201


@pytest.mark.parametrize("key", list(RUNS))
def test_every_operation_keeps_to_the_openapi_document(
    fuzzed: Stack, key: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # Only staff may read the document: a channel key's run reads it from a file.
    document = tmp_path_factory.mktemp("openapi") / "openapi.json"
    reply = requests.get(f"{fuzzed.api}/openapi.json", headers=STAFF, timeout=30)
    assert reply.status_code == 200
    document.write_bytes(reply.content)
    examples, phases = RUNS[key]
    command = [
        *("-m", "schemathesis.cli", "--config-file", str(CONFIG), "--no-color", "run", str(document)),
        *("--url", fuzzed.api, "--header", f"X-Api-Key: {key}", "--max-examples", str(examples)),
        *("--workers", "1", "--phases", phases),
    ]
    result = subprocess.run(
        [sys.executable, *command], cwd=ROOT, capture_output=True, text=True, timeout=600, check=False
    )
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-5000:]
    summary = result.stdout.strip().splitlines()[-1]
    assert "failure" not in summary and "error" not in summary, summary
    operations = sum(len(item) for item in reply.json()["paths"].values())
    assert f"Selected: {operations}/{operations}" in result.stdout, result.stdout[-3000:]  # every one
    assert f"Tested: {operations}" in result.stdout, result.stdout[-3000:]
