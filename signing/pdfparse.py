"""The tokenizer/parser that turns PDF bytes into objects, and the stream decoder, both bounded.

Why its own module: this is the code that touches untrusted bytes first. Nesting deeper than
:data:`MAX_DEPTH` and streams that inflate beyond their limit raise
:class:`~signing.pdfobjects.PdfLimitError` *before* the recursion or allocation the claim would
drive (tests/signing/test_pdf_reader.py has the corpus).
"""
from __future__ import annotations

import re
import zlib
from typing import Any

from signing.pdfobjects import Name, PdfDict, PdfError, PdfLimitError, Ref, Stream, String

#: bounds on what parsing and decoding may spend, checked before the work they bound
MAX_DEPTH = 100  # nesting of arrays and dictionaries (real files: under 10)
MAX_INFLATE = 64 * 1024 * 1024  # decoded size of a cross-reference or object stream


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
        if isinstance(p, dict) and pdf_int(p.get("Predictor", 1)) >= 10:
            columns = pdf_int(p.get("Columns", 1))
            if not 1 <= columns <= 64:
                raise PdfLimitError("implausible predictor columns")
            data = _png_unpredict(data, columns)
    return data


def pdf_int(value: Any) -> int:
    """``value`` as an integer, or :class:`PdfError`: a count or size the file claims must be one."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise PdfError(f"expected an integer, found {type(value).__name__}")
    return value
