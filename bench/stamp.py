"""Stamping throughput: our whole pipeline vs a plain pyHanko ``sign_pdf``, same PDF, same key.

    python bench/stamp.py [--seconds 3] [--key rsa|ec] [--p12 FILE --password PW]

Ours: footer with anti-counterfeit code and QR on every page, visible seal, empty fields, the
certification signature (DocMDP, PAdES B-B). pyHanko: ``signers.sign_pdf`` with default
settings (``PdfSignatureMetadata(field_name=...)``, no appearance text beyond its default),
the signer loaded once — the fairest baseline. Both run in this one process on one core,
one after the other; the rate per core is documents per CPU-second of this process (the
machine may be shared), wall-clock rates are printed too. A sample of outputs of both is
checked with pyHanko's validator and poppler's ``pdfsig``.
"""
from __future__ import annotations

import argparse
import io
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def three_page_pdf() -> bytes:
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica")})
    for n in range(1, 4):
        page = writer.add_blank_page(width=595, height=842)
        stream = DecodedStreamObject()
        stream.set_data(f"BT /F1 14 Tf 72 760 Td (Subpoena - page {n}) Tj ET".encode())
        page[NameObject("/Contents")] = writer._add_object(stream)
        page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def run_for(seconds: float, fn) -> tuple[int, float, float, object]:  # type: ignore[no-untyped-def]
    n, last = 0, None
    cpu0, wall0 = time.process_time(), time.perf_counter()
    while time.perf_counter() - wall0 < seconds or n < 3:
        last = fn(n)
        n += 1
    return n, time.process_time() - cpu0, time.perf_counter() - wall0, last


def check(pdf: bytes, roots, label: str) -> None:  # type: ignore[no-untyped-def]
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    for sig in PdfFileReader(io.BytesIO(pdf)).embedded_signatures:
        st = validate_pdf_signature(sig, ValidationContext(trust_roots=roots))
        assert st.intact and st.valid and st.trusted and st.docmdp_ok is not False, f"{label}: {st.summary()}"
    if shutil.which("pdfsig"):
        with tempfile.NamedTemporaryFile(suffix=".pdf") as fh:
            fh.write(pdf)
            fh.flush()
            out = subprocess.run(["pdfsig", fh.name], capture_output=True, text=True).stdout
        assert "Signature is Valid." in out, f"{label}: pdfsig says\n{out}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=3.0, help="how long to run each side")
    ap.add_argument("--key", choices=("rsa", "ec"), default="rsa")
    ap.add_argument("--p12", default="", help="a PKCS#12 seal (default: a fresh development CA and seal)")
    ap.add_argument("--password", default="")
    ap.add_argument("--sample", type=int, default=5, help="outputs of ours to validate")
    args = ap.parse_args()

    from asn1crypto import x509 as ax509
    from cryptography.hazmat.primitives import serialization
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

    from signing import codes, pki, service
    from signing.settings import SigningSettings

    tmp = tempfile.mkdtemp(prefix="stamp-bench-")
    settings = SigningSettings(instance_path=tmp, public_base_url="https://court.example.cn", seal_key_type=args.key,
                               seal_p12_path=args.p12, seal_p12_password=args.password)
    creds = pki.seal_credentials(settings)
    p12 = args.p12 or str(settings.pki_dir / pki.SEAL_FILE)
    roots = [ax509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in pki.trust_roots(settings)]
    pdf = three_page_pdf()
    key_desc = f"{creds.key_type.upper()}-{creds.key.key_size}" if creds.key_type == "rsa" else "EC P-256"
    print(f"input: 3-page PDF, {len(pdf)} bytes; key: {key_desc}; {args.seconds:.0f}s per side")

    # ours — setup (key, seal image, font subset, QR tables) happens once, outside the timing
    stamper = service.stamper(settings, court_name="北京互联网法院")
    stamper.stamp(pdf, codes.new_code())
    outputs: list[bytes] = []

    def ours(i: int) -> bytes:
        out = stamper.stamp(pdf, codes.new_code()).pdf
        if i < args.sample:
            outputs.append(out)
        return out

    n1, cpu1, wall1, _ = run_for(args.seconds, ours)

    # plain pyHanko, default settings, signer loaded once
    signer = signers.SimpleSigner.load_pkcs12(p12, args.password.encode() or None)

    def plain(_i: int) -> bytes:
        out = signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)),
                               signers.PdfSignatureMetadata(field_name="Signature1"), signer=signer)
        return out.getvalue()

    n2, cpu2, wall2, last_plain = run_for(args.seconds, plain)

    for i, out in enumerate(outputs):
        check(out, roots, f"ours #{i}")
    check(last_plain, roots, "pyHanko")  # type: ignore[arg-type]

    ours_rate, plain_rate = n1 / cpu1, n2 / cpu2
    print(f"ours          : {n1:6d} docs, {ours_rate:8.1f} docs/s per core (CPU), {n1 / wall1:8.1f} docs/s wall")
    print(f"pyHanko plain : {n2:6d} docs, {plain_rate:8.1f} docs/s per core (CPU), {n2 / wall2:8.1f} docs/s wall")
    print(f"ratio         : {ours_rate / plain_rate:8.1f}x")
    print(f"validated     : {len(outputs)} of ours + 1 pyHanko output with pyHanko (DocMDP) and pdfsig: all valid")
    shutil.rmtree(tmp, ignore_errors=True)
    if creds.key_type != "rsa":
        print("(the targets are defined for RSA-2048; EC figures are for information)")
        return 0
    ok = ours_rate >= 200 and ours_rate / plain_rate >= 40
    print("target (>=200/s per core, >=40x): " + ("met" if ok else "NOT met"))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
