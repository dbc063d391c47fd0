"""Issue 10, finding 2, from the attacker's side on the party pages: a face pass is not shared
between sessions, and a copied session cookie dies with logout, a new face check elsewhere and
staff revoking the party's access (DESIGN: binding)."""
from __future__ import annotations

import io

from court import db
from court.models import Party, PartySession
from tests.web_sign.conftest import csrf, needs_identity, session_row, sign_in
from tests.web_sign.test_identity_pages import open_link, photo, sent_code

pytestmark = needs_identity


def _through_the_sms_code(client, party: Party, document_id: int) -> str:
    """Open the link and enter the SMS code (the attacker has the phone, or a copied link and code)."""
    from court import ratelimit
    from identity import otp, phones

    # a minute between codes to one number: these scripted browsers are faster than people
    ratelimit.reset(otp.SEND_SCOPE, phones.subject(party.phone), *(limit for limit, _m in otp.SEND_LIMITS))
    open_link(client, party, document_id)
    token = csrf(client, "/m/identity")
    client.post("/m/identity/send", data={"csrf_token": token})
    r = client.post("/m/identity/verify", data={"csrf_token": token, "code": sent_code(party.phone)})
    assert "/m/face" in r.headers["Location"]
    return token


def _send_photo(client, token: str, kind: str) -> None:
    client.post("/m/face/consent", data={"csrf_token": token, "decision": "agree"})  # the face notice first
    r = client.post("/m/face", data={"csrf_token": token, "photo": (io.BytesIO(photo(kind)), "a.jpg")})
    assert "/m/face/wait" in r.headers["Location"]


def test_a_failing_session_is_not_told_passed_when_the_real_person_passes_elsewhere(app, world, run_jobs):
    attacker, real = app.test_client(), app.test_client()
    bad_token = _through_the_sms_code(attacker, world.alice, world.doc.id)
    _send_photo(attacker, bad_token, "dark")  # the attacker's check will fail
    run_jobs(("default",))
    good_token = _through_the_sms_code(real, world.alice, world.doc.id)
    _send_photo(real, good_token, "good")
    run_jobs(("default",))
    assert real.get("/m/face/status").get_json()["ok"] is True

    status = attacker.get("/m/face/status")
    body = status.get_json()
    assert not body.get("ok") and "验证通过" not in (body.get("message") or "")
    doc = attacker.get(f"/m/documents/{world.doc.id}")
    assert doc.status_code in (302, 403) and "民事判决书" not in doc.get_data(as_text=True)
    assert attacker.get(f"/m/documents/{world.doc.id}/file.pdf").status_code == 403


def test_a_failing_session_sees_its_own_result_even_after_a_pass_elsewhere_in_the_queue(app, world, run_jobs):
    """Both checks are decided before either page polls: each page reads its own check."""
    attacker, real = app.test_client(), app.test_client()
    bad_token = _through_the_sms_code(attacker, world.alice, world.doc.id)
    _send_photo(attacker, bad_token, "dark")
    good_token = _through_the_sms_code(real, world.alice, world.doc.id)
    _send_photo(real, good_token, "good")
    run_jobs(("default",))  # the attacker's fail first, then the real pass
    body = attacker.get("/m/face/status").get_json()
    assert body["done"] and not body["ok"] and "光线" in body["message"]


def _copy_cookie(src, dst) -> None:  # type: ignore[no-untyped-def]
    cookie = src.get_cookie("session")
    dst.set_cookie("session", cookie.value)


def test_a_copied_cookie_stops_working_after_logout(app, client, world):
    sign_in(client, world.alice)
    thief = app.test_client()
    _copy_cookie(client, thief)
    assert thief.get("/m/").status_code == 200  # a perfect copy works until the session ends
    assert client.post("/m/logout", data={"csrf_token": csrf(client, "/m/")}).status_code == 302
    assert thief.get("/m/").status_code in (302, 403)
    assert thief.get(f"/m/documents/{world.doc.id}/file.pdf").status_code == 403


