"""A small, fast PDF reader, just enough for signing, with the limits that keep it bounded.

Why our own: stamping is a batch job and a general-purpose PDF library spends most of a
signature's time re-reading objects it never changes. This reader only parses the
cross-reference data and the few objects signing touches (catalog, page tree, pages, form
fields); :mod:`signing.pdfwriter` appends the incremental update after the original bytes.

Anything unusual raises :class:`~signing.pdfobjects.PdfError`; callers may then normalise the
file with a general library and try again. A file that claims more than it holds
(cross-reference counts, /Size, object-stream headers, inflated sizes, nesting, /Prev loops)
raises :class:`~signing.pdfobjects.PdfLimitError` *before* the loop or allocation the claim
would drive, so reading costs time and memory in proportion to the file's real size; such a
file is refused, never handed on (tests/signing/test_pdf_reader.py has the corpus).
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from signing.pdfobjects import Name, PdfDict, PdfError, PdfLimitError, Ref, Stream
from signing.pdfparse import MAX_INFLATE, decode_stream, parse_object, pdf_int

#: bounds, checked before any loop or allocation that depends on what the file claims
MAX_OBJECTS = 8_388_607  # PDF 32000-1 Annex C: the largest object number
MAX_PAGE_CONTENT = 32 * 1024 * 1024  # decoded content streams of one page (text pages: a few KB)
MAX_XREF_SECTIONS = 4096  # length of the /Prev chain (one per incremental update)


def max_entries(file_size: int) -> int:
    """How many cross-reference entries a file of ``file_size`` bytes can honestly need: no real
    object takes less than two bytes, and no PDF has more than :data:`MAX_OBJECTS`."""
    return min(MAX_OBJECTS, file_size // 2 + 64)


_OBJ_HEAD = re.compile(rb"\s*(\d+)\s+(\d+)\s+obj\b")
_STREAM_KW = re.compile(rb"\s*stream(?:\r\n|\n|\r)?")


class Reader:
    """Cross-reference data and lazy object access for one PDF file.

    Every count and size the file claims is checked against the file's own size before it
    drives a loop or an allocation (:func:`max_entries`, :data:`MAX_INFLATE`, :data:`MAX_DEPTH`),
    so a hostile file costs time and memory in proportion to its real size.
    """

    def __init__(self, data: bytes):
        if not data.lstrip()[:5] == b"%PDF-" and b"%PDF-" not in data[:1024]:
            raise PdfError("not a PDF")
        self.data = data
        self.xref: dict[int, tuple[int, int, int]] = {}  # num -> (kind, a, b): 1=(offset, gen) 2=(objstm, index)
        self.trailer: PdfDict = {}
        self._objstm: dict[int, tuple[bytes, list[tuple[int, int]]]] = {}
        self._entries_left = max_entries(len(data))
        self._resolving: set[int] = set()
        tail = data[-2048:]
        i = tail.rfind(b"startxref")
        if i < 0:
            raise PdfError("no startxref")
        m = re.match(rb"startxref\s+(\d+)", tail[i:])
        if m is None:
            raise PdfError("bad startxref")
        self.startxref = int(m.group(1))
        self.xref_is_stream = False
        self._read_xref_chain(self.startxref)
        if "Root" not in self.trailer:
            raise PdfError("trailer without /Root")

    # -- cross references
    def _claim(self, start: Any, count: Any) -> tuple[int, int]:
        """Check one subsection (first object number, entry count) against the file's size."""
        start, count = pdf_int(start), pdf_int(count)
        if start < 0 or count < 0 or start + count > MAX_OBJECTS + 1:
            raise PdfLimitError(f"cross-reference claims objects {start}..{start + count}")
        if count > self._entries_left:
            raise PdfLimitError(f"cross-reference claims {count} entries; a file of {len(self.data)} bytes "
                                f"cannot hold more than {max_entries(len(self.data))}")
        self._entries_left -= count
        return start, count

    def _check_size(self, size: int) -> None:
        """/Size sizes the next object number we write; it may not claim more than the file holds."""
        if size < 0 or size > max_entries(len(self.data)):
            raise PdfLimitError(f"/Size {size} is more objects than a file of {len(self.data)} bytes can hold")

    def _read_xref_chain(self, start: int) -> None:
        offset: int | None = start
        seen: set[int] = set()
        first = True
        while offset is not None:
            if offset in seen:
                raise PdfLimitError("the cross-reference chain (/Prev) loops")
            if len(seen) >= MAX_XREF_SECTIONS:
                raise PdfLimitError("too many cross-reference sections")
            seen.add(offset)
            if offset < 0 or offset >= len(self.data):
                raise PdfError("xref offset out of range")
            if self.data.startswith(b"xref", offset) or self.data[offset:offset + 10].lstrip().startswith(b"xref"):
                trailer = self._read_xref_table(offset)
                if isinstance(trailer.get("XRefStm"), int):
                    self._read_xref_stream(trailer["XRefStm"])
            else:
                trailer = self._read_xref_stream(offset)
                if first:
                    self.xref_is_stream = True
            if first:
                self.trailer = trailer
                first = False
            prev = trailer.get("Prev")
            offset = prev if isinstance(prev, int) and not isinstance(prev, bool) else None

    def _read_xref_table(self, offset: int) -> PdfDict:
        data = self.data
        pos = data.index(b"xref", offset) + 4
        sub = re.compile(rb"\s*(\d+)\s+(\d+)[ \t]*\r?\n?")
        entry = re.compile(rb"\s*(\d{10})\s(\d{5})\s([nf])")
        while True:
            m = re.compile(rb"\s*trailer").match(data, pos)
            if m:
                trailer, _ = parse_object(data, m.end())
                if not isinstance(trailer, dict):
                    raise PdfError("bad trailer")
                if "Size" in trailer:
                    self._check_size(pdf_int(trailer["Size"]))
                return trailer
            m = sub.match(data, pos)
            if m is None:
                raise PdfError("bad xref table")
            start, count = self._claim(int(m.group(1)), int(m.group(2)))
            pos = m.end()
            if count * 20 > len(data) - pos + 2:
                raise PdfLimitError(f"xref table claims {count} entries but the file ends first")
            for k in range(count):
                e = entry.match(data, pos)
                if e is None:
                    raise PdfError("truncated xref table")
                num = start + k
                if num not in self.xref:
                    if e.group(3) == b"n":
                        self.xref[num] = (1, int(e.group(1)), int(e.group(2)))
                    else:
                        self.xref[num] = (0, 0, 0)
                pos = e.end()

    def _read_xref_stream(self, offset: int) -> PdfDict:
        obj = self._parse_indirect_at(offset)[1]
        if not isinstance(obj, Stream) or obj.dict.get("Type") != "XRef":
            raise PdfError("startxref does not point at a cross-reference")
        w = obj.dict.get("W")
        if not isinstance(w, list) or len(w) != 3 or any(pdf_int(x) < 0 or x > 8 for x in w):
            raise PdfError("bad /W in cross-reference stream")
        size = pdf_int(obj.dict.get("Size"))
        index = obj.dict.get("Index", [0, size])
        if not isinstance(index, list) or len(index) % 2:
            raise PdfError("bad /Index in cross-reference stream")
        sections = [self._claim(index[j], index[j + 1]) for j in range(0, len(index), 2)]
        self._check_size(size)
        rec = sum(w)
        total = sum(count for _, count in sections)
        data = decode_stream(obj, limit=min(MAX_INFLATE, total * (rec + 1) + 1024))
        if total * rec > len(data):
            raise PdfError("truncated xref stream")
        pos = 0
        for start, count in sections:
            for k in range(count):
                fields: list[int] = []
                for width in w:  # a field of width 0 takes its default, 0 (the type's default is 1)
                    fields.append(int.from_bytes(data[pos:pos + width], "big") if width else 0)
                    pos += width
                ftype = fields[0] if w[0] else 1
                num = start + k
                if num in self.xref:
                    continue
                if ftype == 1:
                    self.xref[num] = (1, fields[1], fields[2])
                elif ftype == 2:
                    self.xref[num] = (2, fields[1], fields[2])
                else:
                    self.xref[num] = (0, 0, 0)
        return obj.dict

    # -- objects
    def _parse_indirect_at(self, offset: int) -> tuple[Ref, Any]:
        m = _OBJ_HEAD.match(self.data, offset)
        if m is None:
            raise PdfError(f"no object at offset {offset}")
        ref = Ref(int(m.group(1)), int(m.group(2)))
        obj, end = parse_object(self.data, m.end())
        if isinstance(obj, dict):
            s = _STREAM_KW.match(self.data, end)
            if s is not None:
                length = obj.get("Length")
                if isinstance(length, Ref):
                    length = self.get(length)
                start = s.end()
                if (not isinstance(length, int) or length < 0
                        or self.data[start + length:start + length + 30].find(b"endstream") < 0):
                    stop = self.data.find(b"endstream", start)
                    if stop < 0:
                        raise PdfError("stream without endstream")
                    length = stop - start
                    while length > 0 and self.data[start + length - 1] in b"\r\n":
                        length -= 1
                obj = Stream(obj, self.data[start:start + length])
        return ref, obj

    def get(self, ref: Any) -> Any:
        """Resolve ``ref`` (other values are returned unchanged)."""
        if not isinstance(ref, Ref):
            return ref
        entry = self.xref.get(ref.num)
        if entry is None or entry[0] == 0:
            return None
        if ref.num in self._resolving:  # e.g. a stream whose /Length is itself
            raise PdfLimitError(f"object {ref.num} refers to itself while being read")
        self._resolving.add(ref.num)
        try:
            if entry[0] == 1:
                got, obj = self._parse_indirect_at(entry[1])
                if got.num != ref.num:
                    raise PdfError(f"xref for object {ref.num} points at object {got.num}")
                return obj
            return self._from_objstm(entry[1], entry[2])
        finally:
            self._resolving.discard(ref.num)

    def _from_objstm(self, stm_num: int, index: int) -> Any:
        cached = self._objstm.get(stm_num)
        if cached is None:
            if self.xref.get(stm_num, (0,))[0] != 1:
                raise PdfError("object stream is not a plain object")
            stm = self.get(Ref(stm_num))
            if not isinstance(stm, Stream):
                raise PdfError("object stream missing")
            n, first = pdf_int(stm.dict.get("N")), pdf_int(stm.dict.get("First"))
            # each object needs at least two header numbers ("1 0 ") and one byte of body
            if n < 0 or first < 0 or n > MAX_OBJECTS or first > MAX_INFLATE or n * 4 > first + 8:
                raise PdfLimitError(f"object stream claims {n} objects with a header of {first} bytes")
            data = decode_stream(stm)
            if first > len(data):
                raise PdfLimitError("object stream header is longer than its data")
            nums = [int(x) for x in data[:first].split()[:2 * n]]
            pairs = [(nums[i], nums[i + 1]) for i in range(0, len(nums) - 1, 2)]
            cached = (data[first:], pairs)
            self._objstm[stm_num] = cached
        body, pairs = cached
        if index >= len(pairs):
            raise PdfError("object stream index out of range")
        return parse_object(body, pairs[index][1])[0]


    # -- document structure
    @property
    def size(self) -> int:
        return max(int(self.trailer.get("Size", 0)), max(self.xref, default=0) + 1)

    @property
    def root_ref(self) -> Ref:
        root = self.trailer["Root"]
        if not isinstance(root, Ref):
            raise PdfError("catalog is not an indirect object")
        return root

    def catalog(self) -> PdfDict:
        cat = self.get(self.root_ref)
        if not isinstance(cat, dict):
            raise PdfError("catalog missing")
        return cat

    def pages(self) -> list[tuple[Ref, PdfDict, PdfDict]]:
        """Every page in order: (reference, page dictionary, inherited attributes)."""
        out: list[tuple[Ref, PdfDict, PdfDict]] = []
        root = self.catalog().get("Pages")
        seen: set[Ref] = set()

        def walk(ref: Any, inherited: PdfDict, depth: int) -> None:
            if depth > 64 or not isinstance(ref, Ref) or ref in seen:
                raise PdfError("page tree is malformed")
            seen.add(ref)
            node = self.get(ref)
            if not isinstance(node, dict):
                raise PdfError("page tree node missing")
            inh = dict(inherited)
            for key in ("Resources", "MediaBox", "CropBox", "Rotate"):
                if key in node:
                    inh[Name(key)] = node[key]
            kids = node.get("Kids")
            if node.get("Type") == "Pages" or (kids is not None and node.get("Type") != "Page"):
                kids = self.get(kids)
                if not isinstance(kids, list):
                    raise PdfError("page tree node without kids")
                for kid in kids:
                    walk(kid, inh, depth + 1)
            else:
                out.append((ref, node, inh))

        walk(root, {}, 0)
        return out

    def check_page_contents(self, index: int, limit: int = MAX_PAGE_CONTENT) -> int:
        """Decoded size of page ``index``'s content streams, refused past ``limit`` before a
        renderer inflates them (a 510 KB page can inflate to 500 MB of operators)."""
        return self.content_size(self.pages()[index][1], limit)

    def content_size(self, page: PdfDict, limit: int = MAX_PAGE_CONTENT) -> int:
        """Decoded size of one page dictionary's content streams (PdfLimitError past ``limit``)."""
        contents = self.get(page.get("Contents"))
        total = 0
        for item in contents if isinstance(contents, list) else [contents]:
            stream = self.get(item)
            if isinstance(stream, Stream):
                total += len(decode_stream(stream, limit=limit - total))
        return total

    def iter_fields(self) -> Iterator[tuple[Ref | None, PdfDict]]:
        """Every terminal form field (fields and their kids), with its reference."""
        acro = self.get(self.catalog().get("AcroForm"))
        if not isinstance(acro, dict):
            return
        fields = self.get(acro.get("Fields"))
        stack = [(f, 0) for f in (fields if isinstance(fields, list) else [])]
        seen: set[Ref] = set()  # a field listed twice (or a Kids cycle) is visited once
        while stack:
            ref, depth = stack.pop(0)
            if isinstance(ref, Ref):
                if ref in seen:
                    continue
                seen.add(ref)
            node = self.get(ref)
            if not isinstance(node, dict) or depth > 32:
                continue
            kids = self.get(node.get("Kids"))
            if isinstance(kids, list) and kids and any(isinstance(self.get(k), dict) and "T" in self.get(k) for k in kids):
                stack.extend((k, depth + 1) for k in kids)
            else:
                yield (ref if isinstance(ref, Ref) else None), node
