"""Staff add organisation parties and their agents, with the power of attorney, in the console and
the API, and revoke an agent (issue 13)."""
from __future__ import annotations

import io
import re

from court import db
from court.models import AgentAuthority, Party, PartyRole
from tests.support.factories import id_number, pdf_bytes

ACME_USCC = "91110108551385082Q"


def _new_case(console) -> int:  # type: ignore[no-untyped-def]
    console.login()
    r = console.post("/console/cases", {"number": "（2026）京0491民初99号", "type": "civil", "title": "买卖合同纠纷"})
    return int(r.headers["Location"].rstrip("/").split("/")[-1])


def test_console_organisation_legal_rep_agent_and_revocation(console, client):
    case_id = _new_case(console)
    assert "单位当事人与代理人" in console.get(f"/console/cases/{case_id}").get_data(as_text=True)
    page = f"/console/cases/{case_id}/agents"

    wrong = console.post(f"/console/cases/{case_id}/organisations",
                         {"role": "defendant", "name": "北京某某科技有限公司", "uscc": "91110108551385082A"})
    assert wrong.status_code == 400 and "统一社会信用代码校验位不正确" in wrong.get_data(as_text=True)
    assert db.session().query(Party).filter_by(case_id=case_id).count() == 0

    added = console.post(f"/console/cases/{case_id}/organisations", {
        "role": "defendant", "name": "北京某某科技有限公司", "uscc": ACME_USCC.lower(), "agent_name": "王总",
        "agent_id_number": id_number(seq="555"), "agent_phone": "13900000001"}, follow_redirects=True)
    html = added.get_data(as_text=True)
    assert re.search(r'class="code-big">([A-Z0-9-]+)<', html), "the legal representative's association code is shown once"
    company = db.session().query(Party).filter_by(case_id=case_id, kind="organisation").one()
    assert company.uscc == ACME_USCC

    no_poa = console.post(f"/console/cases/{case_id}/agents", {
        "principal_id": str(company.id), "agent_role": "lawyer", "scope": "general", "agent_name": "李律师",
        "agent_id_number": id_number(seq="777"), "agent_phone": "13900000007"}, content_type="multipart/form-data")
    assert no_poa.status_code == 400 and "请上传授权委托书" in no_poa.get_data(as_text=True)
    not_pdf = console.post(f"/console/cases/{case_id}/agents", {
        "principal_id": str(company.id), "agent_role": "lawyer", "scope": "general", "agent_name": "李律师",
        "agent_id_number": id_number(seq="777"), "agent_phone": "13900000007",
        "poa": (io.BytesIO(b"<html>forged</html>"), "poa.pdf")}, content_type="multipart/form-data")
    assert not_pdf.status_code in (400, 415) and "文件不是PDF格式" in not_pdf.get_data(as_text=True)

    poa = pdf_bytes(1, "Power of attorney")
    ok = console.post(f"/console/cases/{case_id}/agents", {
        "principal_id": str(company.id), "agent_role": "lawyer", "scope": "general", "agent_name": "李律师",
        "agent_id_number": id_number(seq="777"), "agent_phone": "13900000007", "valid_until": "2099-06-30",
        "poa": (io.BytesIO(poa), "poa.pdf")}, content_type="multipart/form-data", follow_redirects=True)
    assert re.search(r'class="code-big">([A-Z0-9-]+)<', ok.get_data(as_text=True))
    listing = console.get(page).get_data(as_text=True)
    assert "李律师" in listing and "一般授权" in listing and "2099-06-30" in listing and "法定代表人" in listing
    lawyer = db.session().query(AgentAuthority).filter_by(role="lawyer").one()
    assert console.get(f"/console/agents/{lawyer.id}/poa.pdf").data == poa

    revoked = console.post(f"/console/agents/{lawyer.id}/revoke", {"reason": "当事人解除委托"}, follow_redirects=True)
    assert "已撤销" in revoked.get_data(as_text=True)
    db.session().expire_all()
    assert db.session().get(AgentAuthority, lawyer.id).revoked_at is not None


def test_api_organisation_and_agent(api):
    r = api("post", "/cases", json={"number": "（2026）京0491民初98号", "type": "civil", "title": "合同纠纷"})
    case_id = r.get_json()["id"]
    bad = api("post", f"/cases/{case_id}/parties", json={"parties": [
        {"role": "defendant", "name": "北京某某科技有限公司", "kind": "organisation", "uscc": "91110108551385082A"}]})
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "bad_uscc"
    assert "校验位不正确" in bad.get_json()["error"]["message"]
    made = api("post", f"/cases/{case_id}/parties", json={"parties": [
        {"role": "defendant", "name": "北京某某科技有限公司", "kind": "organisation", "uscc": ACME_USCC}]})
    assert made.status_code == 201
    company = made.get_json()[0]
    assert company["kind"] == "organisation" and company["uscc"] == ACME_USCC
    added = api("post", f"/parties/{company['id']}/agents", data={
        "agent_role": "lawyer", "scope": "special", "agent_name": "李律师", "agent_id_number": id_number(seq="777"),
        "agent_phone": "13900000007", "poa": (io.BytesIO(pdf_bytes(1, "POA")), "poa.pdf")},
        content_type="multipart/form-data")
    assert added.status_code == 201, added.get_json()
    body = added.get_json()
    assert body["status"] == "active" and body["scope"] == "special" and body["association_code"]
    assert body["agent_id_number_masked"] and id_number(seq="777") not in str(body)
    listed = api("get", f"/parties/{company['id']}/agents").get_json()
    assert [a["association_code"] for a in listed] == [None]  # the code is shown only once
    forbidden = api("post", f"/agents/{body['id']}/revoke", role="seal_approver")
    assert forbidden.status_code == 403
    gone = api("post", f"/agents/{body['id']}/revoke", data={"reason": "解除委托"})
    assert gone.status_code == 200 and gone.get_json()["status"] == "revoked"
    agent_record = db.session().get(Party, body["agent_party_id"])
    assert agent_record.role is PartyRole.AGENT
