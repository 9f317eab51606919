"""The import worker's collaborators, built once per execution environment (``shared.aws.once``).

The engine's pieces (the runs store, the import service and its writers, the formats and the file reading)
are imported by their builders, on the first message that needs them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.aws import client, once, s3_client
from shared.config import IMPORT_WORK_DLQ_URL_ENV, required
from shared.dal.queues import DeadLetters

if TYPE_CHECKING:
    from shared.services.import_jobs import ImportJobs


@once
def dead_letters() -> DeadLetters:
    return DeadLetters(lambda: client("sqs"), required(IMPORT_WORK_DLQ_URL_ENV))


@once
def jobs() -> ImportJobs:
    from shared.services.import_engine import import_jobs

    return import_jobs(client("dynamodb"), s3_client(), client("sqs"))
