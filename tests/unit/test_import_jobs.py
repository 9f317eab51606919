"""The cloud import path's pure parts: what a work-queue message asks for, and chunks of whole entries."""

from __future__ import annotations

import hashlib
import io
import itertools
import json

import pytest

from shared.dal.keys import import_error_key
from shared.services.import_jobs import (
    HEAD_BYTES,
    ChunkMessage,
    ChunkPlanner,
    Ignored,
    OpenedUpload,
    Upload,
    parse_work,
)
from shared.services.messages import Poison
from shared.transfer.files import rows as read_rows
from shared.transfer.formats import format_of
from shared.transfer.records import BadEntry, Entry, Parsed, ReadOptions, Row


def s3_event(key: str, event: str = "ObjectCreated:Put") -> str:
    return json.dumps(
        {
            "Records": [
                {
                    "eventVersion": "2.1",
                    "eventSource": "aws:s3",
                    "eventName": event,
                    "s3": {"bucket": {"name": "oms-imports"}, "object": {"key": key, "size": 10}},
                }
            ]
        }
    )


def test_an_upload_event_names_the_run_and_the_file_with_the_key_decoded() -> None:
    assert parse_work(s3_event("uploads/abc-1/orders+2024%28all%29.csv")) == Upload(
        bucket="oms-imports",
        key="uploads/abc-1/orders 2024(all).csv",
        import_id="abc-1",
        file_name="orders 2024(all).csv",
    )


def test_s3s_test_event_is_ignored() -> None:
    body = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Time": "2026-12-06T18:00:00Z", "Bucket": "b"}
    assert parse_work(json.dumps(body)) == Ignored("s3:TestEvent")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("not json", "body is not JSON"),
        ("[1]", "body is not a JSON object"),
        ('{"hello": 1}', "neither an S3 event nor an import chunk message"),
        (s3_event("uploads/abc/sub/dir.csv"), "S3 event: the key is not uploads/{import_id}/{file_name}"),
        (s3_event("errors/abc.csv"), "S3 event: the key is not uploads/{import_id}/{file_name}"),
        (s3_event("uploads/abc/x.csv", "ObjectRemoved:Delete"), "S3 event: not an ObjectCreated event"),
        ('{"Records": []}', "S3 event: Records is not a list of one record"),
        ('{"import_id": "a", "chunk": -1, "first_line": 2, "start": 0, "end": 5}', "chunk message: chunk:"),
        (
            '{"import_id": "a", "chunk": 0, "first_line": 2, "start": 0, "end": 5, "x": "secret"}',
            "has an unknown",
        ),
    ],
)
def test_anything_else_is_poison_with_a_reason_that_repeats_no_value(body: str, reason: str) -> None:
    parsed = parse_work(body)
    assert isinstance(parsed, Poison)
    assert parsed.reason.startswith(reason) or reason in parsed.reason
    assert "secret" not in parsed.reason


def test_a_chunk_message_round_trips() -> None:
    message = ChunkMessage(import_id="abc", chunk=3, first_line=1002, start=5000, end=9000, header=["SKU"])
    assert parse_work(message.model_dump_json()) == message


def _rows(line: int, start: int, lines: int, group: str | None = None, width: int = 10) -> list[Row]:
    cells = {} if group is None else {"Name": group}
    return [Row(line + n, start + n * width, start + (n + 1) * width, cells) for n in range(lines)]


class Grouped:
    """A format whose rows are grouped by their ``Name`` cell (as Shopify's orders are)."""

    def group_of(self, row: Row) -> str:
        return row.cells["Name"]


def test_chunks_hold_whole_records_within_the_row_budget() -> None:
    planner = ChunkPlanner(max_rows=3)
    rows = _rows(2, 10, 3, "#1") + _rows(5, 40, 3, "#2") + _rows(8, 70, 2, "#3")
    assert list(planner.watch(Grouped(), rows)) == rows  # type: ignore[arg-type]  # passed through, in order
    # the second order's three lines never straddle two chunks
    assert planner.chunks == [(2, 10, 40), (5, 40, 70), (8, 70, 90)]
    assert planner.rows == 8


def test_a_record_larger_than_the_budget_is_a_chunk_of_its_own() -> None:
    planner = ChunkPlanner(max_rows=2)
    rows = _rows(2, 10, 1, "#1") + _rows(3, 20, 4, "#2") + _rows(7, 60, 1, "#3")
    list(planner.watch(Grouped(), rows))  # type: ignore[arg-type]
    assert planner.chunks == [(2, 10, 60), (7, 60, 70)]


def test_the_byte_budget_closes_a_chunk_too() -> None:
    planner = ChunkPlanner(max_rows=1000, max_bytes=25)
    list(planner.watch(Grouped(), _rows(2, 0, 1, "a") + _rows(3, 10, 1, "b") + _rows(4, 20, 1, "c")))  # type: ignore[arg-type]
    assert planner.chunks == [(2, 0, 20), (4, 20, 30)]


