"""Service by another method, recorded by a clerk for a party who declined e-service: post with the
return card, public notice, direct and left-at-address service, through the API and the console.
The attacks first: nonsense dates, a wrong tracking number, a fake return card, recording twice."""
from __future__ import annotations

import io
from datetime import timedelta

from court import db
from court.models import Case, OtherService, Party, ServiceRecord
from court.services import consent as consent_rules
from court.services import other_service
from tests.support.factories import pdf_bytes

TRACKING = "EA123456785CN"  # the UPU S10 form with a correct check digit


def _declined_party(api, number="（2026）京0491民初801号"):  # type: ignore[no-untyped-def]
    case = api("post", "/cases", json={"number": number, "type": "civil", "title": "合同纠纷"}).get_json()
    [party] = api("post", f"/cases/{case['id']}/parties", json={"parties": [
        {"role": "defendant", "name": "赵六", "phone": "13800007002"}]}).get_json()
    doc = api("post", f"/cases/{case['id']}/documents", content_type="multipart/form-data",
              data={"kind": "subpoena", "title": "传票", "file": (io.BytesIO(pdf_bytes()), "a.pdf")}).get_json()
    s = db.session()
    consent_rules.decline(s, s.get(Party, party["id"]), method="web", actor="person:1")
    s.commit()
    return case, party, doc


def _post(api, party_id, doc_id, card=True, **fields):  # type: ignore[no-untyped-def]
    data = {"document_id": str(doc_id), **fields}
    if card:
        data["card"] = (io.BytesIO(card if isinstance(card, bytes) else pdf_bytes(text="Return card")), "card.pdf")
    return api("post", f"/parties/{party_id}/other-service", content_type="multipart/form-data", data=data)


def _code(r):  # type: ignore[no-untyped-def]
    return r.status_code, r.get_json()["error"]["code"]


def test_postal_service_clears_the_flag_and_becomes_the_service_record(api):
    case, party, doc = _declined_party(api)
    assert "赵六：当事人不同意电子送达" in db.session().get(Case, case["id"]).needs_attention
    today = other_service.today().isoformat()
    r = _post(api, party["id"], doc["id"], method="postal", tracking_number="ea 1234 5678 5cn",
              posted_on=today, received_on=today)
    assert r.status_code == 201, r.get_json()
    out = r.get_json()
    assert out["tracking_number"] == TRACKING and out["served_on"] == today and out["return_card"] is True
    assert out["method_label"] == "邮寄送达"
    s = db.session()
    s.expire_all()
    assert s.get(Case, case["id"]).needs_attention is None  # the flag is cleared
    rec = s.query(ServiceRecord).filter_by(party_id=party["id"], document_id=doc["id"]).one()
    assert rec.effective_channel == "postal"
    assert rec.effective_at.astimezone(other_service.CHINA).date().isoformat() == today
    assert rec.channels_tried[-1]["detail"].startswith("邮寄送达，EMS EA123456785CN")
    # the same form sent twice: one record, the same answer
    again = _post(api, party["id"], doc["id"], method="postal", tracking_number=TRACKING,
                  posted_on=today, received_on=today)
    assert again.status_code == 201 and again.get_json()["id"] == out["id"]
    # a different one for the same party and document: a conflict that says what is there
    other = _post(api, party["id"], doc["id"], method="postal", tracking_number="1012345678901",
                  posted_on=today, received_on=today)
    assert _code(other) == (409, "already_recorded")
    assert "EA123456785CN" in other.get_json()["error"]["message"]
    assert db.session().query(OtherService).count() == 1
    assert [row["id"] for row in api("get", f"/parties/{party['id']}/other-service").get_json()] == [out["id"]]


