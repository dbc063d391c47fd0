"""A small, fast PDF reader and incremental-update writer, just enough for signing.

Why our own: stamping is a batch job and a general-purpose PDF library spends most of a
signature's time re-reading and re-serialising objects it never changes. Here the reader
only parses the cross-reference data and the few objects signing touches (catalog, page
tree, pages, form fields); the writer appends an *incremental update* (PDF 32000-1 §7.5.6)
after the original bytes, so every earlier byte — and every earlier signature — is kept.

Objects are plain Python values: ``None``, ``bool``, ``int``, ``float``, :class:`Name`,
:class:`String` (bytes), ``list``, ``dict`` (keys are :class:`Name`), :class:`Ref` and
:class:`Stream`. Anything the reader cannot follow raises :class:`PdfError`; callers may
then normalise the file with a general library and try again. A file that claims more than it
holds (cross-reference counts, /Size, object-stream headers, inflated sizes, nesting, /Prev
loops) raises :class:`PdfLimitError` *before* the loop or allocation the claim would drive, so
reading costs time and memory in proportion to the file's real size; such a file is refused,
never handed on (tests/signing/test_pdf_reader.py has the corpus).
"""
from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


class PdfError(Exception):
    """The file is not a PDF this reader can follow (a general library may still repair it)."""


class PdfLimitError(PdfError):
    """The file claims more than it could hold (sizes, counts, nesting, inflation): hostile or
    broken beyond repair. Never handed on to another parser; the caller refuses the file."""


#: bounds, checked before any loop or allocation that depends on what the file claims
MAX_DEPTH = 100  # nesting of arrays and dictionaries (real files: under 10)
MAX_OBJECTS = 8_388_607  # PDF 32000-1 Annex C: the largest object number
MAX_INFLATE = 64 * 1024 * 1024  # decoded size of a cross-reference or object stream
MAX_PAGE_CONTENT = 32 * 1024 * 1024  # decoded content streams of one page (text pages: a few KB)
MAX_XREF_SECTIONS = 4096  # length of the /Prev chain (one per incremental update)


