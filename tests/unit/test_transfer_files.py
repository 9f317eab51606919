"""shared.transfer.files: encodings, streaming rows with byte ranges, checksums, formula cells, the
error report."""

from __future__ import annotations

import hashlib
import io
import json
import tracemalloc
from typing import Any

import pytest

from shared.transfer.files import (
    BLOCK,
    BOM,
    BrokenRow,
    ErrorReport,
    FileProblem,
    HashingReader,
    detect_encoding,
    escape_cell,
    header_of,
    row_problem,
    rows,
    sha256_of,
    sniff,
    unescape_cell,
    unescape_formula,
)
from shared.transfer.records import Row

CSV = b'sku,name,price\nA-1,Plain,1.00\nB-2,"Two\nlines, and ""quotes""",2.50\r\n\nC-3,Caf\xc3\xa9,3.00\n'


def _rows(data: bytes, container: str = "csv", **kwargs: Any) -> list[Row]:
    return list(rows(io.BytesIO(data), container, **kwargs))


# --- encodings ---------------------------------------------------------------------------------


def test_utf8_with_and_without_a_bom_read_the_same_cells() -> None:
    plain = _rows(CSV)
    with_bom = _rows(BOM + CSV)
    assert [r.cells for r in plain] == [r.cells for r in with_bom]
    assert plain[2].cells["name"] == "Café"
    assert detect_encoding(BOM + CSV) == "utf-8-sig"
    assert detect_encoding(CSV) == "utf-8"
    # byte offsets are the file's: the BOM counts
    assert with_bom[0].start == plain[0].start + len(BOM)


def test_windows_1252_is_detected_and_decoded() -> None:
    data = "sku,name,price\nA-1,Café – “quoted”,1.00\n".encode("cp1252")  # noqa: RUF001 - a Windows-1252 dash
    assert detect_encoding(data) == "cp1252"
    assert _rows(data)[0].cells["name"] == "Café – “quoted”"  # noqa: RUF001


@pytest.mark.parametrize(
    "data",
    [
        b"sku,name\nA-1,\x81\x8d\xff\n",  # neither UTF-8 nor Windows-1252 (0x81 is undefined there)
        "sku,name\nA-1,x\n".encode("utf-16"),
    ],
)
def test_other_encodings_are_refused_with_a_sentence(data: bytes) -> None:
    with pytest.raises(FileProblem, match="save it as UTF-8 CSV"):
        detect_encoding(data)
    with pytest.raises(FileProblem, match="save it as UTF-8 CSV"):
        _rows(data)


def test_a_bad_byte_after_the_sample_names_its_line() -> None:
    filler = b"".join(b"A-%d,name,1.00\n" % n for n in range(10_000))  # > 64 KiB of ASCII: UTF-8
    assert len(filler) > BLOCK
    data = b"sku,name,price\n" + filler + b"Z-1,Caf\xe9,1.00\n"
    with pytest.raises(FileProblem, match=r"line 10002 is not valid UTF-8"):
        _rows(data)


# --- rows --------------------------------------------------------------------------------------


def test_rows_know_their_first_line_and_byte_range() -> None:
    found = _rows(CSV)
    assert [(r.line, r.cells["sku"]) for r in found] == [(2, "A-1"), (3, "B-2"), (6, "C-3")]
    assert found[1].cells["name"] == 'Two\nlines, and "quotes"'
    for row in found:  # each range holds exactly its record
        assert CSV[row.start : row.end].startswith(row.cells["sku"].encode())
    assert found[0].start == len(b"sku,name,price\n")
    assert found[-1].end == len(CSV)


def test_a_byte_range_reads_again_alone() -> None:
    found = _rows(CSV)
    head = sniff(io.BytesIO(CSV))
    assert head.header == ("sku", "name", "price")
    assert head.data_start == found[0].start
    chunk = CSV[found[1].start : found[2].end]
    again = _rows(
        chunk,
        header=head.header,
        first_line=found[1].line,
        base_offset=found[1].start,
        encoding=head.encoding,
    )
    assert again == found[1:]