def test_a_shopify_product_s_variants_and_stock_are_never_cut_apart() -> None:
    """One Shopify row makes two entries (the variant and its stock) and a variant row after the first has
    no Title: chunks cut at entries overlapped (a row in two chunks) or started inside a handle group."""
    fmt = format_of("shopify-products")
    header = "Handle,Title,Option1 Name,Option1 Value,Variant SKU,Variant Price,Variant Inventory Qty\n"
    tee = "tee,Tee,Size,S,TEE-S,10.00,5\ntee,,,M,TEE-M,10.00,6\ntee,,,L,TEE-L,10.00,7\n"
    cap = "cap,Cap,Title,Default Title,CAP,5.00,1\n"
    data = (header + tee + cap).encode()
    planner = ChunkPlanner(max_rows=2)  # the tee's three variants are one chunk all the same
    options = ReadOptions(channel=None, location="main", currency="EUR")
    whole = list(fmt.entries(planner.watch(fmt, read_rows(io.BytesIO(data), "csv")), options))
    keys = ["TEE-S", "TEE-S@main", "TEE-M", "TEE-M@main", "TEE-L", "TEE-L@main", "CAP", "CAP@main"]
    assert [e.key for e in whole if isinstance(e, Entry)] == keys
    h, t = len(header), len(header) + len(tee)
    assert planner.chunks == [(2, h, t), (5, t, len(data))]
    ends = [(start, end) for _, start, end in planner.chunks]
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in itertools.pairwise(ends))  # no overlap
    parsed: list[Parsed] = []
    for line, start, end in planner.chunks:  # each chunk alone, as a chunk message reads it
        rows = read_rows(
            io.BytesIO(data[start:end]),
            "csv",
            header=header.strip().split(","),
            first_line=line,
            base_offset=start,
        )
        parsed.extend(fmt.entries(rows, options))
    assert not [p for p in parsed if isinstance(p, BadEntry)]
    assert [p.key for p in parsed if isinstance(p, Entry)] == keys


def test_error_report_keys() -> None:
    assert import_error_key("abc", "csv") == "errors/abc.csv"
    assert import_error_key("abc", "jsonl", 7) == "errors/abc-chunk-000007.jsonl"


class Trickle(io.BytesIO):
    """A stream that hands out at most 7 bytes a read, as a socket may."""

    def read(self, size: int | None = -1, /) -> bytes:
        return super().read(7 if size is None or size < 0 or size > 7 else size)


@pytest.mark.parametrize("head", [b"", b"\xef\xbb\xbf"])
def test_an_upload_read_once_gives_the_files_rows_header_encoding_and_sha256(head: bytes) -> None:
    data = head + b'sku,name,price\r\nA,Caf\xc3\xa9,1.00\r\n\r\nB,"two\r\nlines",2.00\r\n'
    opened = OpenedUpload(Trickle(data), "csv")
    assert opened.header == ("sku", "name", "price")
    assert opened.encoding == ("utf-8-sig" if head else "utf-8")
    got = list(opened.rows())
    assert got == list(read_rows(io.BytesIO(data), "csv"))  # what oms import reads
    assert [r.cells["name"] for r in got] == ["Caf\u00e9", "two\r\nlines"]
    assert opened.checksum() == hashlib.sha256(data).hexdigest()
    # a chunk of the second record alone, read with the file's header and encoding
    (again,) = read_rows(
        io.BytesIO(data[got[1].start : got[1].end]),
        "csv",
        header=opened.header,
        first_line=got[1].line,
        base_offset=got[1].start,
        encoding=opened.encoding,
    )
    assert again == got[1]


def test_a_json_lines_upload_has_no_header() -> None:
    data = '{"sku": "A"}\n{"sku": "B"}\n'.encode("cp1252")
    opened = OpenedUpload(io.BytesIO(data), "jsonl")
    assert (opened.header, [r.cells["sku"] for r in opened.rows()]) == ((), ["A", "B"])
    assert opened.checksum() == hashlib.sha256(data).hexdigest()


def test_a_file_longer_than_the_head_reads_whole_through_the_seam() -> None:
    lines = ["sku,name,price"] + [
        f"S{n:06d},Product {n} {'x' * (n % 50)},{n % 90 + 1}.25" for n in range(50_000)
    ]
    data = ("\r\n".join(lines) + "\r\n").encode()
    assert len(data) > 2 * HEAD_BYTES  # read in blocks from the head, then from the stream
    opened = OpenedUpload(io.BytesIO(data), "csv")
    got = list(opened.rows())
    assert [r.cells["sku"] for r in got] == [f"S{n:06d}" for n in range(50_000)]
    assert got == list(read_rows(io.BytesIO(data), "csv"))
    assert opened.checksum() == hashlib.sha256(data).hexdigest()
