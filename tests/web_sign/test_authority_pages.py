"""A party who declines the face check can prove who they are through the identity authority page."""
from __future__ import annotations

from sqlalchemy import select

from court import crypto, db
from court.models import IdentityCheck, Party, ServiceRecord
from court.services import documents
from identity import settings
from tests.support.signing import pdftotext
from tests.web_sign.conftest import csrf, make_world, needs_signing, sign_in, signature_png

pytestmark = needs_signing


def test_declined_face_then_authority_then_signed_and_named_in_the_credential(client, app, run_jobs):
    w = make_world(seal=True)
    sign_in(client, w.alice, face=False)
    run_jobs(("signing",))  # the court's seal; then Alice's step is ready
    settings.configure(identity_authority="development")
    try:
        token = csrf(client, "/m/face")
        r = client.post("/m/face/consent", data={"csrf_token": token, "decision": "refuse", "next": "/m/"})
        other = client.get(r.headers["Location"]).get_data(as_text=True)
        assert "网络身份认证" in other and "/m/authority" in other

        page = client.get("/m/authority").get_data(as_text=True)
        assert "开发环境模拟" in page and "未连接真实服务" in page
        number = crypto.decrypt(db.session().get(Party, w.alice.id).id_number_enc)

        declined = client.post("/m/authority", data={"csrf_token": token, "decision": "decline"}, follow_redirects=True)
        assert "您未授权网络身份认证" in declined.get_data(as_text=True)
        wrong = client.post("/m/authority", data={"csrf_token": token, "decision": "authorize", "name": "李四",
                                                  "id_number": number}, follow_redirects=True)
        assert "不一致" in wrong.get_data(as_text=True)
        assert client.get(f"/m/documents/{w.doc.id}/sign").status_code == 302  # still not proven

        ok = client.post("/m/authority", data={"csrf_token": token, "decision": "authorize", "name": "张三",
                                               "id_number": number, "next": f"/m/documents/{w.doc.id}/sign"})
        assert ok.headers["Location"].endswith(f"/m/documents/{w.doc.id}/sign")
        assert client.get(f"/m/documents/{w.doc.id}/sign").status_code == 200
        results = [c.result for c in db.session().scalars(select(IdentityCheck).order_by(IdentityCheck.id))]
        assert results == ["declined", "mismatch", "pass"]

        client.post(f"/m/documents/{w.doc.id}/sign", data={"csrf_token": token, "signature": signature_png()})
        run_jobs(("signing",))
        rec = db.session().scalars(select(ServiceRecord).where(ServiceRecord.party_id == w.alice.id)).one()
        text = pdftotext(documents.read_version(rec.credential))
        assert "网络身份认证" in text and "netid-development" in text and "人脸识别" not in text
    finally:
        settings.configure(identity_authority="")


def test_the_authority_page_says_so_when_none_is_configured(client, world):
    sign_in(client, world.alice, face=False)
    r = client.get("/m/authority")
    assert r.status_code == 404 and "未开通网络身份认证" in r.get_data(as_text=True)
