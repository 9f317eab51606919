"""A dead letter redriven on the running local stack: a feed order for a SKU that does not exist yet is
dead-lettered with its reason, staff create the SKU, ``oms redrive marketplace-orders --all`` sends it back,
and the order is there."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import requests

from tests.e2e.conftest import ROOT, STAFF, Stack
from tests.e2e.test_marketplace_feed import find, sample_order, sqs
from tests.support.waiting import wait_until


def oms() -> list[str]:
    """The console script ``make install`` puts next to this Python; ``python -m infra.cli`` until the venv
    is reinstalled with it (the same ``main``)."""
    script = shutil.which("oms", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "infra.cli"]


def dead_letter(stack: Stack, external_id: str) -> dict[str, Any] | None:
    reply = requests.get(f"{stack.api}/dead-letters/marketplace-orders", headers=STAFF, timeout=10)
    assert reply.status_code == 200, reply.text
    for message in reply.json()["messages"]:
        if isinstance(message["body"], dict) and message["body"]["order"].get("external_id") == external_id:
            return dict(message)
    return None


def test_a_dead_letter_redriven_once_its_sku_exists_becomes_an_order(stack: Stack) -> None:
    sku = f"LATE-{uuid.uuid4().hex[:8]}"
    external_id = f"E2E-DL-{uuid.uuid4().hex[:8]}"
    message = sample_order("generic")
    message["order"]["external_id"] = external_id
    message["order"]["lines"] = [{"sku": sku, "quantity": 1, "unit_price": "4.00"}]
    client = sqs(stack)
    client.send_message(
        QueueUrl=client.get_queue_url(QueueName="oms-marketplace-orders")["QueueUrl"],
        MessageBody=json.dumps(message),
    )

    assert wait_until(lambda: dead_letter(stack, external_id) is not None, timeout=20)
    parked = dead_letter(stack, external_id)
    assert parked is not None and "unknown SKU" in parked["reason"]
    assert parked["body"]["order"]["customer"] == "*****"  # staff see no personal data
    assert find(stack, "generic", external_id) == []

    assert requests.put(
        f"{stack.api}/products/{sku}", json={"name": sku, "price": "4.00"}, headers=STAFF, timeout=10
    ).status_code in (200, 201)
    assert (
        requests.put(
            f"{stack.api}/inventory/{sku}", json={"on_hand": 5}, headers=STAFF, timeout=10
        ).status_code
        == 200
    )

    redrive = subprocess.run(
        [*oms(), "redrive", "marketplace-orders", "--all"],
        cwd=ROOT,
        env={**os.environ, "OMS_AWS_ENDPOINT": stack.aws},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert redrive.returncode == 0, redrive.stderr
    assert "redriven from marketplace-orders" in redrive.stdout

    assert wait_until(lambda: len(find(stack, "generic", external_id)) == 1, timeout=20)
    [order] = find(stack, "generic", external_id)
    assert order["status"] == "CONFIRMED"
    assert dead_letter(stack, external_id) is None
