"""Malformed and hostile PDFs, generated (nothing binary is checked in).

Each builder returns the bytes of one file an attacker could upload to ``POST /verify`` or a
clerk could be handed to upload: truncated files, bad cross-reference offsets, cross-reference
streams and tables claiming hundreds of millions of entries, ``/Prev`` loops, deep nesting,
object-stream and decompression bombs. The tests of the PDF reader, the upload check, the seal
job and ``bench/verify.py`` all draw from :data:`HOSTILE`.
"""
from __future__ import annotations

import zlib
from collections.abc import Callable


def assemble(objects: list[bytes], *, trailer: bytes | None = None, xref_stream: bytes | None = None,
              header: bytes = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n") -> bytes:
    """A file of numbered objects (1..n) with a classic xref table, or a given xref stream object."""
    assert header.startswith(b"%PDF-1."), "every corpus file is a PDF by its header; the bombs are inside"
    out = bytearray(header)
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref_at = len(out)
    if xref_stream is not None:
        out += xref_stream
    else:
        out += b"xref\n0 %d\n0000000000 65535 f\r\n" % (len(objects) + 1)
        out += b"".join(b"%010d 00000 n\r\n" % o for o in offsets)
        out += b"trailer\n" + (trailer or b"<</Size %d/Root 1 0 R>>" % (len(objects) + 1)) + b"\n"
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


CATALOG = b"<</Type/Catalog/Pages 2 0 R>>"
PAGES = b"<</Type/Pages/Kids[3 0 R]/Count 1>>"
PAGE = b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R>>"


def _content(data: bytes, *, compress: bool = True) -> bytes:
    if compress:
        data = zlib.compress(data, 9)
        return b"<</Length %d/Filter/FlateDecode>>\nstream\n" % len(data) + data + b"\nendstream"
    return b"<</Length %d>>\nstream\n" % len(data) + data + b"\nendstream"


def minimal() -> bytes:
    """A valid one-page PDF (the baseline every hostile file is a variation of)."""
    return assemble([CATALOG, PAGES, PAGE, _content(b"BT /F1 12 Tf 72 720 Td (ok) Tj ET", compress=False)])


def xref_index_bomb(count: int = 200_000_000) -> bytes:
    """About 800 bytes whose cross-reference stream claims ``count`` entries (``/Index [0 count]``)."""
    body = bytearray(b"%PDF-1.7\n")
    offs = []
    for i, obj in enumerate([CATALOG, PAGES, PAGE, _content(b"q Q", compress=False)], 1):
        offs.append(len(body))
        body += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref_at = len(body)
    rows = b"\x00\x00\x00\xff" + b"".join(b"\x01" + o.to_bytes(2, "big") + b"\x00" for o in offs)
    rows += b"\x01" + xref_at.to_bytes(2, "big") + b"\x00"
    data = zlib.compress(rows)
    body += (b"5 0 obj\n<</Type/XRef/Size %d/Index[0 %d]/W[1 2 1]/Root 1 0 R/Filter/FlateDecode/Length %d>>\n"
             b"stream\n" % (count, count, len(data)) + data + b"\nendstream\nendobj\n")
    body += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(body)


def xref_size_bomb(count: int = 200_000_000) -> bytes:
    """A cross-reference stream without /Index whose /Size claims ``count`` objects."""
    return xref_index_bomb(count).replace(b"/Index[0 %d]" % count, b"")


def xref_table_bomb(count: int = 200_000_000) -> bytes:
    """A classic cross-reference table whose subsection header claims ``count`` entries."""
    good = minimal()
    at = good.rindex(b"xref\n0 5")
    return good[:at] + good[at:].replace(b"xref\n0 5", b"xref\n0 %d" % count, 1)


def truncated() -> bytes:
    """The first half of a valid file (no trailer, no startxref)."""
    good = minimal()
    return good[: len(good) // 2]


def bad_startxref() -> bytes:
    """``startxref`` points past the end of the file."""
    good = minimal()
    at = good.rindex(b"startxref\n")
    return good[:at] + b"startxref\n99999999\n%%EOF\n"


def bad_xref_offsets() -> bytes:
    """Every xref entry points into the middle of nowhere."""
    good = minimal()
    at = good.rindex(b"\nxref\n") + 1
    head, tail = good[:at], good[at:]
    lines = tail.split(b"\r\n")
    lines = [b"%010d 00000 n" % (7 + i * 3) if line.endswith(b" n") else line for i, line in enumerate(lines)]
    return head + b"\r\n".join(lines)


def prev_loop() -> bytes:
    """Two cross-reference sections whose /Prev entries point at each other."""
    good = minimal()
    first = good.rindex(b"\nxref\n") + 1
    second_at = len(good) + len(b"/Prev 0000000000")
    patched = good[:first] + good[first:].replace(b"/Root 1 0 R>>", b"/Root 1 0 R/Prev %010d>>" % second_at, 1)
    extra = (b"xref\n0 1\n0000000000 65535 f\r\ntrailer\n<</Size 5/Root 1 0 R/Prev %d>>\n"
             b"startxref\n%d\n%%%%EOF\n" % (first, second_at))
    return patched + extra


def deep_nesting(depth: int = 200_000) -> bytes:
    """An object of ``depth`` nested arrays (a recursion bomb for recursive-descent parsers)."""
    nested = b"[" * depth + b"]" * depth
    return assemble([CATALOG, PAGES, b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/X " + nested + b">>",
                      _content(b"q Q", compress=False)])


def deep_dictionaries(depth: int = 200_000) -> bytes:
    """The catalog itself nested ``depth`` dictionaries deep."""
    nested = b"<</A " * depth + b"1" + b">>" * depth
    return assemble([b"<</Type/Catalog/Pages 2 0 R/Deep " + nested + b">>", PAGES, PAGE,
                      _content(b"q Q", compress=False)])


def _bomb_stream(size: int, unit: bytes) -> bytes:
    comp = zlib.compressobj(9)
    chunk = unit * (1024 * 1024 // len(unit))
    parts = [comp.compress(chunk) for _ in range(size // len(chunk))]
    parts.append(comp.flush())
    return b"".join(parts)


_BOMBS: dict[tuple[int, bytes], bytes] = {}


def content_bomb(size: int = 500 * 1024 * 1024, unit: bytes = b" ") -> bytes:
    """A page (about 510 KB) whose content stream inflates to ``size`` bytes (blanks by default)."""
    key = (size, unit)
    if key not in _BOMBS:
        _BOMBS[key] = _bomb_stream(size, unit)
    data = _BOMBS[key]
    return assemble([CATALOG, PAGES, PAGE,
                      b"<</Length %d/Filter/FlateDecode>>\nstream\n" % len(data) + data + b"\nendstream"])


def xref_stream_bomb(size: int = 300 * 1024 * 1024) -> bytes:
    """A cross-reference stream whose compressed rows inflate to ``size`` bytes."""
    data = _BOMBS.get((size, b"\x00")) or _bomb_stream(size, b"\x00")
    _BOMBS[(size, b"\x00")] = data
    good = xref_index_bomb(5)
    at = good.index(b"5 0 obj")
    xref_at = at
    return good[:at] + (b"5 0 obj\n<</Type/XRef/Size 6/W[1 2 1]/Root 1 0 R/Filter/FlateDecode/Length %d>>\nstream\n"
                        % len(data) + data + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref_at)


def objstm_bomb(count: int = 100_000_000) -> bytes:
    """An object stream claiming ``count`` objects (/N) and a /First far beyond its data."""
    inner = b"1 0 "
    data = zlib.compress(inner + b"<</Type/Catalog/Pages 2 0 R>>")
    objstm = (b"<</Type/ObjStm/N %d/First %d/Filter/FlateDecode/Length %d>>\nstream\n"
              % (count, count * 10, len(data)) + data + b"\nendstream")
    # object 1 (the catalog) lives in object stream 5
    body = bytearray(b"%PDF-1.7\n")
    offs = {}
    for num, obj in ((2, PAGES), (3, PAGE), (4, _content(b"q Q", compress=False)), (5, objstm)):
        offs[num] = len(body)
        body += b"%d 0 obj\n" % num + obj + b"\nendobj\n"
    xref_at = len(body)
    rows = b"\x00\x00\x00\xff" + b"\x02\x00\x05\x00"
    rows += b"".join(b"\x01" + offs[n].to_bytes(2, "big") + b"\x00" for n in (2, 3, 4, 5))
    rows += b"\x01" + xref_at.to_bytes(2, "big") + b"\x00"
    body += (b"6 0 obj\n<</Type/XRef/Size 7/W[1 2 1]/Root 1 0 R/Length %d>>\nstream\n" % len(rows)
             + rows + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref_at)
    return bytes(body)


def page_tree_loop() -> bytes:
    """A page tree whose only kid is its own parent."""
    return assemble([CATALOG, b"<</Type/Pages/Kids[2 0 R]/Count 1>>", PAGE, _content(b"q Q", compress=False)])


#: name -> builder of every hostile file; each must end in a clear refusal, quickly.
HOSTILE: dict[str, Callable[[], bytes]] = {
    "xref_index_bomb": xref_index_bomb,
    "xref_size_bomb": xref_size_bomb,
    "xref_table_bomb": xref_table_bomb,
    "xref_stream_bomb": xref_stream_bomb,
    "objstm_bomb": objstm_bomb,
    "prev_loop": prev_loop,
    "deep_nesting": deep_nesting,
    "deep_dictionaries": deep_dictionaries,
    "page_tree_loop": page_tree_loop,
    "truncated": truncated,
    "bad_startxref": bad_startxref,
    "bad_xref_offsets": bad_xref_offsets,
}
