"""SMS code and face check on the party pages, each failure saying what to do next."""
from __future__ import annotations

import io
import re

from PIL import Image
from sqlalchemy import select

from court import db
from court.models import Notification, Party
from tests.web_sign.conftest import csrf, needs_identity

pytestmark = needs_identity


def photo(kind: str = "good") -> bytes:
    if kind == "dark":
        img = Image.new("RGB", (400, 400), (5, 5, 5))
    else:
        img = Image.effect_noise((480, 480), 60).convert("RGB")
    buf = io.BytesIO()
    img.save(buf, format="JPEG")
    return buf.getvalue()


def open_link(client, party: Party, document_id: int) -> None:
    with client.session_transaction() as sess:
        sess["sms_link"] = {"party_id": party.id, "document_id": document_id, "purpose": "receive", "link_id": 1}


def sent_code(phone: str) -> str:
    n = db.session().scalars(select(Notification).where(Notification.template == "otp", Notification.address == phone)
                             .order_by(Notification.id.desc())).first()
    return str(n.params["code"])


def test_sms_code_then_face_check_then_consent_then_document(client, world, run_jobs):
    open_link(client, world.alice, world.doc.id)
    page = client.get(f"/m/identity?next=/m/documents/{world.doc.id}").get_data(as_text=True)
    assert "138****0001" in page and "13800000001" not in page
    token = csrf(client, "/m/identity")
    r = client.post("/m/identity/send", data={"csrf_token": token, "next": f"/m/documents/{world.doc.id}"})
    assert r.status_code == 302
    assert "验证码已发送至 138****0001" in client.get(r.headers["Location"]).get_data(as_text=True)

    wrong = client.post("/m/identity/verify", data={"csrf_token": token, "code": "000000" if sent_code("13800000001") != "000000" else "111111"},
                        follow_redirects=True)
    assert "验证码不正确，还可以再试4次" in wrong.get_data(as_text=True)
    ok = client.post("/m/identity/verify", data={"csrf_token": token, "code": sent_code("13800000001"),
                                                 "next": f"/m/documents/{world.doc.id}"})
    assert ok.status_code == 302 and "/m/face" in ok.headers["Location"]

    # the separate consent to the face check comes first (tests/web_sign/test_face_consent.py)
    notice = client.get(ok.headers["Location"]).get_data(as_text=True)
    assert "人脸信息处理告知书" in notice and 'name="photo"' not in notice
    client.post("/m/face/consent", data={"csrf_token": token, "decision": "agree"})

    # a photo no verifier can use: told what to do next
    client.post("/m/face", data={"csrf_token": token, "photo": (io.BytesIO(photo("dark")), "a.jpg"),
                                 "next": f"/m/documents/{world.doc.id}"})
    assert client.get("/m/face/status").get_json() == {"done": False}
    run_jobs(("default",))
    bad = client.get("/m/face/status").get_json()
    assert bad["done"] and not bad["ok"] and "光线" in bad["message"]

    r = client.post("/m/face", data={"csrf_token": token, "photo": (io.BytesIO(photo()), "a.jpg"),
                                     "next": f"/m/documents/{world.doc.id}"})
    assert "/m/face/wait" in r.headers["Location"]
    assert "正在进行人脸识别" in client.get(r.headers["Location"]).get_data(as_text=True)
    run_jobs(("default",))
    good = client.get(f"/m/face/status?next=/m/documents/{world.doc.id}").get_json()
    assert good["done"] and good["ok"], good
    assert f"/m/consent/{world.case.id}" in good["next"]
    party = db.session().get(Party, world.alice.id)
    assert party.person_id is not None  # the face check matched the court's record: bound

    consent_url = good["next"]
    refused = client.post(consent_url, data={"csrf_token": token}, follow_redirects=True)
    assert "请选择同意或不同意电子送达" in refused.get_data(as_text=True)
    agreed = client.post(consent_url, data={"csrf_token": token, "agree": "yes"})
    assert agreed.status_code == 302 and agreed.headers["Location"].endswith(f"/m/documents/{world.doc.id}")
    doc = client.get(f"/m/documents/{world.doc.id}")
    assert doc.status_code == 200 and "民事判决书" in doc.get_data(as_text=True)


def test_code_sending_is_rate_limited_and_says_how_long(client, world):
    open_link(client, world.alice, world.doc.id)
    token = csrf(client, "/m/identity")
    client.post("/m/identity/send", data={"csrf_token": token})
    again = client.post("/m/identity/send", data={"csrf_token": token}, follow_redirects=True)
    assert re.search(r"请\d+秒后再重新获取", again.get_data(as_text=True))


def test_party_without_phone_is_told_to_contact_the_court(client, app):
    from court.models import PartyRole
    from court.services import cases, staff
    from tests.support.factories import id_number

    s = db.session()
    court = staff.create_court(s, "北京互联网法院", "京0491")
    case = cases.create_case(s, court, "（2026）京0491民初7号", "civil")
    [(party, _code)] = cases.add_parties(s, case, [cases.PartyInput(role=PartyRole.DEFENDANT, name="王五",
                                                                     id_number=id_number())])
    s.commit()
    open_link(client, party, 1)
    page = client.get("/m/identity").get_data(as_text=True)
    assert "法院没有登记您的手机号码" in page and 'id="send-code"' not in page


def test_identity_pages_in_english(client, world):
    open_link(client, world.alice, world.doc.id)
    page = client.get("/m/identity?lang=en").get_data(as_text=True)
    assert "Identity check" in page and "Get a code by SMS" in page
