"""A court's console with something on every page: a case with parties (one without any
address), a document waiting for the seal approver, a sealed and finished document, the
parties' credentials, a hearing notice pushed and sent, and the audit rows all that left."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from court import db
from court.display import CHINA
from court.models import Case, Document, DocumentKind, DocumentStatus, Party, PartyRole, ServiceRecord, StepAction
from court.services import cases, consent, documents, flows
from notify import push as pushes
from tests.support.factories import id_number, pdf_bytes

NAMES = {"judge": "周法官", "clerk": "吴书记员", "seal_approver": "郑用印", "admin": "王管理员"}


@dataclass
class World:
    case: Case
    parties: list[Party]
    waiting: Document  # a judgment whose seal waits for the approver
    finished: Document  # sealed and served: its flow is over
    credentials: list[Document]
    push_id: int


def hearing_time(days: int = 3) -> str:
    """A hearing ``days`` ahead, as the date-time picker sends it (Beijing time)."""
    return (datetime.now(CHINA) + timedelta(days=days)).strftime("%Y-%m-%dT09:30")


def build(s, members, run_jobs) -> World:  # type: ignore[no-untyped-def]
    for role, (member, _key) in members.items():
        member.name = NAMES[role]
    court = members["clerk"][0].court
    case = cases.create_case(s, court, "（2026）京0491民初123号", "civil", "网络购物合同纠纷", actor=f"staff:{members['clerk'][0].id}")
    added = cases.add_parties(s, case, [
        cases.PartyInput(PartyRole.PLAINTIFF, "张三", id_number(seq="311"), "13800000031"),
        cases.PartyInput(PartyRole.DEFENDANT, "李四", id_number(seq="322"), "13800000032"),
        cases.PartyInput(PartyRole.THIRD_PARTY, "王五", id_number(seq="333"), None)], actor=f"staff:{members['clerk'][0].id}")
    for party in [p for p, _code in added][:2]:  # consent on paper, entered by the clerk
        consent.give(s, None, case, channels=["sms"], address={"sms": party.phone}, method="staff", party=party,
                     recorded_by=f"staff:{members['clerk'][0].id}")
    clerk = f"staff:{members['clerk'][0].id}"
    waiting = documents.upload(s, case, DocumentKind.JUDGMENT, "判决书", pdf_bytes(2, "Judgment"), filename="j.pdf",
                               max_bytes=10_000_000, actor=clerk)
    flows.start_flow(s, waiting, [flows.StepInput(StepAction.APPROVE, staff_id=members["seal_approver"][0].id),
                                  flows.StepInput(StepAction.SEAL)], actor=clerk)
    finished = documents.upload(s, case, DocumentKind.NOTICE, "举证通知书", pdf_bytes(1, "Notice"), filename="n.pdf",
                                max_bytes=10_000_000, actor=clerk)
    flows.start_flow(s, finished, [flows.StepInput(StepAction.SEAL)], actor=clerk)
    s.commit()
    run_jobs(("signing",))
    s = db.session()
    finished = s.get(Document, finished.id)
    assert finished.status is DocumentStatus.COMPLETED, finished.error
    # each party's e-service credential for the finished notice (stored as the credential job does)
    creds = []
    for n, party in enumerate(s.get(Case, case.id).parties[:2], 1):
        rec = ServiceRecord(party_id=party.id, document_id=finished.id, effective_at=db.utcnow(),
                            effective_channel="sms", signed_at=db.utcnow(), receipt_number=f"SD20260000{n}")
        s.add(rec)
        doc = Document(case_id=case.id, kind=DocumentKind.CREDENTIAL, title=f"电子送达凭证（{finished.title}）",
                       status=DocumentStatus.SEALED)
        s.add(doc)
        s.flush()
        rec.credential_version_id = documents.add_version(s, doc, pdf_bytes(1, f"Credential {n}"), "issued").id
        creds.append(doc)
    push = pushes.start_push(s, court_id=court.id, case_ids=[case.id], recipients={"all": True},
                             template="hearing_notice", fields={"time": hearing_time(), "place": "第三法庭"},
                             actor=clerk)
    s.commit()
    run_jobs(("notify",))
    s = db.session()
    fresh = s.get(Case, case.id)
    return World(fresh, list(fresh.parties), s.get(Document, waiting.id), s.get(Document, finished.id),
                 [s.get(Document, d.id) for d in creds], push.id)
