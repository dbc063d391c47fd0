"""Signing on the phone: the pad, the job with progress, the receipt and its sealed credential,
transcripts with a signing order and a refusal."""
from __future__ import annotations

from court import db
from court.models import FlowStep, ServiceRecord, StepAction, StepStatus
from tests.web_sign.conftest import csrf, make_world, needs_signing, sign_in, signature_png

pytestmark = needs_signing


def test_receive_sign_progress_receipt_and_credential(client, app, run_jobs):
    w = make_world(seal=True)
    sign_in(client, w.alice)
    run_jobs(("signing",))  # the court's seal first; then the parties' steps open
    doc_page = client.get(f"/m/documents/{w.doc.id}").get_data(as_text=True)
    assert 'id="go-sign"' in doc_page and "防伪码" in doc_page
    page = client.get(f"/m/documents/{w.doc.id}/sign")
    assert page.status_code == 200 and 'id="pad"' in page.get_data(as_text=True)
    token = csrf(client, f"/m/documents/{w.doc.id}/sign")

    empty = client.post(f"/m/documents/{w.doc.id}/sign", data={"csrf_token": token,
                                                               "signature": signature_png(blank=True)},
                        follow_redirects=True)
    assert "签名为空" in empty.get_data(as_text=True)

    r = client.post(f"/m/documents/{w.doc.id}/sign", data={"csrf_token": token, "signature": signature_png()})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/m/documents/{w.doc.id}/progress")
    assert "正在将您的签名加到文书上" in client.get(r.headers["Location"]).get_data(as_text=True)
    assert client.get(f"/m/documents/{w.doc.id}/status").get_json()["done"] is False
    # a second tap while the job runs does not queue a second signature
    again = client.post(f"/m/documents/{w.doc.id}/sign", data={"csrf_token": token, "signature": signature_png()})
    assert again.headers["Location"].endswith("/progress")

    run_jobs(("signing",))  # the signature, the receipt follow-up and the credential
    status = client.get(f"/m/documents/{w.doc.id}/status").get_json()
    assert status["done"] and status["next"].endswith(f"/m/documents/{w.doc.id}/receipt")
    rec = db.session().query(ServiceRecord).filter_by(party_id=w.alice.id, document_id=w.doc.id).one()
    assert rec.signed_at is not None and rec.receipt_number and rec.credential_version_id is not None
    receipt = client.get(status["next"]).get_data(as_text=True)
    assert "签收成功" in receipt and rec.receipt_number in receipt and 'id="credential"' in receipt
    pdf = client.get(f"/m/documents/{w.doc.id}/receipt.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")

    import signing

    assert signing.verify(pdf.data).ok
    signed = client.get(f"/m/documents/{w.doc.id}/file.pdf").data
    report = signing.verify(signed)
    assert report.ok and len(report.signatures) == 2  # the seal and Alice's signature

    # Bob sees the document but not Alice's receipt
    bob = app.test_client()
    sign_in(bob, w.bob)
    assert bob.get(f"/m/documents/{w.doc.id}/receipt").status_code == 404
    assert bob.get(f"/m/documents/{w.doc.id}/receipt.pdf").status_code == 404


def test_signing_needs_a_fresh_face_check(client, app, run_jobs):
    w = make_world(seal=True)
    person = sign_in(client, w.alice)
    run_jobs(("signing",))
    from datetime import timedelta

    from sqlalchemy import update

    from court.models import IdentityCheck

    s = db.session()
    s.execute(update(IdentityCheck).where(IdentityCheck.person_id == person.id)
              .values(decided_at=db.utcnow() - timedelta(hours=2)))  # this session's check is stale
    s.commit()
    r = client.get(f"/m/documents/{w.doc.id}/sign")
    assert r.status_code == 302 and "/m/face" in r.headers["Location"]


def test_transcript_order_refusal_and_second_signer(client, app, run_jobs):
    w = make_world(StepAction.SIGN, ordered=True, seal=True, kind="transcript", title="庭审笔录")
    sign_in(client, w.alice)
    run_jobs(("signing",))
    html = client.get(f"/m/documents/{w.doc.id}/sign").get_data(as_text=True)
    assert "签名顺序" in html and "拒绝签名" in html
    token = csrf(client, f"/m/documents/{w.doc.id}/sign")
    no_reason = client.post(f"/m/documents/{w.doc.id}/refuse", data={"csrf_token": token, "reason": " "},
                            follow_redirects=True)
    assert "请填写拒绝签署的理由" in no_reason.get_data(as_text=True)
    r = client.post(f"/m/documents/{w.doc.id}/refuse", data={"csrf_token": token, "reason": "笔录第3页记录有误"},
                    follow_redirects=True)
    text = r.get_data(as_text=True)
    assert "拒绝签名的意见和理由已记录" in text and "笔录第3页记录有误" in text
    step = db.session().get(FlowStep, w.step(w.alice).id)
    assert step.status is StepStatus.REFUSED

    bob = app.test_client()
    sign_in(bob, w.bob)
    token_b = csrf(bob, f"/m/documents/{w.doc.id}/sign")
    bob.post(f"/m/documents/{w.doc.id}/sign", data={"csrf_token": token_b, "signature": signature_png()})
    run_jobs(("signing",))
    done = bob.get(f"/m/documents/{w.doc.id}/status").get_json()
    assert done["done"] and done["next"].endswith(f"/m/documents/{w.doc.id}")
    page = bob.get(f"/m/documents/{w.doc.id}").get_data(as_text=True)
    assert "拒签" in page and "已签" in page
