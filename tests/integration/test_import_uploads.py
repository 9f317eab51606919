"""The cloud import path against moto: POST /imports, the upload, its S3 event on the work queue, the worker
planning chunks and applying them, the run's record. Most tests put the typed fakes of
``tests/support/cloud_imports.py`` in the engine's place (the runs store, the import service): what they test
is the path, the messages and the record, not the writers; the last one runs the real engine."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from functions.api import wiring as api_wiring
from functions.imports import handler as imports_handler
from functions.imports import wiring as imports_wiring
from infra.local.pollers import QueuePoller
from infra.local.workers import LambdaContext
from infra.spec import IMPORT_WORK, IMPORT_WORK_DLQ, IMPORTS, IMPORTS_BUCKET, IMPORTS_FUNCTION
from shared.aws import client, s3_client
from shared.config import settings
from shared.dal.import_files import ImportObjects, ImportWorkQueue
from shared.models.imports import ImportOptions, ImportRun
from shared.services.import_jobs import ChunkPlanner, ImportJobs
from shared.services.import_uploads import ImportUploads
from shared.transfer.files import rows as read_rows
from shared.transfer.formats import format_of
from shared.transfer.records import Entry, ReadOptions
from tests.support.cloud_imports import FakeEngine, FakeRuns, products_csv
from tests.support.http import ApiClient

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "shopify" / "csv"


@dataclass
class Cloud:
    runs: FakeRuns
    engine: FakeEngine
    s3: Any
    sqs: Any
    queue_url: str
    dlq_url: str
    poller: QueuePoller
    responses: list[dict[str, Any]]
    planner_rows: int = 40

    def drain(self, limit: int = 200) -> int:
        """Run the worker until the queue is empty; how many messages it handled."""
        handled = 0
        for _ in range(limit):
            done = self.poller.poll_once()
            if not done:
                return handled
            handled += done
        raise AssertionError("the work queue never emptied")

    def upload(self, upload_url: str, body: bytes) -> None:
        reply = requests.put(upload_url, data=body, timeout=10)
        assert reply.status_code == 200, reply.text

    def run(self, import_id: str) -> ImportRun:
        run = self.runs.get(import_id)
        assert run is not None
        return run

    def dead_letters(self) -> list[dict[str, Any]]:
        return self.sqs.receive_message(
            QueueUrl=self.dlq_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
        ).get("Messages", [])

    def object(self, key: str) -> bytes:
        return bytes(self.s3.get_object(Bucket=IMPORTS_BUCKET.local_name, Key=key)["Body"].read())


@pytest.fixture
def cloud(aws: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cloud]:
    s3, sqs = boto3.client("s3"), boto3.client("sqs")
    queue_url = sqs.get_queue_url(QueueName=IMPORT_WORK.local_name)["QueueUrl"]
    dlq_url = sqs.get_queue_url(QueueName=IMPORT_WORK_DLQ.local_name)["QueueUrl"]
    runs = FakeRuns()
    engine = FakeEngine(runs)
    objects = ImportObjects(s3, IMPORTS_BUCKET.local_name)
    jobs = ImportJobs(
        runs,
        engine,
        objects,
        ImportWorkQueue(sqs, queue_url),
        "EUR",
        planner=lambda: ChunkPlanner(max_rows=made.planner_rows),  # several chunks out of a small file
    )
    monkeypatch.setattr(imports_wiring, "jobs", lambda: jobs)
    monkeypatch.setattr(api_wiring, "import_uploads", lambda: ImportUploads(runs, objects))
    responses: list[dict[str, Any]] = []

    def invoke(event: dict[str, Any]) -> Any:
        response = imports_handler.lambda_handler(event, LambdaContext("imports", 1024, 900, "test"))
        responses.append(response)
        return response

    (trigger,) = IMPORTS_FUNCTION.triggers
    poller = QueuePoller(sqs, queue_url, trigger, invoke)  # type: ignore[arg-type]
    made = Cloud(runs, engine, s3, sqs, queue_url, dlq_url, poller, responses)
    made.drain()  # the s3:TestEvent S3 sent when the notification was configured
    yield made


def announce(staff: ApiClient, **options: Any) -> dict[str, Any]:
    reply = staff.post(
        "/imports", {"file_name": "products.csv", "options": {"format": "oms-products", **options}}
    )
    assert reply.status == 201, reply.body
    return reply.json()


def test_an_upload_is_planned_into_chunks_and_every_chunk_applied_once(
    cloud: Cloud, staff: ApiClient
) -> None:
    answer = announce(staff)
    run = answer["run"]
    assert run["status"] == "AWAITING_UPLOAD" and run["source"] == "upload"
    assert f"/uploads/{run['import_id']}/products.csv" in answer["upload_url"]

    cloud.upload(answer["upload_url"], products_csv(100))
    assert cloud.drain() == 1 + 3  # the S3 event, then 3 chunks of at most 40 rows

    done = cloud.run(run["import_id"])
    assert done.status == "FINISHED"
    assert (done.chunks_total, done.chunks_done, done.rows_done, done.rows_total) == (3, 3, 100, 100)
    assert done.counts["products"].created == 100
    assert done.checksum and len(done.checksum) == 64
    assert cloud.engine.finished == [(run["import_id"], "FINISHED", None)]  # ImportFinished once
    assert all(r == {"batchItemFailures": []} for r in cloud.responses)

    shown = staff.get(f"/imports/{run['import_id']}").json()
    assert shown["status"] == "FINISHED" and shown["counts"]["products"]["created"] == 100
    assert shown["error_report_url"] is None


def test_a_redelivered_chunk_writes_again_but_counts_nothing(cloud: Cloud, staff: ApiClient) -> None:
    answer = announce(staff)
    import_id = answer["run"]["import_id"]
    cloud.upload(answer["upload_url"], products_csv(60))
    cloud.poller.poll_once()  # the plan: two chunks on the queue
    first = cloud.sqs.receive_message(QueueUrl=cloud.queue_url, MaxNumberOfMessages=1)["Messages"][0]
    cloud.sqs.send_message(QueueUrl=cloud.queue_url, MessageBody=first["Body"])  # SQS delivers it twice
    cloud.sqs.change_message_visibility(
        QueueUrl=cloud.queue_url, ReceiptHandle=first["ReceiptHandle"], VisibilityTimeout=0
    )
    assert cloud.drain() == 3

    done = cloud.run(import_id)
    assert done.status == "FINISHED"
    assert (done.chunks_done, done.rows_done) == (2, 60)
    assert done.counts["products"].created == 60  # the second delivery's writes were not counted
    assert cloud.engine.finished == [(import_id, "FINISHED", None)]


def test_a_key_in_two_chunks_is_written_once_the_first_as_check_reported(
    cloud: Cloud, staff: ApiClient
) -> None:
    answer = announce(staff, on_error="skip-rows")
    import_id = answer["run"]["import_id"]
    again = b"SKU-00005,Another name,9.50,active,\r\n"  # line 102: in the third chunk, SKU-00005 in the first
    cloud.upload(answer["upload_url"], products_csv(100) + again)
    cloud.drain()
    done = cloud.run(import_id)
    assert done.status == "FINISHED" and done.chunks_total == 3
    assert done.counts["products"].rejected == 1 and done.counts["products"].created == 100
    assert cloud.engine.written["SKU-00005"].name == "Product 5"  # the later duplicate was skipped
    assert json.loads(cloud.object(f"plans/{import_id}.json"))["refused"] == {"products": [102]}


def test_a_file_replaced_while_its_import_runs_fails_the_run(cloud: Cloud, staff: ApiClient) -> None:
    answer = announce(staff)
    import_id = answer["run"]["import_id"]
    cloud.upload(answer["upload_url"], products_csv(100))
    cloud.poller.poll_once()  # planned: three chunks of the first file's byte ranges on the queue
    cloud.upload(answer["upload_url"], products_csv(100, bad=[1]))  # a second PUT to the same URL
    cloud.drain()
    done = cloud.run(import_id)
    assert (done.status, done.problem) == ("FAILED", "the file was replaced during the import")
    assert cloud.engine.writes == 0 and cloud.engine.finished == [(import_id, "FAILED", done.problem)]


def test_the_rows_a_chunk_s_writes_refused_are_linked_by_the_run(cloud: Cloud, staff: ApiClient) -> None:
    cloud.engine.refuse = {"SKU-00050", "SKU-00090"}  # the writers refuse these (chunks 1 and 2)
    answer = announce(staff, on_error="skip-rows")
    import_id = answer["run"]["import_id"]
    cloud.upload(answer["upload_url"], products_csv(100, bad=[3]))
    cloud.drain()
    done = cloud.run(import_id)
    assert done.status == "FINISHED" and done.error_chunks == [1, 2]
    shown = staff.get(f"/imports/{import_id}").json()
    links = shown["error_report_urls"]
    assert [link.split("?")[0].rsplit("/", 1)[-1] for link in links] == [
        f"{import_id}.csv",
        f"{import_id}-chunk-000001.csv",
        f"{import_id}-chunk-000002.csv",
    ]
    assert shown["error_report_url"] == links[0]
    refused = [requests.get(link, timeout=10).content.decode("utf-8-sig").splitlines()[1] for link in links]
    assert [line.split(",")[0] for line in refused] == ["SKU-00003", "SKU-00050", "SKU-00090"]


def test_a_dry_run_checks_and_reports_and_writes_nothing(cloud: Cloud, staff: ApiClient) -> None:
    answer = announce(staff, dry_run=True)
    import_id = answer["run"]["import_id"]
    cloud.upload(answer["upload_url"], products_csv(30, bad=[4, 17]))
    assert cloud.drain() == 1  # planned nothing: a dry run sends no chunk

    done = cloud.run(import_id)
    assert done.status == "CHECKED"
    assert cloud.engine.writes == 0
    assert done.error_report == f"errors/{import_id}.csv"
    report = cloud.object(done.error_report).decode("utf-8-sig")
    assert report.splitlines()[0] == "sku,name,price,status,low_stock_threshold,_errors"
    assert [line.split(",")[0] for line in report.splitlines()[1:]] == ["SKU-00004", "SKU-00017"]
    assert all("price" in line.split(",", 5)[5] for line in report.splitlines()[1:])

    shown = staff.get(f"/imports/{import_id}")
    assert shown.headers.get("Cache-Control") == "no-store"
    link = shown.json()["error_report_url"]
    assert f"errors/{import_id}.csv" in link
    assert requests.get(link, timeout=10).content.decode("utf-8-sig") == report  # the presigned GET works


def test_reject_file_with_a_bad_row_imports_nothing(cloud: Cloud, staff: ApiClient) -> None:
    answer = announce(staff)
    cloud.upload(answer["upload_url"], products_csv(30, bad=[3]))
    cloud.drain()
    done = cloud.run(answer["run"]["import_id"])
    assert done.status == "REJECTED" and done.error_report and cloud.engine.writes == 0


def test_skip_rows_imports_the_good_rows(cloud: Cloud, staff: ApiClient) -> None:
    answer = announce(staff, on_error="skip-rows")
    cloud.upload(answer["upload_url"], products_csv(50, bad=[3]))
    cloud.drain()
    done = cloud.run(answer["run"]["import_id"])
    assert done.status == "FINISHED"
    assert done.counts["products"].created == 49 and done.counts["products"].rejected == 1
    assert done.error_report == f"errors/{done.import_id}.csv"


def test_a_file_of_another_format_fails_with_a_clear_problem(cloud: Cloud, staff: ApiClient) -> None:
    answer = announce(staff)
    cloud.upload(answer["upload_url"], b"Handle,Title\r\nshirt,Shirt\r\n")
    cloud.drain()
    done = cloud.run(answer["run"]["import_id"])
    assert done.status == "FAILED"
    assert done.problem == (
        "the file is not a oms-products file: "
        "it lacks the columns low_stock_threshold, name, price, sku, status"
    )
    assert cloud.engine.writes == 0 and cloud.dead_letters() == []


def test_a_file_in_another_encoding_fails(cloud: Cloud, staff: ApiClient) -> None:
    answer = announce(staff)
    cloud.upload(answer["upload_url"], "SKU,Name,Price\r\nA,Caf\u00e9,1.00\r\n".encode("utf-16"))
    cloud.drain()
    done = cloud.run(answer["run"]["import_id"])
    assert done.status == "FAILED" and done.problem


def test_a_second_s3_event_for_the_same_upload_changes_nothing(cloud: Cloud, staff: ApiClient) -> None:
    answer = announce(staff)
    import_id = answer["run"]["import_id"]
    cloud.upload(answer["upload_url"], products_csv(10))
    event = cloud.sqs.receive_message(QueueUrl=cloud.queue_url, MaxNumberOfMessages=1)["Messages"][0]
    cloud.sqs.send_message(QueueUrl=cloud.queue_url, MessageBody=event["Body"])
    cloud.sqs.change_message_visibility(
        QueueUrl=cloud.queue_url, ReceiptHandle=event["ReceiptHandle"], VisibilityTimeout=0
    )
    # Two S3 events and the one chunk, sent twice: the second event found the run RUNNING with its chunk
    # not yet done (as after a planner that stopped between its save and its sends) and sent it again.
    assert cloud.drain() == 4
    done = cloud.run(import_id)
    assert (done.status, done.chunks_total, done.chunks_done, done.rows_done) == ("FINISHED", 1, 1, 10)
    assert cloud.engine.finished == [(import_id, "FINISHED", None)]


def test_poison_goes_to_the_dead_letter_queue_with_its_reason(cloud: Cloud) -> None:
    cloud.sqs.send_message(QueueUrl=cloud.queue_url, MessageBody=json.dumps({"hello": "there"}))
    cloud.sqs.send_message(
        QueueUrl=cloud.queue_url,
        MessageBody=json.dumps({"import_id": "nope", "chunk": 0, "first_line": 2, "start": 0, "end": 9}),
    )
    assert cloud.drain() == 2
    reasons = sorted(m["MessageAttributes"]["oms_reason"]["StringValue"] for m in cloud.dead_letters())
    assert reasons == ["chunk message: no such import run", "neither an S3 event nor an import chunk message"]
    assert all(r == {"batchItemFailures": []} for r in cloud.responses)


def test_the_s3_test_event_is_ignored(cloud: Cloud) -> None:
    body = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Time": "2026-12-06T18:00:00Z", "Bucket": "b"}
    cloud.sqs.send_message(QueueUrl=cloud.queue_url, MessageBody=json.dumps(body))
    assert cloud.drain() == 1
    assert cloud.dead_letters() == [] and cloud.responses[-1] == {"batchItemFailures": []}


def test_an_unknown_format_is_a_422_naming_the_known_ones(cloud: Cloud, staff: ApiClient) -> None:
    reply = staff.post("/imports", {"file_name": "x.csv", "options": {"format": "excel"}})
    assert reply.status == 422
    (error,) = reply.json()["errors"]
    assert error["field"] == "body.options.format"
    assert "'shopify-products'" in error["message"] and "'oms-orders'" in error["message"]
    assert cloud.runs.runs == {}


def test_post_imports_is_for_staff_only(cloud: Cloud, pos: ApiClient) -> None:
    reply = pos.post("/imports", {"file_name": "x.csv", "options": {"format": "oms-products"}})
    assert reply.status == 403 and cloud.runs.runs == {}
    assert pos.get("/imports").status == 403


def test_a_retry_with_the_same_idempotency_key_is_the_same_run(cloud: Cloud, staff: ApiClient) -> None:
    body = {"file_name": "products.csv", "options": {"format": "oms-products"}}
    first = staff.post("/imports", body, headers={"Idempotency-Key": "upload-1"})
    again = staff.post("/imports", body, headers={"Idempotency-Key": "upload-1"})
    assert (first.status, again.status) == (201, 201)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert first.json()["run"] == again.json()["run"]
    other = staff.post(
        "/imports", {**body, "file_name": "other.csv"}, headers={"Idempotency-Key": "upload-1"}
    )
    assert other.status == 422 and other.json()["type"].endswith("idempotency-key-reused")
    assert len(cloud.runs.runs) == 1


def test_a_redelivered_plan_that_finds_another_file_fails_the_run(cloud: Cloud, staff: ApiClient) -> None:
    answer = announce(staff)
    import_id = answer["run"]["import_id"]
    cloud.upload(answer["upload_url"], products_csv(100))
    cloud.poller.poll_once()  # planned
    cloud.sqs.purge_queue(QueueUrl=cloud.queue_url)  # its chunk messages lost: only a replan could send them
    cloud.upload(answer["upload_url"], products_csv(100, bad=[1]))  # its S3 event finds the run RUNNING
    cloud.drain()
    done = cloud.run(import_id)
    assert (done.status, done.problem) == ("FAILED", "the file was replaced during the import")
    assert cloud.engine.writes == 0


class LateRuns(FakeRuns):
    """A concurrent request with the same key records the run between this one's read and its create."""

    def __init__(self, other: ImportRun) -> None:
        super().__init__()
        self.other = other

    def get(self, import_id: str) -> ImportRun | None:
        if import_id not in self.runs:
            self.runs[import_id] = self.other.model_copy(update={"import_id": import_id})
            return None
        return super().get(import_id)