def test_nonsense_is_refused_and_nothing_is_stored(api):
    _case, party, doc = _declined_party(api, "（2026）京0491民初802号")
    today = other_service.today()
    t, y, tomorrow = today.isoformat(), (today - timedelta(days=1)).isoformat(), (today + timedelta(days=1)).isoformat()
    cases = [
        (dict(method="postal", tracking_number=TRACKING, posted_on=t, received_on=y), "received_before_posted"),
        (dict(method="postal", tracking_number=TRACKING, posted_on=t, received_on=tomorrow), "date_in_future"),
        (dict(method="postal", tracking_number="EA123456784CN", posted_on=t, received_on=t), "bad_tracking"),
        (dict(method="postal", tracking_number="SF1234567890", posted_on=t, received_on=t), "bad_tracking"),
        (dict(method="postal", tracking_number="", posted_on=t, received_on=t), "tracking_required"),
        (dict(method="postal", tracking_number=TRACKING, posted_on="2026-13-40", received_on=t), "bad_date"),
        (dict(method="postal", tracking_number=TRACKING, posted_on="x" * 5000, received_on=t), "bad_date"),
        (dict(method="postal", tracking_number=TRACKING, posted_on="2020-01-01", received_on=t),
         "date_before_document"),
        (dict(method="public_notice", published_in="人民法院报", published_on=tomorrow), "date_in_future"),
        (dict(method="public_notice", published_on=t), "notice_required"),
        (dict(method="left", received_on=t), "witness_required"),
        (dict(method="telepathy", received_on=t), "bad_method"),
    ]
    for fields, code in cases:
        r = _post(api, party["id"], doc["id"], **fields)
        assert _code(r) == (400, code), (fields, r.get_json())
    assert _code(_post(api, party["id"], doc["id"], card=False, method="postal", tracking_number=TRACKING,
                       posted_on=t, received_on=t)) == (400, "card_required")
    fake = _post(api, party["id"], doc["id"], card=b"GIF89a not a return card", method="postal",
                 tracking_number=TRACKING, posted_on=t, received_on=t)
    assert fake.status_code == 415 and fake.get_json()["error"]["code"] == "not_pdf"
    assert _code(api("post", f"/parties/{party['id']}/other-service", content_type="multipart/form-data",
                     data={"document_id": "abc", "method": "postal"})) == (400, "document_required")
    assert api("post", f"/parties/{party['id']}/other-service", role="seal_approver",
               content_type="multipart/form-data", data={"document_id": str(doc["id"])}).status_code == 403
    s = db.session()
    assert s.query(OtherService).count() == 0
    assert s.query(ServiceRecord).filter(ServiceRecord.effective_at.is_not(None)).count() == 0


def test_public_notice_takes_effect_thirty_days_after_publication_sixty_abroad(api):
    _case, party, doc = _declined_party(api, "（2026）京0491民初803号")
    today = other_service.today()
    r = _post(api, party["id"], doc["id"], card=False, method="public_notice", published_in="人民法院报第3版",
              published_on=today.isoformat())
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["served_on"] == (today + timedelta(days=30)).isoformat()
    [party2] = api("post", f"/cases/{_case['id']}/parties", json={"parties": [
        {"role": "defendant", "name": "Smith", "phone": "13800007003"}]}).get_json()
    r2 = _post(api, party2["id"], doc["id"], card=False, method="public_notice", published_in="人民法院报",
               published_on=today.isoformat(), abroad="true")
    assert r2.get_json()["served_on"] == (today + timedelta(days=60)).isoformat()


def test_left_at_address_names_its_witnesses_and_a_document_of_another_case_is_refused(api):
    _case, party, doc = _declined_party(api, "（2026）京0491民初804号")
    _case2, _party2, doc2 = _declined_party(api, "（2026）京0491民初805号")
    t = other_service.today().isoformat()
    assert _code(_post(api, party["id"], doc2["id"], method="left", received_on=t, witnesses="居委会李主任")) == \
        (404, "document_not_found")
    r = _post(api, party["id"], doc["id"], method="left", received_on=t, witnesses="居委会李主任、物业王经理")
    assert r.status_code == 201 and r.get_json()["witnesses"] == ["居委会李主任", "物业王经理"]


def test_a_document_already_served_electronically_is_not_served_again(api):
    _case, party, doc = _declined_party(api, "（2026）京0491民初806号")
    s = db.session()
    s.add(ServiceRecord(party_id=party["id"], document_id=doc["id"], channels_tried=[],
                        effective_at=db.utcnow() - timedelta(hours=1), effective_channel="sms"))
    s.commit()
    t = other_service.today().isoformat()
    r = _post(api, party["id"], doc["id"], method="postal", tracking_number=TRACKING, posted_on=t, received_on=t)
    assert _code(r) == (409, "already_served")


