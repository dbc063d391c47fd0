"""The e-service credential, verification, the operator CLI and timestamps."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from court import db
from court.models import Notification, NotificationStatus, ServiceRecord
from court.services import documents
from signing import codes, credential, party, service
from tests.support.factories import pdf_bytes
from tests.support.signing import (
    assert_all_valid,
    assert_pdfsig_valid,
    footer_code,
    make_world,
    pdftotext,
    seal_flow,
    signature_png,
    upload,
)


def _served(s, *, consent: bool = True):
    world = make_world(s, 1)
    doc = upload(s, world, title="民事判决书")
    now = db.utcnow()
    if consent:  # the party agreed on WeChat three hours before service, confirming their phone
        from unittest import mock

        from court.services import consent as consent_service

        with mock.patch("court.db.utcnow", return_value=now - timedelta(hours=3)):  # recorded (and audited) then
            consent_service.give(s, world.persons[0], world.case, channels=["wechat", "sms"],
                                 address={"wechat": "oAbCdEfGh123456", "sms": "13800000001"}, method="bot",
                                 party=world.parties[0])
    rec = ServiceRecord(party_id=world.parties[0].id, document_id=doc.id,
                        signed_at=now - timedelta(minutes=5), receipt_number="SD2026000123")
    s.add(rec)
    s.flush()
    # WeChat's delivery fixes the date through the one rule (audited, as the credential checks)
    from court.services import service_date

    service_date.record_event(s, rec, channel="wechat", event="delivered", at=now - timedelta(hours=2),
                              address="oAbCdEfGh123456")
    s.add(Notification(case_id=world.case.id, party_id=world.parties[0].id, document_id=doc.id, channel="wechat",
                       address="oAbCdEfGh123456", template="document_served", status=NotificationStatus.OPENED,
                       provider_id="200228332",
                       sent_at=now - timedelta(hours=2, minutes=1), delivered_at=now - timedelta(hours=2),
                       opened_at=now - timedelta(minutes=30)))
    s.add(Notification(case_id=world.case.id, party_id=world.parties[0].id, document_id=doc.id, channel="sms",
                       address="13800000001", template="document_served", status=NotificationStatus.DELIVERED,
                       sent_at=now - timedelta(hours=1), delivered_at=now - timedelta(minutes=59)))
    s.commit()
    return world, doc, rec


def test_credential_is_sealed_with_real_chinese_text(s, settings, run_jobs):
    world, doc, rec = _served(s)
    from signing import jobs

    jobs.issue_credential.enqueue(rec.id)
    assert run_jobs(("signing",)) == 1
    s = db.session()
    rec = s.get(ServiceRecord, rec.id)
    assert rec.credential_version_id is not None
    version = rec.credential
    cred_doc = version.document
    assert cred_doc.kind.value == "credential" and cred_doc.case_id == doc.case_id and cred_doc.verify_code
    data = documents.read_version(version)
    assert_all_valid(data, settings, 1)
    text = pdftotext(data)
    for expected in ("电子送达凭证", "北京互联网法院", "（2026）京0491民初1号", "民事判决书", doc.current.sha256,
                     "张三", "1101**********", "微信", "短信", "138****0001", "已查阅", "SD2026000123",
                     "送达生效时间", "人脸", "已通过", "民事诉讼法",
                     # the consent (how, when, which addresses) and the provider's message id
                     "电子送达同意", "微信公众号", "确认送达地址", "消息编号", "200228332"):
        assert expected in text, expected
    assert "13800000001" not in text and "oAbCdEfGh123456" not in text  # personal data masked
    assert footer_code(text) == cred_doc.verify_code
    # the credential's use of the court seal is in the seal register
    from court.models import SealUse

    use = s.scalar(select(SealUse).where(SealUse.document_id == cred_doc.id))
    assert use is not None and use.channel == "credential" and use.code == cred_doc.verify_code
    # once only
    assert credential.build(rec.id).id == version.id


def test_no_consent_no_credential_and_the_case_is_flagged(s, run_jobs):
    """The credential says 经受送达人同意: without a consent in force when served there is none."""
    from court.models import AuditEvent, Case
    from signing import jobs

    world, doc, rec = _served(s, consent=False)
    jobs.issue_credential.enqueue(rec.id)
    run_jobs(("signing",))
    s = db.session()
    s.expire_all()
    assert s.get(ServiceRecord, rec.id).credential_version_id is None
    assert "未同意电子送达，不出具电子送达凭证" in s.get(Case, world.case.id).needs_attention
    assert s.query(AuditEvent).filter_by(action="service.credential_refused").count() == 1


def test_credential_needs_service(s):
    from court.errors import Conflict

    world = make_world(s, 1)
    doc = upload(s, world)
    rec = ServiceRecord(party_id=world.parties[0].id, document_id=doc.id)
    s.add(rec)
    s.commit()
    with pytest.raises(Conflict):
        credential.build(rec.id)


def test_verify_reports_signers_coverage_and_the_stored_document(s, run_jobs, settings):
    import signing

    world = make_world(s, 1)
    doc = upload(s, world)
    flow = seal_flow(s, world, doc, world.parties)
    s.commit()
    run_jobs(("signing",))
    step_id = flow.steps[1].id
    version = party.sign_step(step_id, signature_png(), world.persons[0].id)
    data = documents.read_version(version)
    s = db.session()
    report = signing.verify(data, session=s)
    assert report.ok
    assert [sig.signer for sig in report.signatures] == ["法院电子印章（开发）", "张三"]
    seal, sig = report.signatures
    assert seal.certification and seal.docmdp_ok and seal.coverage == "entire_revision"
    assert not sig.certification and sig.coverage == "entire_file"
    assert report.stored is not None and report.stored.version == 3
    info = codes.lookup(s, codes.format_code(report.stored.code.replace("-", "")).lower())
    assert info is not None and info.sha256 == version.sha256 and info.title == "传票"
    assert [x["name"] for x in info.signers] == ["北京互联网法院", "张三"]
    # appending anything after the last signature is reported
    tampered = data + b"\n% appended\n"
    assert not signing.verify(tampered).ok
    assert signing.verify(tampered).changed_after_last_signature


def test_verify_unsigned_and_garbage(settings):
    import signing

    assert signing.verify(pdf_bytes(1)).error == "文件中没有数字签名"
    assert not signing.verify(b"nonsense").ok


def test_cli_stamp_verify_and_tamper(app, tmp_path):
    runner = app.test_cli_runner()
    src = tmp_path / "in.pdf"
    src.write_bytes(pdf_bytes(3))
    out = tmp_path / "out.pdf"
    r = runner.invoke(args=["court", "stamp", str(src), str(out)])
    assert r.exit_code == 0, r.output
    assert "防伪码" in r.output
    code = r.output.split("anti-counterfeit code: ")[1].split()[0]
    assert footer_code(pdftotext(out.read_bytes())) == code.replace("-", "")
    r = runner.invoke(args=["court", "verify", str(out)])
    assert r.exit_code == 0, r.output
    assert "验证通过" in r.output
    data = bytearray(out.read_bytes())
    data[len(data) // 3] ^= 0x01  # one byte inside the signed range
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(bytes(data))
    r = runner.invoke(args=["court", "verify", str(bad)])
    assert r.exit_code != 0
    assert "NOT VALID" in r.output and "intact: 否" in r.output
    r = runner.invoke(args=["court", "stamp", str(tmp_path / "bad.pdf"), str(tmp_path / "x.pdf")])
    assert r.exit_code != 0 and "认证签名" in r.output


def test_cli_stamp_batch(app, tmp_path, settings):
    src, dst = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    for i in range(4):
        (src / f"doc{i}.pdf").write_bytes(pdf_bytes(1 + i % 3))
    (src / "broken.pdf").write_bytes(b"not a pdf")
    r = app.test_cli_runner().invoke(args=["court", "stamp-batch", str(src), str(dst), "--codes-file",
                                           str(tmp_path / "codes.csv")])
    assert r.exit_code == 1  # one failed
    assert "4 份成功" in r.output and "broken.pdf" in r.output
    for i in range(4):
        assert_pdfsig_valid((dst / f"doc{i}.pdf").read_bytes(), 1)
    assert len((tmp_path / "codes.csv").read_text().splitlines()) == 5


def test_timestamped_seal_is_pades_b_t(app, tmp_path):
    from signing.settings import SigningSettings

    ts = SigningSettings(instance_path=str(tmp_path / "ts"), public_base_url="http://court.test", tsa_url="dev")
    result = service.stamper(ts, court_name="测试法院").stamp(pdf_bytes(1), codes.new_code())
    statuses = assert_all_valid(result.pdf, ts, 1)
    assert statuses[0].timestamp_validity is not None and statuses[0].timestamp_validity.intact
    import signing

    report = signing.verify(result.pdf, settings=ts)
    assert report.ok and report.signatures[0].timestamped
