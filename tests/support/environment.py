"""The environment of every function at once, for tests and benches that run handlers in one process."""

from __future__ import annotations

from infra.spec import BUCKETS, BUSES, KEYS, TABLES
from shared.config import LOCAL_STACK_ENV


def local_environment() -> dict[str, str]:
    """The table-name, bucket-name, bus-name and key-alias variables the functions get on the local stack
    (each function's own environment names only what it uses: ``infra.local.resources``)."""
    return {
        **{table.env_var: table.local_name for table in TABLES},
        **{bucket.env_var: bucket.local_name for bucket in BUCKETS},
        **{bus.env_var: bus.name for bus in BUSES},
        **{key.env_var: key.alias for key in KEYS},
        LOCAL_STACK_ENV: "true",
    }
