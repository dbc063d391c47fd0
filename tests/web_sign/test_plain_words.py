"""Issue 12 items 4 and 6 through the Flask client: the consent page says in plain words what she
agrees to and offers 同意 and 不同意 as equal buttons; the sign page says what 签收 means and
when service took effect (and why that can be before her signature); the large-text switch works
without JavaScript and is remembered."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from court import db
from court.display import local_time
from court.models import Case, Consent, ServiceRecord
from tests.web_sign.conftest import csrf, make_world, mark_ready, needs_signing, person_for, sign_in
from tests.web_sign.test_consent_gate import _person_without_consent

pytestmark = needs_signing


def _buttons(html: str) -> dict[str, str]:
    """The consent form's submit buttons: id → the decision it sends."""
    return {m.group(2): m.group(1) for m in re.finditer(r'<button name="decision" value="(\w+)" id="([\w-]+)"', html)}


def test_consent_page_summarises_in_plain_words_with_the_full_text_one_tap_away(client, app):
    w = make_world()
    sign_in(client, w.alice, _person_without_consent(w.alice))
    html = client.get(f"/m/consent/{w.case.id}").get_data(as_text=True)
    summary = html[html.index('id="consent-summary"'):html.index('id="consent-full"')]
    lines = re.findall(r"<li>(.*?)</li>", summary)
    assert 3 <= len(lines) <= 4
    assert "第九十条" not in summary and "《" not in summary  # no statute citations in the summary
    assert any("不同意" in line and "邮寄" in line for line in lines)  # she may refuse, and then how she is served
    assert any("撤回" in line for line in lines)
    assert any("138****0001" in line for line in lines)  # the address she would be served at, masked
    full = html[html.index('id="consent-full"'):]
    assert full.index("<summary>") < full.index("第九十条")  # the full text is behind one tap
    assert _buttons(html) == {"consent-submit": "agree", "consent-decline": "decline"}
    assert 'type="checkbox"' not in html  # one tap decides; no hidden tick needed


def test_the_agree_button_records_consent_and_carries_on(client, app):
    w = make_world()
    sign_in(client, w.alice, _person_without_consent(w.alice))
    token = csrf(client, f"/m/consent/{w.case.id}")
    r = client.post(f"/m/consent/{w.case.id}", data={"csrf_token": token, "decision": "agree",
                                                       "next": f"/m/documents/{w.doc.id}"})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/m/documents/{w.doc.id}")
    [row] = db.session().scalars(select(Consent).where(Consent.party_id == w.alice.id)).all()
    assert row.decision == "given" and row.method == "web" and "第九十条" in row.text_shown
    assert client.get(f"/m/documents/{w.doc.id}").status_code == 200


def test_the_decline_button_goes_through_the_decline_path(client, app):
    w = make_world()
    sign_in(client, w.alice, _person_without_consent(w.alice))
    token = csrf(client, f"/m/consent/{w.case.id}")
    r = client.post(f"/m/consent/{w.case.id}", data={"csrf_token": token, "decision": "decline", "reason": ""})
    assert r.status_code == 200 and "已记录您不同意电子送达" in r.get_data(as_text=True)
    [row] = db.session().scalars(select(Consent).where(Consent.party_id == w.alice.id)).all()
    assert row.decision == "declined"
    db.session().expire_all()
    assert "不同意电子送达" in db.session().get(Case, w.case.id).needs_attention
    assert client.get(f"/m/documents/{w.doc.id}/file.pdf").status_code == 403


def test_a_post_without_a_choice_records_nothing(client, app):
    w = make_world()
    sign_in(client, w.alice, _person_without_consent(w.alice))
    token = csrf(client, f"/m/consent/{w.case.id}")
    for data in ({}, {"decision": "yes please"}, {"decision": "AGREE"}):
        r = client.post(f"/m/consent/{w.case.id}", data={"csrf_token": token, **data})
        assert r.status_code == 200 and "请选择同意或不同意电子送达" in r.get_data(as_text=True)
    assert db.session().scalars(select(Consent).where(Consent.party_id == w.alice.id)).all() == []


def _sign_page(client, w) -> str:  # type: ignore[no-untyped-def]
    mark_ready(w.step(w.alice))
    r = client.get(f"/m/documents/{w.doc.id}/sign")
    assert r.status_code == 200
    return r.get_data(as_text=True)


def test_sign_page_says_signing_is_receipt_not_agreement_and_when_service_took_effect(client, app):
    from court.services import service_date

    w = make_world()
    person = person_for(w.alice)  # consented, with her phone as the address
    s = db.session()
    rec = ServiceRecord(party_id=w.alice.id, document_id=w.doc.id, channels_tried=[])
    s.add(rec)
    s.flush()
    arrived = db.utcnow() + timedelta(seconds=1)  # the SMS reached her phone after she consented
    assert service_date.record_event(s, rec, channel="sms", event="delivered", at=arrived, address="13800000001")
    s.commit()
    sign_in(client, w.alice, person)
    html = _sign_page(client, w)
    meaning = html[html.index('id="sign-meaning"'):html.index('id="service-time"')]
    assert "不表示您同意文书的内容" in meaning and "从送达之日起计算" in meaning
    when = html[html.index('id="service-time"'):html.index('id="sign-form"')]
    assert local_time(arrived) in when and "短信消息到达您的时间" in when and "早于您签收的时间" in when


def test_sign_page_before_any_arrival_says_signing_completes_service(client, app):
    w = make_world()
    sign_in(client, w.alice)
    html = _sign_page(client, w)
    assert "签收时，本文书即完成送达" in html
    assert 'id="pad-confirm"' in html and 'id="pad-clear"' in html and 'id="pad-full"' in html


def test_large_text_switch_works_without_javascript_and_is_remembered(client, app):
    w = make_world()
    sign_in(client, w.alice)
    here = f"/m/documents/{w.doc.id}"
    page = client.get(here).get_data(as_text=True)
    switch = re.search(r'<a class="text-size" id="text-size" href="([^"]+)"', page)
    assert switch and "大字模式" in page and "m-large.css" not in page
    r = client.get(switch.group(1).replace("&amp;", "&"))
    assert r.status_code == 302 and r.headers["Location"].endswith(here)
    cookie = r.headers["Set-Cookie"]
    assert cookie.startswith("m_text=large;") and "Max-Age=" in cookie  # only the preference, kept for a year
    for path in (here, "/m/", f"/m/consent/{w.case.id}"):  # remembered on every party page
        html = client.get(path).get_data(as_text=True)
        assert 'class="mobile large-text"' in html and "m-large.css" in html and "标准字号" in html
    back = re.search(r'id="text-size" href="([^"]+)"', client.get(here).get_data(as_text=True)).group(1)
    client.get(back.replace("&amp;", "&"))
    assert "m-large.css" not in client.get(here).get_data(as_text=True)


def test_large_text_switch_never_redirects_off_the_party_pages(client, app):
    for target in ("https://evil.example/", "//evil.example/m/", "/console/", "javascript:alert(1)"):
        r = client.get("/m/text-size", query_string={"size": "large", "next": target})
        assert r.status_code == 302 and r.headers["Location"] in ("/m/", "http://localhost/m/"), target


def test_large_text_switch_is_on_the_pages_before_sign_in(client, app):
    from tests.web_sign.test_identity_pages import open_link

    w = make_world()
    open_link(client, w.alice, w.doc.id)
    html = client.get("/m/identity").get_data(as_text=True)
    assert 'id="text-size"' in html
