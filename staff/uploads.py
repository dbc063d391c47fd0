"""Reading a staff upload (API multipart or console form) with its size bounded before any work.

Every upload is read to one byte past its limit and no further, so an oversize file is never read
whole into memory, and one over the limit is refused here with a clear message (413) rather than
passed on cut short: a service that keeps the bytes as they are (a consent scan) would otherwise
store a truncated file. The limit is the app's ``MAX_UPLOAD_BYTES``, or a kind of file's own
smaller maximum (a power of attorney, a consent scan, a return card); the console and the API
read the same way.
"""
from __future__ import annotations

from flask import request
from werkzeug.datastructures import FileStorage

from court import settings as court_settings
from court.pdfcheck import check_size


def upload_limit(cap: int | None = None) -> int:
    """``MAX_UPLOAD_BYTES`` (the court's settings), or ``cap`` where that is smaller."""
    limit = court_settings.current().max_upload_bytes
    return limit if cap is None else min(limit, cap)


def read_bounded(upload: FileStorage, cap: int | None = None) -> bytes:
    """The upload's bytes; :class:`court.errors.InvalidDocument` (413) past :func:`upload_limit`."""
    limit = upload_limit(cap)
    data = upload.stream.read(limit + 1)
    check_size(data, limit)
    return data


def read_upload(field: str, cap: int | None = None) -> bytes | None:
    """The file sent as ``field``, read by :func:`read_bounded`; None when the request has none."""
    upload = request.files.get(field)
    return read_bounded(upload, cap) if upload is not None else None
