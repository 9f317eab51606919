"""A file's bytes as rows: the encoding, CSV and JSON Lines records with their byte ranges, the
SHA-256 of what was read, formula-cell escaping, and the error report.

Everything streams: a file is read in blocks and split into physical lines here, so memory stays
flat whatever the file's size (a single line is capped at ``MAX_LINE_BYTES``).

**Encodings.** UTF-8 with or without a BOM; else Windows-1252 when the first block decodes as it
(its five undefined bytes 0x81 0x8D 0x8F 0x90 0x9D say it is not); anything else is refused with a
``FileProblem``. A byte that does not decode later in the file is a ``FileProblem`` naming its line.

**Rows.** A CSV record may span several physical lines (a quoted cell with a newline in it); each
row knows the physical line it starts on (the header is line 1) and its byte range in the file, so a
range can be read again alone: ``rows(stream, "csv", header=[...], first_line=N, base_offset=B,
encoding=E)`` with the header and encoding ``sniff`` found (``formats.chunks`` cuts such ranges).
A blank line is skipped. A file that ends inside a quoted cell is truncated: a ``FileProblem``. A
record with another number of cells than the header is a ``BrokenRow``: the format reports it bad
(``row_problem``). JSON Lines: one object per line; a line that is not one is a ``BrokenRow``, and a
last line cut short (no newline, not JSON) is a truncated file.

**Formula cells** (OWASP "CSV injection"): every CSV cell this system writes (the error report, the
oms-* CSV files) that starts with ``=``, ``+``, ``-``, ``@``, a tab or a CR gets a leading ``'``, so a
spreadsheet shows it as text; so does a cell that already starts with ``'``, so that reading it back
(``unescape_cell``: exactly one leading ``'`` taken off) gives the text that was written. Money and
quantities are written by this system and never negative, so a number is never escaped. JSON Lines
files are not spreadsheets: nothing is escaped there.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from shared.transfer.records import Row

Encoding = Literal["utf-8-sig", "utf-8", "cp1252"]
BLOCK = 64 * 1024
SAMPLE_BYTES = 64 * 1024  # what the encoding is detected on
MAX_LINE_BYTES = 1024 * 1024  # a longer physical line is not a shop's file
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
ESCAPED_START = (*FORMULA_START, "'")  # a leading ' is escaped too, so unescaping is exact
ERRORS_COLUMN = "_errors"
_CP1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")
BOM = codecs.BOM_UTF8
_SAVE_AS = "save it as UTF-8 CSV (in Excel: Save As, CSV UTF-8)"


class Readable(Protocol):
    """What the readers read from: a file opened ``rb``, an S3 body, ``io.BytesIO``."""

    def read(self, size: int = -1, /) -> bytes: ...


class Writable(Protocol):
    """What the writers write to: a file opened ``wb``, ``io.BytesIO``."""

    def write(self, data: bytes, /) -> object: ...


class FileProblem(Exception):
    """A file that cannot be read at all (encoding, truncation, wrong format): a sentence a merchant
    understands, naming a line or a column, never a cell's value."""


@dataclass(frozen=True)
class BrokenRow(Row):
    """A record the file itself breaks (another number of cells than the header, a JSON Lines line
    that is no object); the format reports it as a bad entry. CSV: ``cells`` has every column of the
    header, the cells the row lacks empty and the cells beyond the header left out."""

    problem: str = ""


def row_problem(row: Row) -> str | None:
    """Why a row is broken, or None: every format turns a broken row into a bad entry with it."""
    return row.problem if isinstance(row, BrokenRow) else None


# --- encoding ---------------------------------------------------------------------------------


def detect_encoding(sample: bytes) -> Encoding:
    """The encoding of a file from its first bytes (a block cut anywhere: a multi-byte character cut
    at its end is fine). ``FileProblem`` when it is neither UTF-8 nor Windows-1252."""
    if sample.startswith(BOM):
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            decoder.decode(sample[len(BOM) :], final=False)
        except UnicodeDecodeError:
            raise FileProblem(f"the file starts with a UTF-8 mark but is not UTF-8: {_SAVE_AS}") from None
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in sample:
        raise FileProblem(f"the file is UTF-16 (or binary), not UTF-8 or Windows-1252: {_SAVE_AS}")
    if _CP1252_UNDEFINED.isdisjoint(sample):
        return "cp1252"
    raise FileProblem(f"the file is neither UTF-8 nor Windows-1252: {_SAVE_AS}")