def test_a_copied_cookie_stops_working_after_a_new_face_check_elsewhere(app, client, world, run_jobs):
    sign_in(client, world.alice)
    thief = app.test_client()
    _copy_cookie(client, thief)
    assert thief.get("/m/").status_code == 200
    phone = app.test_client()  # the party signs in again on their phone and passes a face check
    token = _through_the_sms_code(phone, world.alice, world.doc.id)
    _send_photo(phone, token, "good")
    run_jobs(("default",))
    assert phone.get("/m/face/status").get_json()["ok"] is True
    assert thief.get("/m/").status_code in (302, 403)
    assert client.get("/m/").status_code in (302, 403)
    assert phone.get("/m/").status_code == 200
    ended = db.session().query(PartySession).filter(PartySession.ended_reason == "face_elsewhere").count()
    assert ended == 1


def test_a_copied_cookie_stops_working_when_staff_revoke_access(app, client, world):
    from court.models import StaffRole
    from court.services import staff as staff_service

    person = sign_in(client, world.alice)
    thief = app.test_client()
    _copy_cookie(client, thief)
    assert thief.get("/m/").status_code == 200
    s = db.session()
    _clerk, key = staff_service.create_staff(s, world.case.court, "clerk9", "书记员", StaffRole.CLERK)
    s.commit()
    r = app.test_client().post(f"/api/v1/parties/{world.alice.id}/sessions/revoke",
                               headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 200 and r.get_json()["ended"] == 1
    assert thief.get("/m/").status_code in (302, 403)
    assert client.get(f"/m/documents/{world.doc.id}/file.pdf").status_code == 403
    assert session_row(client) is None
    assert person.id


def test_the_cookie_carries_no_identity_but_an_opaque_token(client, world):
    person = sign_in(client, world.alice)
    with client.session_transaction() as sess:
        assert set(sess) <= {"sms_link", "m_sid", "csrf_token", "_permanent"}
        assert str(person.id) not in sess["m_sid"] or len(sess["m_sid"]) > 20


def test_the_console_button_ends_the_partys_sessions(app, client, world):
    import re

    from court.models import StaffRole
    from court.services import staff as staff_service

    sign_in(client, world.alice)
    s = db.session()
    clerk, _key = staff_service.create_staff(s, world.case.court, "clerk9", "书记员", StaffRole.CLERK)
    staff_service.set_password(s, clerk, "correct horse battery")
    s.commit()
    console = app.test_client()

    def token(path: str) -> str:
        return re.search(r'name="csrf_token" value="([^"]+)"', console.get(path).get_data(as_text=True)).group(1)

    console.post("/console/login", data={"username": "clerk9", "password": "correct horse battery",
                                         "csrf_token": token("/console/login")})
    page = console.get(f"/console/cases/{world.case.id}").get_data(as_text=True)
    assert "结束网页会话" in page
    r = console.post(f"/console/parties/{world.alice.id}/sessions/revoke",
                     data={"csrf_token": token(f"/console/cases/{world.case.id}")}, follow_redirects=True)
    assert r.status_code == 200 and "已结束 张三 的 1 个网页会话" in r.get_data(as_text=True)
    assert client.get("/m/").status_code in (302, 403)


def test_an_sms_code_alone_does_not_replace_a_verified_phone(app, client, world, run_jobs):
    """The court's party record has a phone the person never proved; entering its code proves who
    holds that phone, not who the person is: the verified phone changes only after the face check."""
    from court import crypto
    from court.models import Person

    s = db.session()
    party = s.get(Party, world.alice.id)
    number = crypto.decrypt(party.id_number_enc)
    person = Person(real_name=party.name, id_number_enc=crypto.encrypt(number), id_number_hash=party.id_number_hash,
                    id_number_masked=crypto.mask_id_number(number), phone="13700000000", phone_verified_at=db.utcnow())
    s.add(person)
    s.commit()
    person_id = person.id
    token = _through_the_sms_code(client, world.alice, world.doc.id)
    assert db.session().get(Person, person_id).phone == "13700000000"
    _send_photo(client, token, "good")
    run_jobs(("default",))
    assert client.get("/m/face/status").get_json()["ok"] is True
    s = db.session()
    s.expire_all()
    person = s.get(Person, person_id)
    assert person.phone == "13800000001" and person.phone_verified_at is not None
    assert s.get(Party, world.alice.id).person_id == person_id
