"""The ``Content-Disposition`` of a file staff download: the real (Chinese) name as RFC 5987
``filename*`` and an ASCII ``filename`` for clients that read only that (RFC 6266)."""
from __future__ import annotations

from urllib.parse import quote

from court.services.documents import DownloadName


def header(name: DownloadName, *, inline: bool = False) -> str:
    fallback = name.ascii.replace("\\", "_").replace('"', "_")
    return f"{'inline' if inline else 'attachment'}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name.name, safe='')}"