# --- physical lines ---------------------------------------------------------------------------


class _Lines:
    """A binary stream as raw physical lines (each with its line ending), read in blocks."""

    def __init__(self, stream: Readable) -> None:
        self._stream = stream
        self._buffer = b""
        self._eof = False

    def peek(self, size: int) -> bytes:
        while len(self._buffer) < size and not self._eof:
            self._fill()
        return self._buffer[:size]

    def skip(self, size: int) -> None:
        self.peek(size)
        self._buffer = self._buffer[size:]

    def _fill(self) -> None:
        block = self._stream.read(BLOCK)
        if not block:
            self._eof = True
        else:
            self._buffer += block

    def __iter__(self) -> Iterator[bytes]:
        buffer, position = self._buffer, 0
        self._buffer = b""
        while True:
            cut = buffer.find(b"\n", position)
            if cut >= 0:
                yield buffer[position : cut + 1]
                position = cut + 1
                continue
            rest = buffer[position:]
            if self._eof:
                if rest:
                    yield rest
                return
            if len(rest) > MAX_LINE_BYTES:
                limit = MAX_LINE_BYTES // 1024
                raise FileProblem(f"a line is longer than {limit} KiB: this is not a CSV or JSON Lines file")
            block = self._stream.read(BLOCK)
            if not block:
                self._eof = True
            buffer, position = rest + block, 0


class _Decoder:
    """Raw lines -> text, naming the line a byte that does not decode is on."""

    def __init__(self, encoding: Encoding) -> None:
        self.encoding = encoding
        self._decoder = codecs.getincrementaldecoder("utf-8" if encoding == "utf-8-sig" else encoding)()

    def decode(self, raw: bytes, line: int) -> str:
        try:
            return self._decoder.decode(raw, final=False)
        except UnicodeDecodeError:
            if self.encoding == "cp1252":
                raise FileProblem(
                    f"line {line} has a byte that is not Windows-1252 text: the file mixes encodings; "
                    f"{_SAVE_AS}"
                ) from None
            raise FileProblem(
                f"line {line} is not valid UTF-8 (the first lines were): the file mixes encodings; {_SAVE_AS}"
            ) from None

    def finish(self, line: int) -> None:
        """At the end of the stream: a character cut short there is a truncated file."""
        try:
            self._decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise FileProblem(f"the file ends inside a character on line {line}: it is truncated") from None


def _start(stream: Readable, encoding: Encoding | None, base_offset: int) -> tuple[_Lines, _Decoder, int]:
    """The lines, their decoder and the byte count of a BOM skipped at the very start of the file."""
    lines = _Lines(stream)
    sample = lines.peek(SAMPLE_BYTES)
    if encoding is None:
        encoding = detect_encoding(sample)
    skipped = 0
    if base_offset == 0 and sample.startswith(BOM):
        lines.skip(len(BOM))
        skipped = len(BOM)
        encoding = "utf-8-sig"
    return lines, _Decoder(encoding), skipped


def _blank(text: str) -> bool:
    return not text.strip()


# --- rows -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Head:
    """What the start of a file says: its encoding, its CSV header, and where the data begins."""

    encoding: Encoding
    header: tuple[str, ...]
    data_start: int  # the byte offset of the line after the header
    data_line: int  # that line's number


def sniff(stream: Readable) -> Head:
    """The encoding and the CSV header of a file (reads only as far as the header's end)."""
    lines, decoder, offset = _start(stream, None, 0)
    line = 1
    for raw in lines:
        offset += len(raw)
        text = decoder.decode(raw, line)
        if _blank(text):
            line += 1
            continue
        try:
            header = next(csv.reader([text], strict=True))
        except csv.Error:
            raise FileProblem(f"the header (line {line}) is not a CSV line") from None
        return Head(decoder.encoding, _checked_header(header), offset, line + 1)
    raise FileProblem("the file is empty")


