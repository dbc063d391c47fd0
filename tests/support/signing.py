"""Independent checks of signed PDFs (poppler, qpdf, pyHanko) and a small case/flow builder."""
from __future__ import annotations

import io
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw
from sqlalchemy.orm import Session

from court import crypto, db
from court.models import Case, Court, DocumentKind, Party, PartyRole, Person, StepAction
from court.services import cases, documents, flows
from tests.support.factories import id_number, pdf_bytes


def _tmp(data: bytes) -> Path:
    fh = tempfile.NamedTemporaryFile(suffix=".pdf", delete=False)
    fh.write(data)
    fh.close()
    return Path(fh.name)


def pdfsig(data: bytes) -> str:
    path = _tmp(data)
    try:
        return subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, timeout=60).stdout
    finally:
        path.unlink()


def assert_pdfsig_valid(data: bytes, expected: int) -> str:
    out = pdfsig(data)
    assert out.count("Signature is Valid.") == expected, out
    assert "Signature is Invalid" not in out and "Digest Mismatch" not in out, out
    return out


def qpdf_check(data: bytes) -> None:
    path = _tmp(data)
    try:
        r = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True, timeout=60)
    finally:
        path.unlink()
    assert r.returncode == 0, r.stdout + r.stderr
    assert "No syntax or stream encoding errors" in r.stdout, r.stdout


def pdftotext(data: bytes) -> str:
    path = _tmp(data)
    try:
        return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True,
                              timeout=60).stdout
    finally:
        path.unlink()


def pyhanko_statuses(data: bytes, settings) -> list:  # type: ignore[no-untyped-def]
    """pyHanko's own validation with the platform roots as the only trust anchors."""
    from asn1crypto import x509 as ax509
    from cryptography.hazmat.primitives import serialization
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from signing import pki

    roots = [ax509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in pki.trust_roots(settings)]
    reader = PdfFileReader(io.BytesIO(data))
    out = []
    for sig in reader.embedded_signatures:
        out.append(validate_pdf_signature(sig, ValidationContext(trust_roots=roots, allow_fetching=False),
                                          ts_validation_context=ValidationContext(trust_roots=roots)))
    return out


def assert_all_valid(data: bytes, settings, expected: int) -> list:  # type: ignore[no-untyped-def]
    statuses = pyhanko_statuses(data, settings)
    assert len(statuses) == expected
    for st in statuses:
        assert st.intact and st.valid and st.trusted, st.pretty_print_details()
        assert st.docmdp_ok is not False, st.pretty_print_details()
        assert st.bottom_line, st.pretty_print_details()
    assert_pdfsig_valid(data, expected)
    qpdf_check(data)
    return statuses


def footer_code(text: str) -> str | None:
    m = re.search(r"防伪码：([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})", text)
    return m.group(1).replace("-", "") if m else None


def signature_png(text_seed: int = 0) -> bytes:
    img = Image.new("RGBA", (300, 120), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.line((10, 90, 120 + text_seed * 10, 20, 200, 100, 290, 30), fill=(0, 0, 0, 255), width=6)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


@dataclass
class World:
    court: Court
    case: Case
    parties: list[Party]
    persons: list[Person]


def make_world(s: Session, n_parties: int = 2) -> World:
    from sqlalchemy import select

    from court.services import staff as staff_service

    # the court of the ``court_setup`` fixture when a test has one (staff API tests), else a new one
    court = s.scalar(select(Court).where(Court.code == "京0491")) or staff_service.create_court(
        s, "北京互联网法院", "京0491")
    case = cases.create_case(s, court, "（2026）京0491民初1号", "civil", "网络购物合同纠纷")
    names = ["张三", "李四", "王五", "赵六"]
    made = cases.add_parties(s, case, [
        cases.PartyInput(PartyRole.PLAINTIFF if i == 0 else PartyRole.DEFENDANT, names[i], id_number(seq=f"{101 + i}"),
                         f"1380000000{i + 1}")
        for i in range(n_parties)])
    parties, persons = [], []
    for i, (party, _code) in enumerate(made):
        value = id_number(seq=f"{101 + i}")
        person = Person(real_name=party.name, id_number_enc=crypto.encrypt(value),
                        id_number_hash=crypto.lookup_hash(value), id_number_masked=crypto.mask_id_number(value),
                        phone=party.phone, face_verified_at=db.utcnow(), face_provider="dev", face_score=97.5)
        s.add(person)
        s.flush()
        party.person_id = person.id
        parties.append(party)
        persons.append(person)
    s.flush()
    return World(court, case, parties, persons)


def upload(s: Session, world: World, data: bytes | None = None, title: str = "传票", kind=DocumentKind.SUBPOENA):  # type: ignore[no-untyped-def]
    return documents.upload(s, world.case, kind, title, data or pdf_bytes(3), filename="doc.pdf",
                            max_bytes=200 * 1024 * 1024)


def seal_flow(s: Session, world: World, doc, signers: list[Party] | None = None, action=StepAction.SIGN):  # type: ignore[no-untyped-def]
    steps = [flows.StepInput(StepAction.SEAL)]
    steps += [flows.StepInput(action, party_id=p.id) for p in (signers or [])]
    return flows.start_flow(s, doc, steps)


def issue_credential(run_jobs, rec_id: int):  # type: ignore[no-untyped-def]
    """Ask for the e-service credential of a service record (the declared job) and run it now;
    the record as it then stands (``credential_version_id`` None when the credential was refused)."""
    from court.models import ServiceRecord
    from signing import jobs

    jobs.issue_credential.enqueue(rec_id)
    assert run_jobs(("signing",)) >= 1, "the credential job was not queued"
    return db.session().get(ServiceRecord, rec_id)
