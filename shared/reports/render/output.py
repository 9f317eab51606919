"""Where a renderer writes: anything with ``write(bytes)`` (a BytesIO, a file, an S3 multipart writer)."""

from __future__ import annotations

from typing import Protocol


class Output(Protocol):
    def write(self, data: bytes, /) -> int | None: ...