def test_two_concurrent_announcements_with_one_key_are_one_run_and_a_replay(cloud: Cloud) -> None:
    options = ImportOptions(format="oms-products")
    objects = ImportObjects(cloud.s3, IMPORTS_BUCKET.local_name)
    made = ImportUploads(FakeRuns(), objects).announce("products.csv", options, actor="k")
    runs = LateRuns(made.run)
    second = ImportUploads(runs, objects).announce("products.csv", options, actor="k", idempotency_key="x")
    assert not second.created and second.upload_url  # the replay answer, not a RunExists
    assert list(runs.runs) == [second.run.import_id]


def test_a_replay_after_the_upload_presigns_no_second_put(cloud: Cloud, staff: ApiClient) -> None:
    body = {"file_name": "products.csv", "options": {"format": "oms-products"}}
    first = staff.post("/imports", body, headers={"Idempotency-Key": "upload-2"}).json()
    cloud.upload(first["upload_url"], products_csv(10))
    cloud.drain()
    again = staff.post("/imports", body, headers={"Idempotency-Key": "upload-2"})
    assert again.status == 201 and again.headers.get("Idempotent-Replayed") == "true"
    assert again.json()["run"]["status"] == "FINISHED"
    assert again.json()["upload_url"] is None and again.json()["expires_at"] is None


