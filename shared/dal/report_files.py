"""Report files in S3: whole small files, multipart uploads streamed from a writer, presigned GETs.

``MultipartWriter`` is a binary file-like object: what is written collects in one buffer and leaves as
an S3 part each time it reaches ``part_size`` (S3 wants at least 5 MiB for every part but the last),
so an export of any length holds at most one part (and the copy being sent) in memory. On an error the
upload is aborted (the bucket's lifecycle rule also removes incomplete uploads after a day).
"""

from __future__ import annotations

import io
from types import TracebackType
from typing import Any, Self

PART_SIZE = 8 * 1024 * 1024
MIN_PART_SIZE = 5 * 1024 * 1024


class MultipartWriter(io.RawIOBase):
    def __init__(self, client: Any, bucket: str, key: str, content_type: str, part_size: int = PART_SIZE):
        super().__init__()
        if part_size < MIN_PART_SIZE:
            raise ValueError("S3 parts (but the last) must be at least 5 MiB")
        self._s3, self._bucket, self._key = client, bucket, key
        self._content_type = content_type
        self._part_size = part_size
        self._buffer = bytearray()
        self._parts: list[dict[str, Any]] = []
        self._upload_id: str | None = None
        self.bytes_written = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self._buffer += chunk
        self.bytes_written += len(chunk)
        if len(self._buffer) >= self._part_size:  # parts may differ in size: send all that is here
            self._send(bytes(self._buffer))
            self._buffer.clear()
        return len(chunk)

    def _send(self, body: bytes) -> None:
        if self._upload_id is None:
            self._upload_id = self._s3.create_multipart_upload(
                Bucket=self._bucket, Key=self._key, ContentType=self._content_type
            )["UploadId"]
        number = len(self._parts) + 1
        response = self._s3.upload_part(
            Bucket=self._bucket, Key=self._key, UploadId=self._upload_id, PartNumber=number, Body=body
        )
        self._parts.append({"PartNumber": number, "ETag": response["ETag"]})

    def finish(self) -> None:
        """Send what is left: a small file as one PutObject, a large one as its last part."""
        if self._upload_id is None:
            self._s3.put_object(
                Bucket=self._bucket, Key=self._key, Body=bytes(self._buffer), ContentType=self._content_type
            )
        else:
            if self._buffer:
                self._send(bytes(self._buffer))
            self._s3.complete_multipart_upload(
                Bucket=self._bucket,
                Key=self._key,
                UploadId=self._upload_id,
                MultipartUpload={"Parts": self._parts},
            )
        self._buffer.clear()

    def abort(self) -> None:
        if self._upload_id is not None:
            self._s3.abort_multipart_upload(Bucket=self._bucket, Key=self._key, UploadId=self._upload_id)
            self._upload_id = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if kind is None:
            self.finish()
        else:
            self.abort()
        self.close()


class ReportFiles:
    def __init__(self, client: Any, bucket: str) -> None:
        self._s3 = client
        self.bucket = bucket

    def writer(self, key: str, content_type: str) -> MultipartWriter:
        return MultipartWriter(self._s3, self.bucket, key, content_type)

    def download_url(self, key: str, expires_s: int, filename: str) -> str:
        return str(
            self._s3.generate_presigned_url(
                "get_object",
                Params={
                    "Bucket": self.bucket,
                    "Key": key,
                    "ResponseContentDisposition": f'attachment; filename="{filename}"',
                },
                ExpiresIn=expires_s,
            )
        )
