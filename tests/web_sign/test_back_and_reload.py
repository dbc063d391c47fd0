"""Issue 12, item 8: every identity step survives back, reload and reopening the link. Each step
page is drawn from the server's state, and every form answers with a redirect (post/redirect/get),
so the browser never offers to send a form again."""
from __future__ import annotations

from court import db
from court.models import Party
from tests.web_sign.conftest import csrf, needs_identity
from tests.web_sign.test_identity_pages import open_link, sent_code
from tests.web_sign.test_session_attacks import _send_photo

pytestmark = needs_identity


def _through_sms(client, party: Party, document_id: int) -> str:
    open_link(client, party, document_id)
    token = csrf(client, "/m/identity")
    client.post("/m/identity/send", data={"csrf_token": token})
    r = client.post("/m/identity/verify", data={"csrf_token": token, "code": sent_code(party.phone),
                                                "next": f"/m/documents/{document_id}"})
    assert "/m/face" in r.headers["Location"]
    return token


def test_back_from_the_face_page_shows_the_sms_step_done(client, world):
    _through_sms(client, world.alice, world.doc.id)
    page = client.get(f"/m/identity?next=/m/documents/{world.doc.id}").get_data(as_text=True)
    assert 'id="sms-done"' in page and 'class="done">短信验证' in page
    assert 'id="verify-code"' not in page and 'id="send-code"' not in page  # nothing to do again
    assert f'id="sms-continue" href="/m/documents/{world.doc.id}"' in page


def test_reopening_the_link_after_the_face_check_goes_straight_on(client, world, run_jobs):
    token = _through_sms(client, world.alice, world.doc.id)
    _send_photo(client, token, "good")
    run_jobs(("default",))
    assert client.get("/m/face/status").get_json()["ok"]
    # reload of the waiting page, back to the face page: the check is done, so on to what is next
    wait = client.get(f"/m/face/wait?next=/m/documents/{world.doc.id}")
    assert wait.status_code == 302
    face = client.get(wait.headers["Location"])
    assert face.status_code == 302 and f"/m/consent/{world.case.id}" in face.headers["Location"]
    # the link opened again in the same browser: the SMS step is shown done, no new code needed
    open_link(client, world.alice, world.doc.id)
    assert 'id="sms-done"' in client.get("/m/identity").get_data(as_text=True)


def test_every_identity_and_consent_form_answers_with_a_redirect(client, world, run_jobs):
    token = _through_sms(client, world.alice, world.doc.id)
    _send_photo(client, token, "good")
    run_jobs(("default",))
    consent_url = client.get(f"/m/face/status?next=/m/documents/{world.doc.id}").get_json()["next"]
    failed = client.post(consent_url, data={"csrf_token": token, "next": f"/m/documents/{world.doc.id}"})
    assert failed.status_code == 302  # a failed submit too: back and reload show a page, not a re-post
    shown = client.get(failed.headers["Location"]).get_data(as_text=True)
    assert "请选择同意或不同意电子送达" in shown and 'id="consent-submit"' in shown
    ok = client.post(consent_url, data={"csrf_token": token, "decision": "agree",
                                          "next": f"/m/documents/{world.doc.id}"})
    assert ok.status_code == 302 and ok.headers["Location"].endswith(f"/m/documents/{world.doc.id}")
    assert client.get(f"/m/documents/{world.doc.id}").status_code == 200
    out = client.post("/m/logout", data={"csrf_token": token})
    assert out.status_code == 302
    assert "您已安全退出" in client.get(out.headers["Location"]).get_data(as_text=True)
    assert db.session().get(Party, world.alice.id).person_id is not None