def max_entries(file_size: int) -> int:
    """How many cross-reference entries a file of ``file_size`` bytes can honestly need: no real
    object takes less than two bytes, and no PDF has more than :data:`MAX_OBJECTS`."""
    return min(MAX_OBJECTS, file_size // 2 + 64)


class Name(str):
    __slots__ = ()


# A PDF dictionary: its keys are :class:`Name` (a ``str``), looked up with plain strings.
PdfDict = dict[str, Any]


class String(bytes):
    """A PDF string (literal or hex); the value is the decoded bytes."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Ref:
    num: int
    gen: int = 0

    def __bytes__(self) -> bytes:
        return b"%d %d R" % (self.num, self.gen)


@dataclass(slots=True)
class Stream:
    dict: PdfDict
    raw: bytes  # the stream data as stored (still encoded)


# ----------------------------------------------------------------------------- parsing

_WS = b" \t\r\n\f\x00"
_DELIM = b"()<>[]{}/%"
_TOKEN = re.compile(
    rb"[ \t\r\n\f\x00]*(?:%[^\r\n]*[\r\n][ \t\r\n\f\x00]*)*"
    rb"(?:(?P<num>[+-]?(?:\d+\.?\d*|\.\d+))|(?P<name>/[^ \t\r\n\f\x00()<>\[\]{}/%]*)|(?P<dopen><<)|(?P<dclose>>>)"
    rb"|(?P<aopen>\[)|(?P<aclose>\])|(?P<lit>\()|(?P<hex><)|(?P<kw>[A-Za-z_][^ \t\r\n\f\x00()<>\[\]{}/%]*))"
)
_REF_TAIL = re.compile(rb"[ \t\r\n\f\x00]+(\d+)[ \t\r\n\f\x00]+R(?=[ \t\r\n\f\x00()<>\[\]{}/%]|$)")
_NAME_ESC = re.compile(rb"#([0-9A-Fa-f]{2})")
_LIT_SPECIAL = re.compile(rb"[()\\]")
_ESCAPES = {ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t", ord("b"): b"\b", ord("f"): b"\f",
            ord("("): b"(", ord(")"): b")", ord("\\"): b"\\"}


def _parse_literal(data: bytes, pos: int) -> tuple[bytes, int]:
    """``pos`` is just after the opening parenthesis."""
    out = bytearray()
    depth = 1
    n = len(data)
    while pos < n:
        m = _LIT_SPECIAL.search(data, pos)
        if m is None:
            break
        out += data[pos:m.start()]
        ch = data[m.start()]
        pos = m.end()
        if ch == 0x5C:  # backslash
            if pos >= n:
                break
            c = data[pos]
            if c in _ESCAPES:
                out += _ESCAPES[c]
                pos += 1
            elif 0x30 <= c <= 0x37:
                j = pos
                while j < n and j < pos + 3 and 0x30 <= data[j] <= 0x37:
                    j += 1
                out.append(int(data[pos:j], 8) & 0xFF)
                pos = j
            elif c == 0x0D:
                pos += 2 if data[pos + 1:pos + 2] == b"\n" else 1
            elif c == 0x0A:
                pos += 1
            else:
                out.append(c)
                pos += 1
        elif ch == 0x28:
            depth += 1
            out.append(ch)
        else:
            depth -= 1
            if depth == 0:
                return bytes(out), pos
            out.append(ch)
    raise PdfError("unterminated string")


def parse_object(data: bytes, pos: int, depth: int = 0) -> tuple[Any, int]:
    """Parse one object starting at ``pos``; return it and the position after it."""
    if depth >= MAX_DEPTH:
        raise PdfLimitError(f"objects nested more than {MAX_DEPTH} deep")
    m = _TOKEN.match(data, pos)
    if m is None:
        raise PdfError(f"unexpected data at {pos}")
    kind = m.lastgroup
    end = m.end()
    if kind == "num":
        tok = m.group("num")
        if b"." in tok:
            return float(tok), end
        value = int(tok)
        r = _REF_TAIL.match(data, end)
        if r is not None and value >= 0:
            return Ref(value, int(r.group(1))), r.end()
        return value, end
    if kind == "name":
        raw = m.group("name")[1:]
        if b"#" in raw:
            raw = _NAME_ESC.sub(lambda mm: bytes([int(mm.group(1), 16)]), raw)
        return Name(raw.decode("latin-1")), end
    if kind == "dopen":
        result: PdfDict = {}
        while True:
            m2 = _TOKEN.match(data, end)
            if m2 is None:
                raise PdfError(f"bad dictionary at {end}")
            if m2.lastgroup == "dclose":
                end = m2.end()
                break
            key, end = parse_object(data, end, depth + 1)
            if not isinstance(key, Name):
                raise PdfError(f"dictionary key is not a name at {end}")
            value, end = parse_object(data, end, depth + 1)
            result[key] = value
        return result, end
    if kind == "aopen":
        items: list[Any] = []
        while True:
            m2 = _TOKEN.match(data, end)
            if m2 is None:
                raise PdfError(f"bad array at {end}")
            if m2.lastgroup == "aclose":
                return items, m2.end()
            value, end = parse_object(data, end, depth + 1)
            items.append(value)
    if kind == "lit":
        literal, end = _parse_literal(data, end)
        return String(literal), end
    if kind == "hex":
        close = data.find(b">", end)
        if close < 0:
            raise PdfError("unterminated hex string")
        digits = re.sub(rb"[^0-9A-Fa-f]", b"", data[end:close])
        if len(digits) % 2:
            digits += b"0"
        return String(bytes.fromhex(digits.decode())), close + 1
    if kind == "kw":
        word = m.group("kw")
        if word == b"true":
            return True, end
        if word == b"false":
            return False, end
        if word == b"null":
            return None, end
        raise PdfError(f"unexpected keyword {word[:20]!r} at {pos}")
    raise PdfError(f"unexpected token at {pos}")


# ----------------------------------------------------------------------------- serialising

_NAME_BAD = re.compile(rb"[^!-~]|[#()<>\[\]{}/%]")


_NAME_CACHE: dict[str, bytes] = {}


def _name_bytes(name: str) -> bytes:
    cached = _NAME_CACHE.get(name)
    if cached is not None:
        return cached
    try:
        raw = name.encode("latin-1")
    except UnicodeEncodeError:
        raw = name.encode("utf-8")
    out = b"/" + _NAME_BAD.sub(lambda m: b"#%02X" % m.group(0)[0], raw)
    if len(_NAME_CACHE) < 4096:
        _NAME_CACHE[name] = out
    return out


def fmt_num(value: float) -> bytes:
    if value == int(value):
        return b"%d" % int(value)
    return (b"%.4f" % value).rstrip(b"0").rstrip(b".")


def serialize(obj: Any) -> bytes:
    if obj is None:
        return b"null"
    if obj is True:
        return b"true"
    if obj is False:
        return b"false"
    if isinstance(obj, Name):
        return _name_bytes(obj)
    if isinstance(obj, Ref):
        return b"%d %d R" % (obj.num, obj.gen)
    if isinstance(obj, int):
        return b"%d" % obj
    if isinstance(obj, float):
        return fmt_num(obj)
    if isinstance(obj, String | bytes):
        return b"<" + bytes(obj).hex().encode() + b">"
    if isinstance(obj, Raw):
        return obj.data
    if isinstance(obj, str):
        return text_string(obj)
    if isinstance(obj, dict):
        return b"<<" + b"".join(_name_bytes(k) + b" " + serialize(v) for k, v in obj.items()) + b">>"
    if isinstance(obj, list | tuple):
        return b"[" + b" ".join(serialize(v) for v in obj) + b"]"
    if isinstance(obj, Stream):
        d = dict(obj.dict)
        d[Name("Length")] = len(obj.raw)
        return serialize(d) + b"\nstream\n" + obj.raw + b"\nendstream"
    raise TypeError(f"cannot serialise {type(obj).__name__}")


@dataclass(frozen=True, slots=True)
class Raw:
    """Bytes written verbatim (pre-serialised objects, placeholders)."""

    data: bytes


def text_string(text: str) -> bytes:
    """A PDF text string: PDFDocEncoding-safe ASCII as a literal, anything else UTF-16BE."""
    if text.isascii() and text.isprintable():
        return b"(" + text.encode().replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"
    return b"<feff" + text.encode("utf-16-be").hex().encode() + b">"


def decode_text(value: Any) -> str:
    if not isinstance(value, bytes | String):
        return str(value) if value is not None else ""
    data = bytes(value)
    if data.startswith(b"\xfe\xff"):
        return data[2:].decode("utf-16-be", "replace")
    return data.decode("latin-1")


def stream_object(d: PdfDict, data: bytes, *, compress: bool = True) -> Stream:
    d = dict(d)
    if compress and len(data) > 64:
        data = zlib.compress(data, 6)
        d[Name("Filter")] = Name("FlateDecode")
    return Stream(d, data)


# ----------------------------------------------------------------------------- reading

_OBJ_HEAD = re.compile(rb"\s*(\d+)\s+(\d+)\s+obj\b")
_STREAM_KW = re.compile(rb"\s*stream(?:\r\n|\n|\r)?")


def _png_unpredict(data: bytes, columns: int) -> bytes:
    row_len = columns + 1
    out = bytearray()
    prev = bytearray(columns)
    for i in range(0, len(data), row_len):
        ftype = data[i]
        row = bytearray(data[i + 1:i + row_len])
        if ftype == 2:
            for j in range(len(row)):
                row[j] = (row[j] + prev[j]) & 0xFF
        elif ftype == 1:
            for j in range(1, len(row)):
                row[j] = (row[j] + row[j - 1]) & 0xFF
        elif ftype != 0:
            raise PdfError("unsupported PNG predictor in xref stream")
        out += row
        prev = row
    return bytes(out)


def _inflate(data: bytes, limit: int) -> bytes:
    """Flate-decode at most ``limit`` bytes; a stream that would inflate further is refused
    before the memory is spent (a few hundred KB can inflate to gigabytes)."""
    try:  # a decompressor object (not zlib.decompress) tolerates a truncated tail, as viewers do
        out = zlib.decompressobj().decompress(data, limit + 1)
    except zlib.error as exc:
        raise PdfError(f"corrupt compressed stream: {exc}") from None
    if len(out) > limit:
        raise PdfLimitError(f"a compressed stream inflates beyond {limit} bytes")
    return out


def decode_stream(stream: Stream, limit: int = MAX_INFLATE) -> bytes:
    """The decoded data of a cross-reference or object stream (never more than ``limit`` bytes)."""
    filters = stream.dict.get("Filter")
    params = stream.dict.get("DecodeParms")
    if filters is None:
        return stream.raw
    if isinstance(filters, Name):
        filters, params = [filters], [params]
    if not isinstance(filters, list) or len(filters) > 4:
        raise PdfError("unsupported filter chain")
    data = stream.raw
    for i, f in enumerate(filters):
        if f != "FlateDecode":
            raise PdfError(f"unsupported stream filter {f}")
        data = _inflate(data, limit)
        p = params[i] if isinstance(params, list) and i < len(params) else None
        if isinstance(p, dict) and _int(p.get("Predictor", 1)) >= 10:
            columns = _int(p.get("Columns", 1))
            if not 1 <= columns <= 64:
                raise PdfLimitError("implausible predictor columns")
            data = _png_unpredict(data, columns)
    return data


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise PdfError(f"expected an integer, found {type(value).__name__}")
    return value


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
        start, count = _int(start), _int(count)
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
                    self._check_size(_int(trailer["Size"]))
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
        if not isinstance(w, list) or len(w) != 3 or any(_int(x) < 0 or x > 8 for x in w):
            raise PdfError("bad /W in cross-reference stream")
        size = _int(obj.dict.get("Size"))
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
            n, first = _int(stm.dict.get("N")), _int(stm.dict.get("First"))
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


# ----------------------------------------------------------------------------- writing

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