def test_console_shows_the_flag_records_postal_service_and_the_case_page_shows_the_date(console, api):
    case, party, doc = _declined_party(api, "（2026）京0491民初807号")
    console.login()
    page = console.get(f"/console/cases/{case['id']}").get_data(as_text=True)
    assert "赵六：当事人不同意电子送达" in page and "录入其他方式送达" in page
    form = console.get(f"/console/parties/{party['id']}/other-service").get_data(as_text=True)
    assert "EMS单号" in form and "送达回证扫描件" in form
    t = other_service.today().isoformat()
    bad = console.post(f"/console/parties/{party['id']}/other-service", content_type="multipart/form-data", data={
        "document_id": str(doc["id"]), "method": "postal", "tracking_number": "EA123456784CN", "posted_on": t,
        "received_on": t, "card": (io.BytesIO(pdf_bytes()), "card.pdf")})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "校验位不符" in html and 'value="EA123456784CN"' in html  # nothing typed is lost
    r = console.post(f"/console/parties/{party['id']}/other-service", content_type="multipart/form-data", data={
        "document_id": str(doc["id"]), "method": "postal", "tracking_number": TRACKING, "posted_on": t,
        "received_on": t, "card": (io.BytesIO(pdf_bytes()), "card.pdf")}, follow_redirects=True)
    html = r.get_data(as_text=True)
    assert f"已录入赵六的邮寄送达，送达日期为{t}" in html
    assert "当事人不同意电子送达" not in html  # the flag is gone from the case page
    assert f"<td>{t}</td>" in html and "邮寄送达，EMS EA123456785CN" in html


def test_the_case_bundle_carries_the_other_service_and_its_return_card(api, tmp_path):
    case, party, doc = _declined_party(api, "（2026）京0491民初808号")
    t = other_service.today().isoformat()
    card = pdf_bytes(text="Return card signed by Zhao Liu")
    assert _post(api, party["id"], doc["id"], card=card, method="postal", tracking_number=TRACKING,
                 posted_on=t, received_on=t).status_code == 201
    r = api("get", f"/cases/{case['id']}/export")
    assert r.status_code == 200
    path = tmp_path / "case.zip"
    path.write_bytes(r.data)
    import json
    import zipfile

    from signing import bundle_verify

    with zipfile.ZipFile(path) as zf:
        [entry] = json.loads(zf.read("evidence/other_service.json"))
        assert entry["method"] == "postal" and entry["tracking_number"] == TRACKING and entry["served_on"] == t
        assert zf.read(entry["return_card"]) == card
        records = json.loads(zf.read("evidence/delivery.json"))["service_records"]
        assert [r["effective_channel"] for r in records if r["party_id"] == party["id"]] == ["postal"]
    assert bundle_verify.verify_bundle(path).ok


def test_the_console_in_english_names_the_method_and_evidence_in_english(console, api):
    _case, party, doc = _declined_party(api, "（2026）京0491民初809号")
    t = other_service.today().isoformat()
    assert _post(api, party["id"], doc["id"], method="left", received_on=t, witnesses="居委会李主任").status_code == 201
    console.login()
    html = console.get(f"/console/parties/{party['id']}/other-service?lang=en").get_data(as_text=True)
    assert f"Left at the address, left {t}, witnesses: 居委会李主任" in html
    assert "Record service by another method" in html and "留置" not in html
    rec = db.session().query(ServiceRecord).filter_by(party_id=party["id"]).one()
    assert rec.channels_tried[-1]["detail"] == f"留置送达，{t}留置，见证人：居委会李主任"  # the record keeps Chinese


def test_the_court_system_receives_the_postal_service_as_service_effective(api, run_jobs, receiver):
    from notify import webhooks as sender

    ep = api("post", "/webhooks", role="admin", json={"url": receiver.url, "events": ["service.effective"]}).json
    _case, party, doc = _declined_party(api, "（2026）京0491民初810号")
    t = other_service.today().isoformat()
    assert _post(api, party["id"], doc["id"], method="postal", tracking_number=TRACKING, posted_on=t,
                 received_on=t).status_code == 201
    sender.pump()
    run_jobs(("notify",))
    [event] = receiver.events(ep["secret"]).values()
    assert event["type"] == "service.effective" and event["subject"] == f"party:{party['id']}"
    data = event["data"]
    assert data["channel"] == "postal" and data["served_on"] == t and data["tracking_number"] == TRACKING
    assert data["document_id"] == doc["id"] and len(data["return_card_sha256"]) == 64