def test_runs_are_listed_newest_first_page_by_page(cloud: Cloud, staff: ApiClient) -> None:
    made = [announce(staff)["run"]["import_id"] for _ in range(3)]
    first = staff.get("/imports", query={"limit": 2}).json()
    assert [r["import_id"] for r in first["items"]] == made[::-1][:2]
    rest = staff.get("/imports", query={"limit": 2, "next_token": first["next_token"]}).json()
    assert [r["import_id"] for r in rest["items"]] == made[:1] and rest["next_token"] is None
    assert staff.get("/imports/nope").status == 404


def test_an_orders_lines_never_straddle_two_chunks(cloud: Cloud, staff: ApiClient) -> None:
    """Shopify's order export has a row per line item: with chunks of at most two rows, every order still
    reaches the writers whole, exactly as a read of the whole file makes it."""
    data = (FIXTURES / "orders.csv").read_bytes()
    fmt = format_of("shopify-orders")
    entries = [
        e
        for e in fmt.entries(read_rows(io.BytesIO(data), "csv"), ReadOptions(None, "default", "EUR"))
        if isinstance(e, Entry)
    ]
    assert any(len(e.rows) > 1 for e in entries)  # orders of several lines
    whole = {e.key: e.record for e in entries}
    reply = staff.post("/imports", {"file_name": "orders.csv", "options": {"format": "shopify-orders"}})
    assert reply.status == 201
    cloud.upload(reply.json()["upload_url"], data)
    cloud.planner_rows = 2
    cloud.drain()
    done = cloud.run(reply.json()["run"]["import_id"])
    assert done.status == "FINISHED" and done.chunks_total == done.chunks_done
    assert done.chunks_total is not None and done.chunks_total > 1
    assert cloud.engine.written == whole


