"""A company's agent receives and signs for a judgment (issue 13): the clerk enters the company with
its unified social credit code and its lawyer with the power of attorney; the lawyer gets their own
SMS link, proves who they are (SMS code and face check against their own identity), agrees to
electronic service for the company, signs the receipt, and the credential says who signed for whom."""
from __future__ import annotations

import subprocess

from court import db
from court.models import Party, ServiceRecord, StepAction
from court.services import cases, documents, flow_seal, flows
from tests.e2e.conftest import requires
from tests.e2e.helpers import (
    at,
    console_login,
    court_with_staff,
    face_photo,
    open_sms_link,
    pdf_from,
    prove_identity,
    read,
    sign_on_page,
    verify_pdf,
)
from tests.support.factories import id_number, pdf_bytes

pytestmark = requires("identity.otp", "signing.party", "notify.links")

ACME = "北京某某科技有限公司"
ACME_USCC = "91110108551385082Q"
LAWYER_PHONE = "13900000007"


def test_company_agent_receives_and_signs_for_a_judgment(stack, desktop, phone, shots, tmp_path):
    court, _staff = court_with_staff()
    s = db.session()
    court = s.get(type(court), court.id)
    flow_seal.set_approval_kinds(s, court, [], actor="test")  # seal approval is another journey's subject
    case = cases.create_case(s, court, "（2026）京0491民初4096号", "civil", "买卖合同纠纷")
    case_id = case.id
    s.commit()
    db.session.remove()

    page = desktop
    console_login(page, "clerk1")
    page.goto(f"/console/cases/{case_id}")
    page.click("#agents-link")
    page.wait_for_url(at(r"/agents$"))
    page.select_option("#org-role", "defendant")
    page.fill("#org-name", ACME)
    page.fill("#org-uscc", "91110108551385082A")  # one character mistyped
    page.click("#org-submit")
    page.wait_for_selector(".flash")
    shots(page, "console-wrong-uscc")
    assert "统一社会信用代码校验位不正确" in page.inner_text("main")
    page.select_option("#org-role", "defendant")
    page.fill("#org-name", ACME)
    page.fill("#org-uscc", ACME_USCC)
    page.click("#org-submit")
    page.wait_for_url(at(r"/agents$"))
    shots(page, "console-company-added")

    poa = tmp_path / "poa.pdf"
    poa.write_bytes(pdf_bytes(1, "Power of attorney"))
    page.select_option("#agent-role", "lawyer")
    page.select_option("#scope", "general")
    page.fill("#agent-name", "李律师")
    page.fill("#agent-id", id_number(seq="777"))
    page.fill("#agent-phone", LAWYER_PHONE)
    page.set_input_files("#poa", str(poa))
    page.click("#agent-submit")
    page.wait_for_selector(".code-big")
    shots(page, "console-agent-code")
    page.goto(f"/console/cases/{case_id}/agents")
    shots(page, "console-agents")
    assert "李律师" in page.inner_text("main") and "一般授权" in page.inner_text("main")

    # the judgment is served on the company; the SMS goes to its lawyer
    s = db.session()
    company = s.query(Party).filter_by(case_id=case_id, kind="organisation").one()
    company_id = company.id
    doc = documents.upload(s, company.case, documents.parse_kind("judgment"), "民事判决书",
                           pdf_bytes(2, "Judgment against the company"), filename="judgment.pdf",
                           max_bytes=5 * 1024 * 1024)
    doc_id = doc.id
    flows.start_flow(s, doc, [flows.StepInput(StepAction.SEAL), flows.StepInput(StepAction.RECEIVE,
                                                                                 party_id=company_id)])
    s.commit()
    db.session.remove()

    lawyer = phone()
    open_sms_link(lawyer, LAWYER_PHONE, shots)
    assert "李律师" in lawyer.inner_text("main") or "139****0007" in lawyer.inner_text("main")
    prove_identity(lawyer, LAWYER_PHONE, face_photo(tmp_path), shots)
    assert lawyer.url.endswith(f"/m/documents/{doc_id}")
    sign_on_page(lawyer, shots)
    lawyer.wait_for_url(at(r"/receipt$"), timeout=60_000)
    lawyer.wait_for_selector("#credential", timeout=90_000)
    shots(lawyer, "agent-receipt")
    assert "由委托诉讼代理人 李律师 代为签收" in lawyer.inner_text("#acted-for")
    with lawyer.expect_download() as dl:
        lawyer.click("#credential")
    credential = pdf_from(dl.value)
    assert verify_pdf(credential).ok
    text = subprocess.run(["pdftotext", "-", "-"], input=credential, capture_output=True, check=True).stdout.decode()
    flat = "".join(text.split())
    said = f"{ACME}（统一社会信用代码{ACME_USCC}）由委托诉讼代理人李律师代为签收"
    assert said in flat, text
    assert "由委托诉讼代理人李律师代为同意" in flat
    assert "139****0007" in flat  # the SMS to the lawyer is in the channel record
    rec = read(lambda s: s.query(ServiceRecord).filter_by(party_id=company_id, document_id=doc_id).one())
    assert rec.acted_for and rec.acted_for.replace(" ", "") == said and rec.effective_at is not None

    page.goto(f"/console/cases/{case_id}")
    shots(page, "console-case-served-on-company")