def test_a_file_ending_inside_a_quoted_cell_is_truncated() -> None:
    with pytest.raises(FileProblem, match="ends inside a quoted cell that starts on line 3: it is truncated"):
        _rows(b'sku,name,price\nA-1,x,1.00\nB-2,"cut off\nhere')


def test_a_row_with_another_number_of_cells_is_a_broken_row() -> None:
    found = _rows(b"sku,name,price\nA-1,x\nB-2,y,2.00\n")
    assert isinstance(found[0], BrokenRow)
    assert row_problem(found[0]) == "the row has 2 cells where the header has 3 columns"
    assert found[0].cells == {"sku": "A-1", "name": "x", "price": ""}
    assert row_problem(found[1]) is None


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (b"sku,name,sku\n", "names the column 'sku' twice"),
        (b"sku,,price\n", "column 2 of the header has no name"),
    ],
)
def test_a_bad_header_is_refused(header: bytes, message: str) -> None:
    with pytest.raises(FileProblem, match=message):
        _rows(header + b"a,b,c\n")
    with pytest.raises(FileProblem, match=message):
        header_of(io.BytesIO(header))


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(FileProblem, match="empty"):
        _rows(b"")
    with pytest.raises(FileProblem, match="empty"):
        header_of(io.BytesIO(b"\n\n"))


def test_a_quote_inside_an_unquoted_cell_names_the_line() -> None:
    with pytest.raises(FileProblem, match="line 3 is not valid CSV"):
        _rows(b'sku,name\nA-1,x\nB-2,"y"z\n')


def test_json_lines() -> None:
    data = b'{"sku": "A-1"}\n\n[1, 2]\n{not json}\n{"sku": "B-2"}'
    found = _rows(data, "jsonl")
    assert [(r.line, row_problem(r)) for r in found] == [
        (1, None),
        (3, "the line is not a JSON object"),
        (4, "the line is not valid JSON"),
        (5, None),
    ]
    assert found[0].cells == {"sku": "A-1"}
    assert data[found[3].start : found[3].end] == b'{"sku": "B-2"}'


def test_json_lines_cut_short_is_truncated() -> None:
    with pytest.raises(FileProblem, match="ends inside line 2: it is truncated"):
        _rows(b'{"sku": "A-1"}\n{"sku": "B', "jsonl")


class _Generated(io.RawIOBase):
    """A big CSV made as it is read: nothing holds the whole file."""

    def __init__(self, rows_wanted: int) -> None:
        self._next = 0
        self._wanted = rows_wanted
        self._pending = b"sku,name,price\n"
        self.largest_read = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        self.largest_read = max(self.largest_read, size)
        while len(self._pending) < size and self._next < self._wanted:
            self._pending += b'S-%d,"Name %d, long enough to matter",%d.99\n' % (
                self._next,
                self._next,
                self._next,
            )
            self._next += 1
        out, self._pending = self._pending[:size], self._pending[size:]
        return out


def test_memory_stays_flat_whatever_the_file_size() -> None:
    def peak(count: int) -> int:
        stream = _Generated(count)
        tracemalloc.start()
        seen = sum(1 for _ in rows(stream, "csv"))
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert seen == count
        assert stream.largest_read <= BLOCK
        return top

    small, big = peak(2_000), peak(60_000)  # ~100 KB and ~3 MB files
    assert big < 1_000_000
    assert big < small * 3


# --- checksum ----------------------------------------------------------------------------------


def test_the_checksum_is_the_sha256_of_the_bytes_read() -> None:
    expected = hashlib.sha256(CSV).hexdigest()
    reader = HashingReader(io.BytesIO(CSV))
    assert len(list(rows(reader, "csv"))) == 3
    assert reader.hexdigest() == expected
    assert reader.bytes_read == len(CSV)
    assert sha256_of(io.BytesIO(CSV)) == expected


# --- formula cells -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+12125550101", "'+12125550101"),
        ("-x", "'-x"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("'quoted", "''quoted"),
        ("plain", "plain"),
        ("19.99", "19.99"),
        ("", ""),
    ],
)
def test_formula_cells_are_escaped_and_come_back(text: str, written: str) -> None:
    assert escape_cell(text) == written
    assert unescape_cell(written) == text


