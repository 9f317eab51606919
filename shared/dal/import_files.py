"""The imports bucket and the import work queue, as the cloud import path uses them.

``ImportObjects``: an upload read whole (streamed) or by byte range, an error report written in parts
(``MultipartWriter``: flat memory whatever its size, nothing left behind on abort), presigned PUTs for
uploads and presigned GETs for error reports. ``ImportWorkQueue``: the chunk messages, ten per
SendMessageBatch, any entry SQS refused sent again once and then an error (the planner's message then
comes back, and sends them all again: chunks are counted once, so a chunk sent twice changes nothing).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO, Any, cast

from botocore.exceptions import ClientError

from shared.dal.report_files import MultipartWriter

MAX_BATCH = 10


class ImportObjects:
    def __init__(self, client: Any, bucket: str) -> None:
        self._s3 = client
        self.bucket = bucket

    def open(self, key: str) -> IO[bytes]:
        """The object's body, streamed (botocore's StreamingBody reads from the socket as it is read)."""
        return cast(IO[bytes], self._s3.get_object(Bucket=self.bucket, Key=key)["Body"])

    def open_tagged(self, key: str) -> tuple[IO[bytes], str]:
        """The object's body, streamed, and its ETag: ``read_range`` with it reads that object only."""
        reply = self._s3.get_object(Bucket=self.bucket, Key=key)
        return cast(IO[bytes], reply["Body"]), str(reply["ETag"])

    def read_range(self, key: str, start: int, end: int, etag: str | None = None) -> bytes | None:
        """Bytes ``start`` to ``end`` (exclusive) of the object; None when ``etag`` is given and the
        object is no longer that one (replaced: S3 answers 412 to If-Match)."""
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": key, "Range": f"bytes={start}-{end - 1}"}
        if etag is not None:
            params["IfMatch"] = etag
        try:
            body = self._s3.get_object(**params)["Body"]
        except ClientError as exc:
            if etag is not None and exc.response.get("Error", {}).get("Code") == "PreconditionFailed":
                return None
            raise
        with body:
            return bytes(body.read())

    def writer(self, key: str, content_type: str) -> MultipartWriter:
        return MultipartWriter(self._s3, self.bucket, key, content_type)

    def upload_url(self, key: str, expires_s: int) -> str:
        """A presigned PUT of ``key`` (a plain ``curl -T file URL`` works: no header is signed)."""
        return str(
            self._s3.generate_presigned_url(
                "put_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=expires_s
            )
        )

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


class ImportWorkQueue:
    def __init__(self, client: Any, queue_url: str) -> None:
        self._sqs = client
        self._url = queue_url

    def send_batch(self, bodies: Sequence[str]) -> None:
        if len(bodies) > MAX_BATCH:
            raise ValueError(f"at most {MAX_BATCH} messages per batch")
        entries = [{"Id": str(n), "MessageBody": body} for n, body in enumerate(bodies)]
        for _attempt in range(2):
            if not entries:
                return
            failed = self._sqs.send_message_batch(QueueUrl=self._url, Entries=entries).get("Failed") or []
            refused = {f["Id"] for f in failed}
            entries = [e for e in entries if e["Id"] in refused]
        if entries:
            raise RuntimeError(f"SQS refused {len(entries)} chunk messages twice")