def test_a_windows_1252_file_is_read_as_such_in_every_chunk(cloud: Cloud, staff: ApiClient) -> None:
    text = "sku,name,price,status,low_stock_threshold\r\n" + "".join(
        f"SKU-{n},Caf\u00e9 cr\u00e8me {n},2.50,active,\r\n" for n in range(100)
    )
    answer = announce(staff)
    cloud.upload(answer["upload_url"], text.encode("cp1252"))
    cloud.drain()
    done = cloud.run(answer["run"]["import_id"])
    assert (done.status, done.chunks_total, done.rows_done) == ("FINISHED", 3, 100)
    names = {record.name for record in cloud.engine.written.values()}
    assert names == {f"Caf\u00e9 cr\u00e8me {n}" for n in range(100)}


def test_a_utf8_file_with_a_bom_keeps_its_first_column(cloud: Cloud, staff: ApiClient) -> None:
    answer = announce(staff)
    cloud.upload(answer["upload_url"], b"\xef\xbb\xbf" + products_csv(50))
    cloud.drain()
    done = cloud.run(answer["run"]["import_id"])
    assert (done.status, done.counts["products"].created) == ("FINISHED", 50)


def test_the_real_engine_imports_an_upload_end_to_end(
    aws: Any, staff: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No fake: the functions' own wiring (the runs table, the engine and its writers, ImportFinished on the
    bus, the bucket, the work queue), with chunks of 20 rows instead of CHUNK_ROWS to keep it quick. A
    products file uploaded to the presigned URL becomes products, counted once, in three chunks."""
    from shared.dal.imports import ImportRunStore

    sqs = boto3.client("sqs")
    queue_url = sqs.get_queue_url(QueueName=IMPORT_WORK.local_name)["QueueUrl"]
    jobs = ImportJobs(
        ImportRunStore(client("dynamodb"), IMPORTS.local_name),
        imports_wiring.import_service(),
        ImportObjects(s3_client(), IMPORTS_BUCKET.local_name),
        ImportWorkQueue(client("sqs"), queue_url),
        settings().currency,
        planner=lambda: ChunkPlanner(max_rows=20),
    )
    monkeypatch.setattr(imports_wiring, "jobs", lambda: jobs)
    (trigger,) = IMPORTS_FUNCTION.triggers
    poller = QueuePoller(
        sqs,
        queue_url,
        trigger,  # type: ignore[arg-type]
        lambda event: imports_handler.lambda_handler(event, LambdaContext("imports", 1024, 900, "test")),
    )
    while poller.poll_once():  # S3's test event
        pass
    answer = staff.post("/imports", {"file_name": "products.csv", "options": {"format": "oms-products"}})
    assert answer.status == 201, answer.body
    import_id = answer.json()["run"]["import_id"]
    assert requests.put(answer.json()["upload_url"], data=products_csv(50), timeout=30).status_code == 200

    handled = 0
    while done := poller.poll_once():
        handled += done
    assert handled == 1 + 3

    run = staff.get(f"/imports/{import_id}").json()
    assert (run["status"], run["chunks_total"], run["chunks_done"]) == ("FINISHED", 3, 3)
    assert (run["rows_done"], run["counts"]["products"]["created"]) == (50, 50)
    assert run["checksum"] and run["source"] == "upload"
    assert staff.get("/products/SKU-00049").json()["price"] == "50.50"
    assert [r["import_id"] for r in staff.get("/imports").json()["items"]] == [import_id]


def test_a_cli_runs_local_report_gets_no_link(cloud: Cloud, staff: ApiClient) -> None:
    run = announce(staff)["run"]
    stored = cloud.run(run["import_id"])
    cloud.runs.runs[stored.import_id] = stored.model_copy(
        update={"source": "cli", "error_report": "/home/ops/shop.errors.csv", "status": "FINISHED"}
    )
    shown = staff.get(f"/imports/{run['import_id']}").json()
    assert shown["error_report"] == "/home/ops/shop.errors.csv" and shown["error_report_url"] is None
