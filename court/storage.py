"""The file store: immutable blobs addressed by key. Local folder by default.

Writes are atomic (temporary file, fsync, rename), so a crash never leaves a half-written
blob under a real key. Keys are content addresses (``sha256/ab/abcdef…``): writing the same
bytes twice is harmless, which keeps retried jobs idempotent.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol


class FileStore(Protocol):
    def put(self, data: bytes) -> str: ...
    def get(self, key: str) -> bytes: ...
    def exists(self, key: str) -> bool: ...
    def path(self, key: str) -> Path | None: ...
    def keys_older_than(self, seconds: float) -> Iterator[str]: ...
    def delete(self, key: str) -> None: ...


class LocalFileStore:
    """Blobs in a folder (``STORAGE_DIR``, default ``instance/files``)."""

    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    @staticmethod
    def key_for(data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        return f"sha256/{digest[:2]}/{digest}"

    def _path(self, key: str) -> Path:
        if ".." in key or key.startswith("/"):
            raise ValueError("bad storage key")
        return self.root / key

    def put(self, data: bytes) -> str:
        key = self.key_for(data)
        target = self._path(key)
        if target.exists():
            return key
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        return key

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

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


_store: FileStore | None = None


def configure(store: FileStore) -> None:
    global _store
    _store = store


def store() -> FileStore:
    if _store is None:
        raise RuntimeError("court.storage.configure() has not been called")
    return _store
