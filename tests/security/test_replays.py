"""Replays: a captured cookie, a re-submitted form. Replays of WeChat callbacks (the same signed URL with
another body, stale timestamps) are attacked in tests/bot/test_webhook_security.py, of provider delivery
reports in tests/notify/test_consent_attacks.py, of the clerk's one-time link in
tests/staff/test_staff_verification.py, of party-page cookies in tests/web_sign/test_session_attacks.py."""
from __future__ import annotations

from court import db
from court.models import DocumentVersion, ServiceRecord
from court.services import staff as staff_service
from tests.web_sign.conftest import csrf, make_world, sign_in, signature_png


def _cookie_name(app) -> str:
    return app.config.get("SESSION_COOKIE_NAME", "session")


def _replay_after(app, client, console, end) -> int:
    """Log in, copy the console cookie, end the session with ``end``, present the copy again."""
    assert console.login("clerk1").status_code == 302
    name = _cookie_name(app)
    stolen = client.get_cookie(name).value
    assert client.get("/console/").status_code == 200
    end()
    thief = app.test_client()
    thief.set_cookie(name, stolen)
    return thief.get("/console/").status_code


def test_a_console_cookie_copied_before_logout_is_dead_after_it(app, client, console):
    status = _replay_after(app, client, console, lambda: console.post("/console/logout"))
    assert status == 302


def test_a_console_cookie_of_a_deactivated_clerk_is_dead(app, client, console):
    def deactivate() -> None:
        s = db.session()
        member = s.get(type(console.members["clerk"][0]), console.members["clerk"][0].id)
        staff_service.set_active(s, member, False, actor="staff:admin")
        s.commit()

    assert _replay_after(app, client, console, deactivate) == 302


def test_a_console_cookie_is_dead_after_the_password_is_changed(app, client, console):
    def new_password() -> None:
        s = db.session()
        member = s.get(type(console.members["clerk"][0]), console.members["clerk"][0].id)
        staff_service.set_password(s, member, "a brand new password", actor="staff:admin")
        s.commit()

    assert _replay_after(app, client, console, new_password) == 302


def test_a_sign_form_submitted_again_after_signing_adds_no_second_signature(client, app, run_jobs):
    w = make_world(seal=True)
    sign_in(client, w.alice)
    run_jobs(("signing",))
    token = csrf(client, f"/m/documents/{w.doc.id}/sign")
    form = {"csrf_token": token, "signature": signature_png()}
    assert client.post(f"/m/documents/{w.doc.id}/sign", data=form).status_code == 302
    run_jobs(("signing",))
    versions = db.session().query(DocumentVersion).filter_by(document_id=w.doc.id).count()
    receipt = db.session().query(ServiceRecord).filter_by(party_id=w.alice.id, document_id=w.doc.id).one().receipt_number
    again = client.post(f"/m/documents/{w.doc.id}/sign", data=form)
    assert again.status_code in (302, 303, 404, 409)
    run_jobs(("signing",))
    db.session.remove()
    assert db.session().query(DocumentVersion).filter_by(document_id=w.doc.id).count() == versions
    assert db.session().query(ServiceRecord).filter_by(party_id=w.alice.id,
                                                         document_id=w.doc.id).one().receipt_number == receipt