def header_of(stream: Readable) -> tuple[str, ...]:
    """A CSV file's header: its column names, in order."""
    return sniff(stream).header


def _checked_header(header: Sequence[str]) -> tuple[str, ...]:
    names = tuple(name.strip() for name in header)
    for number, name in enumerate(names, 1):
        if not name:
            raise FileProblem(f"column {number} of the header has no name")
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise FileProblem(f"the header names the column {name!r} twice")
        seen.add(name)
    return names


def rows(
    stream: Readable,
    container: str,
    *,
    header: Sequence[str] | None = None,
    first_line: int = 1,
    base_offset: int = 0,
    encoding: Encoding | None = None,
) -> Iterator[Row]:
    """The records of a file (or of a byte range of it: pass the header, the range's first line and
    its offset in the file, and the file's encoding from ``sniff``), in order, streaming."""
    if container == "csv":
        return _csv_rows(stream, header, first_line, base_offset, encoding)
    if container != "jsonl":
        raise ValueError(f"no such container {container!r}: csv or jsonl")
    return _jsonl_rows(stream, first_line, base_offset, encoding)


def _csv_rows(
    stream: Readable,
    header: Sequence[str] | None,
    first_line: int,
    base_offset: int,
    encoding: Encoding | None,
) -> Iterator[Row]:
    lines, decoder, skipped = _start(stream, encoding, base_offset)
    consumed: list[int] = []  # raw byte lengths of the lines the csv reader took since the last record
    state = {"line": first_line, "last": first_line}

    def texts() -> Iterator[str]:
        for raw in lines:
            consumed.append(len(raw))
            state["last"] = state["line"] + len(consumed) - 1
            yield decoder.decode(raw, state["last"])
        decoder.finish(state["last"])

    reader = csv.reader(texts(), strict=True)
    columns: tuple[str, ...] | None = _checked_header(header) if header is not None else None
    offset = base_offset + skipped
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            at = state["line"]
            if "unexpected end of data" in str(exc) or "EOF" in str(exc):
                raise FileProblem(
                    f"the file ends inside a quoted cell that starts on line {at}: it is truncated"
                ) from None
            raise FileProblem(f"line {at} is not valid CSV ({_csv_reason(exc)})") from None
        size = sum(consumed)
        line, start = state["line"], offset
        state["line"] += len(consumed)
        offset += size
        consumed.clear()
        if not record or (len(record) == 1 and _blank(record[0])):
            continue
        if columns is None:
            columns = _checked_header(record)
            continue
        if len(record) != len(columns):
            cells = {column: record[n] if n < len(record) else "" for n, column in enumerate(columns)}
            problem = f"the row has {len(record)} cells where the header has {len(columns)} columns"
            yield BrokenRow(line, start, offset, cells, problem)
            continue
        yield Row(line, start, offset, dict(zip(columns, record, strict=True)))
    if columns is None and header is None and base_offset == 0:
        raise FileProblem("the file is empty: it has no header")


def _csv_reason(exc: csv.Error) -> str:
    text = str(exc)
    if "field limit" in text:
        return "a cell is longer than 128 KiB"
    if "new-line" in text:
        return "a line break inside an unquoted cell, or old Mac line ends"
    return "a quote inside an unquoted cell, or text after a closing quote"


def _jsonl_rows(
    stream: Readable, first_line: int, base_offset: int, encoding: Encoding | None
) -> Iterator[Row]:
    lines, decoder, skipped = _start(stream, encoding, base_offset)
    line, offset = first_line, base_offset + skipped
    for raw in lines:
        start, offset = offset, offset + len(raw)
        text = decoder.decode(raw, line)
        if not _blank(text):
            try:
                value = json.loads(text)
            except ValueError:
                if not raw.endswith(b"\n"):
                    raise FileProblem(f"the file ends inside line {line}: it is truncated") from None
                yield BrokenRow(line, start, offset, {}, "the line is not valid JSON")
            else:
                if isinstance(value, dict):
                    yield Row(line, start, offset, value)
                else:
                    yield BrokenRow(line, start, offset, {}, "the line is not a JSON object")
        line += 1
    decoder.finish(line - 1)


