"""QR codes for the verify link, fast enough to put one on every stamped document.

Every verify link of a deployment has the same length (``PUBLIC_BASE_URL/verify/`` + a
16-character code). For a fixed QR version, error-correction level, mask and byte-mode
length, the module matrix is an *affine* function over GF(2) of the data bits: the data
codewords are the bits themselves, Reed–Solomon parity is linear, and the mask and function
patterns are constants. So we let the ``qrcode`` library encode the base link once plus one
link per flipped bit of the variable part, keep the differences as bit masks, and from then
on build any link's matrix with a handful of XORs. Tests compare it with ``qrcode`` directly.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass

import qrcode
import qrcode.util

_EC = qrcode.constants.ERROR_CORRECT_M
_MASK = 4


def _matrix_int(data: bytes, version: int) -> int:
    q = qrcode.QRCode(version=version, error_correction=_EC, box_size=1, border=0, mask_pattern=_MASK)
    q.add_data(qrcode.util.QRData(data, mode=qrcode.util.MODE_8BIT_BYTE))
    q.make(fit=False)
    bits = "".join("1" if m else "0" for row in q.modules for m in row)
    return int(bits, 2)


def reference_matrix(data: bytes, version: int) -> list[list[bool]]:
    """The matrix straight from ``qrcode`` (for tests)."""
    q = qrcode.QRCode(version=version, error_correction=_EC, box_size=1, border=0, mask_pattern=_MASK)
    q.add_data(qrcode.util.QRData(data, mode=qrcode.util.MODE_8BIT_BYTE))
    q.make(fit=False)
    return [[bool(m) for m in row] for row in q.modules]


@dataclass
class QrEncoder:
    """Encode ``prefix + suffix`` for any suffix of a fixed length."""

    prefix: bytes
    suffix_len: int
    version: int
    size: int
    base: int
    tables: list[list[int]]  # per suffix byte position: value -> XOR mask

    @classmethod
    def build(cls, prefix: bytes, suffix_len: int) -> QrEncoder:
        zero = b"\x00" * suffix_len
        probe = qrcode.QRCode(error_correction=_EC, box_size=1, border=0)
        probe.add_data(qrcode.util.QRData(prefix + zero, mode=qrcode.util.MODE_8BIT_BYTE))
        probe.make(fit=True)
        version = probe.version
        base = _matrix_int(prefix + zero, version)
        tables: list[list[int]] = []
        for pos in range(suffix_len):
            bit_masks = []
            for bit in range(8):
                data = bytearray(zero)
                data[pos] = 1 << bit
                bit_masks.append(_matrix_int(prefix + bytes(data), version) ^ base)
            table = [0] * 256
            for value in range(1, 256):
                low = value & -value
                table[value] = table[value ^ low] ^ bit_masks[low.bit_length() - 1]
            tables.append(table)
        return cls(prefix, suffix_len, version, 17 + 4 * version, base, tables)

    def matrix_int(self, suffix: bytes) -> int:
        if len(suffix) != self.suffix_len:
            raise ValueError("suffix has the wrong length")
        m = self.base
        for table, value in zip(self.tables, suffix, strict=True):
            m ^= table[value]
        return m

    def matrix(self, suffix: bytes) -> list[list[bool]]:
        bits = format(self.matrix_int(suffix), f"0{self.size * self.size}b")
        n = self.size
        return [[c == "1" for c in bits[r * n:(r + 1) * n]] for r in range(n)]

    def pdf_path(self, suffix: bytes) -> bytes:
        """Content-stream operators filling the dark modules (1 unit per module, origin
        bottom-left, y up), one rectangle per horizontal run."""
        n = self.size
        bits = format(self.matrix_int(suffix), f"0{n * n}b")
        parts = []
        for r in range(n):
            y = n - 1 - r
            for m in _RUNS.finditer(bits, r * n, (r + 1) * n):
                parts.append(b"%d %d %d 1 re" % (m.start() - r * n, y, m.end() - m.start()))
        return b"\n".join(parts) + b"\nf"


_RUNS = re.compile("1+")
_encoders: dict[tuple[bytes, int], QrEncoder] = {}
_lock = threading.Lock()


def encoder(prefix: bytes, suffix_len: int) -> QrEncoder:
    key = (prefix, suffix_len)
    with _lock:
        enc = _encoders.get(key)
        if enc is None:
            enc = QrEncoder.build(prefix, suffix_len)
            _encoders[key] = enc
        return enc


def svg(text: str) -> str:
    """``text`` as an inline SVG QR code for web pages (prints crisply, no external service)."""
    import io

    import qrcode.image.svg

    img = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buf = io.BytesIO()
    img.save(buf)
    return buf.getvalue().decode().split("?>", 1)[-1]
