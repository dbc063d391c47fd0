"""A party sees only their own documents: other parties' ids, stale sessions and forged links get nothing."""
from __future__ import annotations

from court import db
from court.models import StepAction
from tests.web_sign.conftest import make_world, session_row, sign_in


def test_pages_need_a_link_or_wechat(client, world):
    r = client.get("/m/")
    assert r.status_code == 403
    assert "短信" in r.get_data(as_text=True)
    assert client.get(f"/m/documents/{world.doc.id}").status_code == 403
    assert client.get(f"/m/documents/{world.doc.id}/pages/1.png").status_code == 403
    assert client.get(f"/m/documents/{world.doc.id}/file.pdf").status_code == 403


def test_link_without_identity_goes_to_the_code_page(client, world):
    with client.session_transaction() as sess:
        sess["sms_link"] = {"party_id": world.alice.id, "document_id": world.doc.id, "purpose": "receive",
                            "link_id": 1}
    r = client.get(f"/m/documents/{world.doc.id}")
    assert r.status_code == 302 and "/m/identity" in r.headers["Location"]
    # nothing of the document before the identity check
    assert client.get(f"/m/documents/{world.doc.id}/file.pdf").status_code == 403


def test_identified_but_no_face_check_goes_to_face(client, world):
    sign_in(client, world.alice, face=False)
    r = client.get(f"/m/documents/{world.doc.id}")
    assert r.status_code == 302 and "/m/face" in r.headers["Location"]


def test_other_partys_document_is_404(client, app):
    mine = make_world()
    s = db.session()
    # a second case in another court with its own document, not Alice's
    from court.services import cases, documents, staff
    from tests.support.factories import pdf_bytes

    court = staff.create_court(s, "上海金融法院", "沪74")
    other = cases.create_case(s, court, "（2026）沪74民初9号", "civil")
    doc = documents.upload(s, other, documents.parse_kind("ruling"), "裁定书", pdf_bytes(), max_bytes=10**6)
    s.commit()
    sign_in(client, mine.alice)
    for path in (f"/m/documents/{doc.id}", f"/m/documents/{doc.id}/pages/1.png", f"/m/documents/{doc.id}/file.pdf",
                 f"/m/documents/{doc.id}/sign", f"/m/documents/{doc.id}/receipt", f"/m/documents/{doc.id}/status",
                 "/m/documents/999999", "/m/documents/999999/file.pdf"):
        assert client.get(path).status_code == 404, path


def test_same_case_document_without_a_step_for_me_is_404(client, app):
    w = make_world()
    s = db.session()
    from court.services import documents, flows
    from tests.support.factories import pdf_bytes

    only_bob = documents.upload(s, w.case, documents.parse_kind("notice"), "举证通知书（仅被告）", pdf_bytes(),
                                max_bytes=10**6)
    flows.start_flow(s, only_bob, [flows.StepInput(StepAction.RECEIVE, party_id=w.bob.id)])
    s.commit()
    sign_in(client, w.alice)
    assert client.get(f"/m/documents/{only_bob.id}").status_code == 404
    assert client.get(f"/m/documents/{only_bob.id}/file.pdf").status_code == 404
    home = client.get("/m/").get_data(as_text=True)
    assert "民事判决书" in home and "仅被告" not in home


def test_forged_session_party_ids_do_not_reach_other_parties_through_a_new_link(client, world):
    """A new SMS link for another party in the same browser drops the old identity."""
    alice = sign_in(client, world.alice)
    assert alice.id
    with client.session_transaction() as sess:
        sess["sms_link"] = {"party_id": world.bob.id, "document_id": world.doc.id, "purpose": "receive", "link_id": 2}
    r = client.get(f"/m/documents/{world.doc.id}")
    assert r.status_code == 302 and "/m/identity" in r.headers["Location"]


def test_waiting_step_does_not_show_the_unsealed_draft(client, app):
    w = make_world(ordered=True)  # Bob's step waits behind Alice's
    sign_in(client, w.bob)
    assert client.get(f"/m/documents/{w.doc.id}").status_code == 404
    assert client.get(f"/m/documents/{w.doc.id}/pages/1.png").status_code == 404


def test_handoff_token_is_single_use_and_bound_to_the_person(client, app, world):
    person = sign_in(client, world.alice)
    r = client.get(f"/m/documents/{world.doc.id}/handoff")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "<svg" in html and "/m/h/" in html
    import re

    url = re.search(r'data-url="([^"]+)"', html).group(1)
    path = url.split("court.test", 1)[1]
    phone = app.test_client()
    land = phone.get(path)
    assert land.status_code == 302 and land.headers["Location"].endswith(f"/m/documents/{world.doc.id}")
    row = session_row(phone)
    assert row.person_id == person.id and row.via == "handoff"  # a session of its own, no face check yet
    # the phone still has to pass the face check before it sees anything
    assert "/m/face" in phone.get(f"/m/documents/{world.doc.id}").headers["Location"]
    again = app.test_client().get(path)
    assert again.status_code == 410
    assert app.test_client().get("/m/h/made-up-token").status_code == 410


def test_handoff_for_someone_elses_document_is_404(client, app, world):
    sign_in(client, world.alice)
    assert client.get("/m/documents/424242/handoff").status_code == 404


def test_post_without_csrf_token_is_refused(client, world):
    sign_in(client, world.alice)
    r = client.post(f"/m/documents/{world.doc.id}/sign", data={"signature": "data:image/png;base64,AAAA"})
    assert r.status_code == 400
    assert client.post("/m/logout").status_code == 400


def test_logout_forgets_the_party(client, world):
    from tests.web_sign.conftest import csrf

    sign_in(client, world.alice)
    token = csrf(client, "/m/")
    out = client.post("/m/logout", data={"csrf_token": token}, follow_redirects=True)
    assert out.status_code == 200 and "您已安全退出" in out.get_data(as_text=True)
    assert client.get("/m/").status_code == 403


def test_no_personal_data_in_party_urls(client, world):
    """Ids and opaque tokens only: no phone number or ID number anywhere in a link."""
    import re

    sign_in(client, world.alice)
    html = client.get("/m/").get_data(as_text=True)
    for href in re.findall(r'href="([^"]+)"', html):
        assert "13800000001" not in href and "110101" not in href
