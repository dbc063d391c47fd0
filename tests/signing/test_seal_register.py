"""The seal register from the auditor's side: every use of the seal is recorded and verifiable."""
import hashlib

from sqlalchemy import select

from court import db
from court.models import AuditEvent, SealUse
from tests.support.factories import pdf_bytes


def _verify_page(client, code: str) -> str:
    r = client.get(f"/verify/{code}")
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_data(as_text=True)


def test_cli_stamp_is_in_the_register_and_its_code_verifies(app, client, tmp_path, settings):
    src, out = tmp_path / "in.pdf", tmp_path / "out.pdf"
    src.write_bytes(pdf_bytes(2))
    r = app.test_cli_runner().invoke(args=["court", "stamp", str(src), str(out)])
    assert r.exit_code == 0, r.output
    code = r.output.split("anti-counterfeit code: ")[1].split()[0]
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    rows = db.session().scalars(select(AuditEvent).where(AuditEvent.action == "seal.used")).all()
    assert len(rows) == 1
    assert rows[0].details["sha256"] == digest and rows[0].details["channel"] == "cli"
    assert rows[0].details["code"] == code.replace("-", "") and len(rows[0].details["cert"]) == 64
    page = _verify_page(client, code)
    assert digest in page and "in.pdf" in page


def test_stamp_batch_registers_every_file(app, client, tmp_path, settings):
    src, dst = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    for i in range(3):
        (src / f"doc{i}.pdf").write_bytes(pdf_bytes(1))
    r = app.test_cli_runner().invoke(args=["court", "stamp-batch", str(src), str(dst), "--codes-file",
                                           str(tmp_path / "codes.csv")])
    assert r.exit_code == 0, r.output
    s = db.session()
    rows = s.scalars(select(AuditEvent).where(AuditEvent.action == "seal.used")).all()
    assert len(rows) == 1 and rows[0].details["channel"] == "batch"  # one audit row per chunk of the batch
    named = {use["filename"]: use for use in rows[0].details["uses"]}
    assert sorted(named) == ["doc0.pdf", "doc1.pdf", "doc2.pdf"]
    for name, use in named.items():
        assert use["sha256"] == hashlib.sha256((dst / name).read_bytes()).hexdigest()
        assert s.get(SealUse, use["id"]).code == use["code"]
    for line in (tmp_path / "codes.csv").read_text().splitlines()[1:]:
        name, code = line.split(",")
        assert hashlib.sha256((dst / name).read_bytes()).hexdigest() in _verify_page(client, code)


def test_a_department_seal_has_its_own_certificate_and_the_court_knows_its_fingerprints(s, run_jobs, settings):
    from cryptography.hazmat.primitives import serialization
    from pyhanko.pdf_utils.reader import PdfFileReader

    from court.models import SigningFlow
    from court.services import documents, flows
    from signing import pki, seals
    from tests.support.signing import assert_all_valid, make_world, upload

    world = make_world(s, 1)
    dept = seals.add_seal(s, world.court, "北京互联网法院立案庭", "department", actor="test")
    doc = upload(s, world)
    flow = flows.start_flow(s, doc, [flows.StepInput(flows.StepAction.SEAL)], seal_id=dept.id)
    s.commit()
    run_jobs(("signing",))
    s = db.session()
    flow = s.get(SigningFlow, flow.id)
    data = documents.read_version(flow.document.current)
    assert_all_valid(data, settings, 1)
    signer = PdfFileReader(__import__("io").BytesIO(data)).embedded_signatures[0].signer_cert
    used = hashlib.sha256(signer.dump()).hexdigest()
    court_seal = pki.fingerprint(pki.seal_credentials(settings).cert)
    assert used != court_seal and "立案庭" in signer.subject.human_friendly
    use = s.scalars(select(SealUse).where(SealUse.document_id == doc.id)).one()
    assert use.seal_id == dept.id and use.cert_fingerprint == used and use.channel == "flow"
    known = seals.court_fingerprints(s, settings)
    assert {used, court_seal} <= known
    platform_ca = pki.platform_ca(settings).cert.public_bytes(serialization.Encoding.DER)
    assert hashlib.sha256(platform_ca).hexdigest() not in known
    # the public verify page accepts the department's seal as this court's
    from signing import verification

    report = verification.verify(data, settings=settings, session=s)
    assert report.ok and report.signatures[0].role == "court_seal"


def test_a_seal_of_another_court_cannot_be_named(s):
    from court.errors import DomainError
    from court.services import flows
    from court.services import staff as staff_service
    from signing import seals
    from tests.support.signing import make_world, upload

    world = make_world(s, 1)
    other = staff_service.create_court(s, "上海市第一中级人民法院", "沪01")
    theirs = seals.add_seal(s, other, "上海一中院", "court", actor="test")
    doc = upload(s, world)
    try:
        flows.start_flow(s, doc, [flows.StepInput(flows.StepAction.SEAL)], seal_id=theirs.id)
    except DomainError as exc:
        assert exc.code == "seal_not_found"
    else:
        raise AssertionError("another court's seal was accepted")
