"""End-to-end: `python -m infra.local` (what `make run` starts) in a subprocess, over real HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Stack:
    api: str
    aws: str
    process: subprocess.Popen[str]


def start_stack(extra_env: dict[str, str] | None = None, timeout: float = 90) -> Iterator[Stack]:
    api_port, aws_port = free_port(), free_port()
    env = {
        **os.environ,
        "OMS_API_PORT": str(api_port),
        "OMS_AWS_PORT": str(aws_port),
        "PYTHONUNBUFFERED": "1",
        **(extra_env or {}),
    }
    (ROOT / ".pytest_cache").mkdir(exist_ok=True)
    log = open(ROOT / ".pytest_cache" / f"local-stack-{api_port}.log", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "infra.local"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    api = f"http://127.0.0.1:{api_port}"
    deadline = time.monotonic() + timeout
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the local stack exited with {process.returncode}; see {log.name}")
            try:
                if requests.get(f"{api}/health", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the local stack was not ready in {timeout}s; see {log.name}")
            time.sleep(0.3)
        aws = env.get("OMS_AWS_ENDPOINT") or f"http://127.0.0.1:{aws_port}"
        yield Stack(api=api, aws=aws, process=process)
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    yield from start_stack()


# The local stack's default keys (infra/local/keys.py), one per role.
ADMIN = {"X-Api-Key": "dev-admin-key"}
STAFF = {"X-Api-Key": "dev-staff-key"}
VIEWER = {"X-Api-Key": "dev-viewer-key"}
WEB = {"X-Api-Key": "dev-web-key"}
POS = {"X-Api-Key": "dev-pos-key"}
