"""PDF objects as plain Python values, and their serialisation: the vocabulary of our PDF code.

Why its own module: the parser (:mod:`signing.pdfparse`), the reader (:mod:`signing.pdfreader`),
the incremental writer (:mod:`signing.pdfwriter`) and the engine all speak these types; keeping
them apart from any reading or writing lets each of those import only what it uses.

Objects are plain Python values: ``None``, ``bool``, ``int``, ``float``, :class:`Name`,
:class:`String`, ``list``, ``dict`` (a :data:`PdfDict`), :class:`Ref` and :class:`Stream`.
"""
from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from typing import Any


class PdfError(Exception):
    """The file is not a PDF this reader can follow (a general library may still repair it)."""


class PdfLimitError(PdfError):
    """The file claims more than it could hold (sizes, counts, nesting, inflation): hostile or
    broken beyond repair. Never handed on to another parser; the caller refuses the file."""


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
