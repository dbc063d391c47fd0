"""The file store: immutable blobs addressed by key. Local folder by default, or an
S3-compatible bucket (``STORAGE_URL=s3://bucket/prefix``: MinIO, Aliyun OSS, Tencent COS, Ceph).

Writes are atomic (local: temporary file, fsync, rename; S3: an object appears whole or not at
all), so a crash never leaves a half-written blob under a real key. Keys are content addresses
(``sha256/ab/abcdef…``): writing the same bytes twice is harmless, which keeps retried jobs
idempotent and lets every host share one bucket. Reads can stream (:meth:`open`) so a large
PDF is never copied whole into memory on its way to a client.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Protocol
from urllib.parse import urlparse

from court.configured import Configured

CHUNK = 1024 * 1024


class FileStore(Protocol):
    def put(self, data: bytes) -> str: ...
    def put_stream(self, fh: IO[bytes]) -> str: ...
    def get(self, key: str) -> bytes: ...
    def open(self, key: str) -> IO[bytes]: ...
    def exists(self, key: str) -> bool: ...
    def path(self, key: str) -> Path | None: ...
    def keys_older_than(self, seconds: float) -> Iterator[str]: ...
    def delete(self, key: str) -> None: ...
    def check_writable(self) -> None: ...


def key_for(data: bytes) -> str:
    return _key(hashlib.sha256(data).hexdigest())


def _key(digest: str) -> str:
    return f"sha256/{digest[:2]}/{digest}"


def _check_key(key: str) -> str:
    if ".." in key or key.startswith("/") or not key.startswith("sha256/"):
        raise ValueError("bad storage key")
    return key


def _spool(fh: IO[bytes], folder: str | None = None) -> tuple[str, IO[bytes]]:
    """Copy ``fh`` to a temporary file in chunks, hashing as it goes: (content key, file at 0)."""
    digest = hashlib.sha256()
    tmp = tempfile.TemporaryFile(dir=folder)  # noqa: SIM115 - returned to the caller, who closes it
    while chunk := fh.read(CHUNK):
        digest.update(chunk)
        tmp.write(chunk)
    tmp.seek(0)
    return _key(digest.hexdigest()), tmp


class LocalFileStore:
    """Blobs in a folder (``STORAGE_DIR``, default ``instance/files``)."""

    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    key_for = staticmethod(key_for)

    def _path(self, key: str) -> Path:
        return self.root / _check_key(key)

    def put(self, data: bytes) -> str:
        key = self.key_for(data)
        self._write(key, lambda fh: fh.write(data))
        return key

    def put_stream(self, fh: IO[bytes]) -> str:
        """Store a file object's contents without holding them in memory."""
        key, tmp = _spool(fh, str(self.root))
        with tmp:
            self._write(key, lambda out: shutil.copyfileobj(tmp, out, CHUNK))
        return key

    def _write(self, key: str, fill: Any) -> None:
        target = self._path(key)
        if target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fill(fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def open(self, key: str) -> IO[bytes]:
        return self._path(key).open("rb")

    def check_writable(self) -> None:
        """Raise unless a file can be created in the store (``/healthz``)."""
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".tmp-health-")
        os.close(fd)
        os.unlink(tmp)

    def exists(self, key: str) -> bool:
        return self._path(key).exists()

    def path(self, key: str) -> Path | None:
        return self._path(key)

    def keys_older_than(self, seconds: float) -> Iterator[str]:
        """Every stored key whose blob was written more than ``seconds`` ago."""
        cutoff = time.time() - seconds
        for path in self.root.glob("sha256/*/*"):
            if not path.name.startswith(".tmp-") and path.stat().st_mtime < cutoff:
                yield path.relative_to(self.root).as_posix()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


class S3FileStore:
    """Blobs as objects ``PREFIX/sha256/ab/abcdef…`` in one bucket of an S3-compatible store.

    Uploads go through boto3's managed transfer (multipart above 8 MB, retried parts); reads
    stream the response body. Listing for garbage collection pages through the bucket.
    """

    def __init__(self, url: str, *, endpoint_url: str = "", region: str = "", access_key_id: str = "",
                 secret_access_key: str = "", addressing_style: str = "path") -> None:
        import boto3
        from botocore.config import Config as BotoConfig

        parsed = urlparse(url)
        if parsed.scheme != "s3" or not parsed.netloc:
            raise ValueError("STORAGE_URL must look like s3://bucket/prefix")
        self.bucket = parsed.netloc
        self.prefix = parsed.path.strip("/")
        self.client = boto3.client(
            "s3", endpoint_url=endpoint_url or None, region_name=region or None,
            aws_access_key_id=access_key_id or None, aws_secret_access_key=secret_access_key or None,
            config=BotoConfig(s3={"addressing_style": addressing_style or "path"}, connect_timeout=5,
                              read_timeout=60, retries={"max_attempts": 5, "mode": "standard"}))

    key_for = staticmethod(key_for)

    def _name(self, key: str) -> str:
        key = _check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, data: bytes) -> str:
        import io

        return self.put_stream(io.BytesIO(data)) if len(data) > 8 * CHUNK else self._put_small(data)

    def _put_small(self, data: bytes) -> str:
        key = self.key_for(data)
        if not self.exists(key):
            self.client.put_object(Bucket=self.bucket, Key=self._name(key), Body=data,
                                   ContentType="application/octet-stream")
        return key

    def put_stream(self, fh: IO[bytes]) -> str:
        """Hash while spooling to a temporary file (the key must be known first), then upload."""
        key, tmp = _spool(fh)
        with tmp:
            if not self.exists(key):
                self.client.upload_fileobj(tmp, self.bucket, self._name(key))
        return key

    def get(self, key: str) -> bytes:
        with self.open(key) as body:
            return body.read()

    def open(self, key: str) -> IO[bytes]:
        try:
            body: IO[bytes] = self.client.get_object(Bucket=self.bucket, Key=self._name(key))["Body"]
            return body
        except self.client.exceptions.NoSuchKey:
            raise FileNotFoundError(key) from None

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._name(key))
            return True
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise

    def path(self, key: str) -> Path | None:
        return None

    def keys_older_than(self, seconds: float) -> Iterator[str]:
        cutoff = time.time() - seconds
        start = f"{self.prefix}/sha256/" if self.prefix else "sha256/"
        strip = len(self.prefix) + 1 if self.prefix else 0
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=start):
            for obj in page.get("Contents", []):
                if obj["LastModified"].timestamp() < cutoff:
                    yield obj["Key"][strip:]

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._name(key))

    def check_writable(self) -> None:
        name = f"{self.prefix}/health/probe" if self.prefix else "health/probe"
        self.client.put_object(Bucket=self.bucket, Key=name, Body=b"ok")
        self.client.delete_object(Bucket=self.bucket, Key=name)


def from_settings(storage_url: str, storage_dir: str, **s3: str) -> FileStore:
    """The store the settings name: a bucket for ``s3://…``, else the local folder."""
    if storage_url:
        return S3FileStore(storage_url, **s3)
    return LocalFileStore(storage_dir)


_store: Configured[FileStore] = Configured("court.storage.configure()")


def configure(store: FileStore) -> None:
    _store.set(store)


def store() -> FileStore:
    return _store.get()