# --- checksum ---------------------------------------------------------------------------------


class HashingReader:
    """A binary stream that computes the SHA-256 of what is read through it."""

    def __init__(self, stream: Readable) -> None:
        self._stream = stream
        self._hash = hashlib.sha256()
        self.bytes_read = 0

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self._hash.update(data)
        self.bytes_read += len(data)
        return data

    def hexdigest(self) -> str:
        """The SHA-256 of everything read so far (the file's, once it is read to its end)."""
        return self._hash.hexdigest()


def sha256_of(stream: Readable) -> str:
    """The SHA-256 of a stream's bytes, read in blocks."""
    digest = hashlib.sha256()
    while block := stream.read(BLOCK):
        digest.update(block)
    return digest.hexdigest()


# --- formula cells ----------------------------------------------------------------------------


def escape_cell(text: str) -> str:
    """A cell as this system writes it to CSV: a leading ``'`` before a formula-like start (and before
    a leading ``'``, so that reading it back is exact)."""
    return "'" + text if text.startswith(ESCAPED_START) else text


def unescape_cell(text: str) -> str:
    """A cell of a CSV this system wrote, as it was before ``escape_cell``: one leading ``'`` off."""
    return text[1:] if text.startswith("'") else text


def unescape_formula(text: str) -> str:
    """A cell of a platform's CSV that may have passed through this system's error report (corrected
    and imported again): a ``'`` is taken off only before a formula-like start, since a platform's own
    text may start with one."""
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_START) else text


def csv_line(cells: Sequence[str]) -> bytes:
    """One CSV record, every cell escaped, ``\\r\\n``-ended (RFC 4180), as UTF-8."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([escape_cell(cell) for cell in cells])
    return buffer.getvalue().encode("utf-8")


def jsonl_line(value: Mapping[str, Any]) -> bytes:
    """One JSON Lines record, UTF-8, with its newline."""
    return (json.dumps(value, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


# --- the error report -------------------------------------------------------------------------


class ErrorReport:
    """The rows refused, as they came, plus why: a CSV with the file's header and an ``_errors``
    column (cells escaped; a UTF-8 BOM so a spreadsheet reads it as UTF-8), or JSON Lines with an
    ``_errors`` field. Written as rows are added: nothing is held.

    The header is the file's (an ``_errors`` column of its own left out), from ``header`` or from the
    first row added. Several errors are joined with ``"; "``. Nothing is written until a row is added:
    an empty report is an empty stream. ``head=False`` leaves out the BOM and the header line, for a
    later part of a report written in parts (the cloud path's chunks). A corrected report can be
    imported again: the formats ignore ``_errors``.
    """

    def __init__(
        self, stream: Writable, container: str, header: Sequence[str] | None = None, *, head: bool = True
    ) -> None:
        self._stream = stream
        self._container = container
        self._header: tuple[str, ...] | None = (
            tuple(column for column in header if column != ERRORS_COLUMN) if header is not None else None
        )
        self._started = not head
        self.count = 0  # rows written
        self.entries = 0  # calls to add: bad entries

    def add(self, rows: Sequence[Row], errors: Sequence[str]) -> None:
        why = "; ".join(errors)
        self.entries += 1
        for row in rows:
            self._write(row, why)
            self.count += 1

    def _write(self, row: Row, why: str) -> None:
        if self._container == "jsonl":
            body = {key: value for key, value in row.cells.items() if key != ERRORS_COLUMN}
            if not body and isinstance(row, BrokenRow):
                body = {"_line": row.line}
            self._stream.write(jsonl_line({**body, ERRORS_COLUMN: why}))
            return
        if self._header is None:
            self._header = tuple(key for key in row.cells if key != ERRORS_COLUMN)
        if not self._started:
            self._stream.write(BOM + csv_line([*self._header, ERRORS_COLUMN]))
            self._started = True
        header = self._header
        cells = [_text(row.cells.get(column)) for column in header]
        self._stream.write(csv_line([*cells, why]))


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)
