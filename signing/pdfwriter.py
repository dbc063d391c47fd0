"""The incremental-update writer: new and replaced objects appended after the original bytes.

Why its own module: an *incremental update* (PDF 32000-1 §7.5.6) keeps every earlier byte —
and so every earlier signature — intact; this is the one place that writes one, for the seal,
approval signatures and the refusal record page alike.
"""
from __future__ import annotations

from typing import Any

from signing.pdfobjects import Name, PdfDict, Raw, Ref, Stream, String, serialize
from signing.pdfreader import Reader


class IncrementalWriter:
    """Collects new and replaced objects and appends them as one incremental update."""

    def __init__(self, reader: Reader):
        self.reader = reader
        self.next_num = reader.size
        self.objects: dict[int, bytes] = {}

    def alloc(self) -> Ref:
        ref = Ref(self.next_num)
        self.next_num += 1
        return ref

    def put(self, ref: Ref, obj: Any) -> Ref:
        """Write ``obj`` (a value or pre-serialised :class:`Raw`) as object ``ref``."""
        self.objects[ref.num] = obj.data if isinstance(obj, Raw) else serialize(obj)
        return ref

    def add(self, obj: Any) -> Ref:
        return self.put(self.alloc(), obj)

    def put_raw(self, ref: Ref, body: bytes) -> Ref:
        self.objects[ref.num] = body
        return ref

    def write(self, *, new_id: bytes) -> tuple[bytearray, dict[int, int]]:
        """The whole new file: original bytes + update. Returns it and each object's offset."""
        r = self.reader
        out = bytearray(r.data)
        if not out.endswith(b"\n"):
            out += b"\n"
        offsets: dict[int, int] = {}
        for num in sorted(self.objects):
            offsets[num] = len(out)
            out += b"%d 0 obj\n" % num
            out += self.objects[num]
            out += b"\nendobj\n"
        size = self.next_num
        old_id = r.trailer.get("ID")
        first_id = old_id[0] if isinstance(old_id, list) and old_id and isinstance(old_id[0], bytes) else new_id
        trailer: PdfDict = {Name("Size"): size, Name("Root"): r.root_ref}
        if isinstance(r.trailer.get("Info"), Ref):
            trailer[Name("Info")] = r.trailer["Info"]
        trailer[Name("ID")] = [String(first_id), String(new_id)]
        trailer[Name("Prev")] = r.startxref
        xref_at = len(out)
        groups = _groups(sorted(offsets))
        if r.xref_is_stream:
            num = size
            offsets[num] = xref_at
            trailer[Name("Size")] = size + 1
            groups = _groups(sorted(offsets))
            rows = b"".join(b"\x01" + offsets[n].to_bytes(4 if xref_at < 2**32 else 8, "big") + b"\x00"
                            for g0, g1 in groups for n in range(g0, g1))
            width = 4 if xref_at < 2**32 else 8
            d = dict(trailer)
            d.update({Name("Type"): Name("XRef"), Name("W"): [1, width, 1],
                      Name("Index"): [v for g0, g1 in groups for v in (g0, g1 - g0)]})
            out += b"%d 0 obj\n" % num + serialize(Stream(d, rows)) + b"\nendobj\n"
        else:
            out += b"xref\n"
            for g0, g1 in groups:
                out += b"%d %d\n" % (g0, g1 - g0)
                for n in range(g0, g1):
                    out += b"%010d 00000 n\r\n" % offsets[n]
            out += b"trailer\n" + serialize(trailer) + b"\n"
        out += b"startxref\n%d\n%%%%EOF\n" % xref_at
        return out, offsets


def _groups(nums: list[int]) -> list[tuple[int, int]]:
    groups: list[tuple[int, int]] = []
    for n in nums:
        if groups and groups[-1][1] == n:
            groups[-1] = (groups[-1][0], n + 1)
        else:
            groups.append((n, n + 1))
    return groups