def test_a_platform_cell_loses_a_quote_only_before_a_formula_start() -> None:
    assert unescape_formula("'=1+1") == "=1+1"
    assert unescape_formula("'7001000000001") == "'7001000000001"  # Shopify's own customer id
    assert unescape_formula("'Tis") == "'Tis"


# --- the error report --------------------------------------------------------------------------


def test_the_csv_error_report_holds_the_rows_and_why_escaped() -> None:
    found = _rows(b'sku,name,price\nA-1,"=HYPERLINK(""http://x"",""y"")",1.00\nB-2,x\n')
    out = io.BytesIO()
    report = ErrorReport(out, "csv")
    report.add([found[0]], ["price: too low", "name: bad"])
    report.add([found[1]], [row_problem(found[1]) or ""])
    assert report.count == 2
    text = out.getvalue()
    assert text.startswith(BOM)
    assert text[len(BOM) :].decode().splitlines() == [
        "sku,name,price,_errors",
        'A-1,"\'=HYPERLINK(""http://x"",""y"")",1.00,price: too low; name: bad',
        "B-2,x,,the row has 2 cells where the header has 3 columns",
    ]
    # read back (a corrected report imports again): the cells are the file's
    again = _rows(text)
    assert unescape_cell(again[0].cells["name"]) == found[0].cells["name"]


def test_the_csv_error_report_takes_its_header_from_a_broken_first_row() -> None:
    found = _rows(b"sku,name,price\nA-1\nB-2,y,2.00,extra\n")
    out = io.BytesIO()
    report = ErrorReport(out, "csv")
    for row in found:
        report.add([row], [row_problem(row) or ""])
    assert out.getvalue()[len(BOM) :].decode().splitlines() == [
        "sku,name,price,_errors",
        "A-1,,,the row has 1 cells where the header has 3 columns",
        "B-2,y,2.00,the row has 4 cells where the header has 3 columns",
    ]


def test_the_json_lines_error_report_adds_an_errors_field() -> None:
    found = _rows(b'{"email": "a@example.com"}\n[1]\n', "jsonl")
    out = io.BytesIO()
    report = ErrorReport(out, "jsonl")
    report.add(found, ["email: taken"])
    lines = [json.loads(line) for line in out.getvalue().decode().splitlines()]
    assert lines == [
        {"email": "a@example.com", "_errors": "email: taken"},
        {"_line": 2, "_errors": "email: taken"},
    ]
    assert report.count == 2


def test_a_file_cut_inside_a_character_is_truncated() -> None:
    with pytest.raises(FileProblem, match="ends inside a character on line 2: it is truncated"):
        _rows("sku,name\nA-1,Café".encode()[:-1])
    with pytest.raises(FileProblem, match="line 1: it is truncated"):
        _rows('{"name": "Café"}'.encode()[:-3], "jsonl")


def test_reading_is_linear_in_the_file_size() -> None:
    import time

    def seconds(count: int) -> float:
        began = time.perf_counter()
        assert sum(1 for _ in rows(_Generated(count), "csv")) == count
        return time.perf_counter() - began

    small, big = seconds(20_000), seconds(200_000)
    assert big < small * 20  # 10 times the rows: not 100 times the time


def test_an_error_report_in_parts_and_of_a_corrected_report() -> None:
    data = b"sku,name,_errors\nA-1,x,was bad\nB-2,y,\n"
    found = _rows(data)
    first, second = io.BytesIO(), io.BytesIO()
    ErrorReport(first, "csv", ("sku", "name", "_errors")).add([found[0]], ["name: still bad"])
    later = ErrorReport(second, "csv", ("sku", "name", "_errors"), head=False)
    later.add([found[1]], ["sku: taken"])
    assert (first.getvalue() + second.getvalue()).decode("utf-8-sig").splitlines() == [
        "sku,name,_errors",
        "A-1,x,name: still bad",
        "B-2,y,sku: taken",
    ]
    empty = io.BytesIO()
    assert ErrorReport(empty, "csv").count == 0
    assert empty.getvalue() == b""
