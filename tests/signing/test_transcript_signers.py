"""A transcript signed by the court's judge and clerk, then the parties (CPL art. 150), with a refusal
written into the sealed document."""
from __future__ import annotations

from court import db
from court.models import Document, DocumentKind, FlowStatus, SealUse, SigningFlow, StaffRole, StepAction, StepStatus
from court.services import documents, flow_steps, flows
from court.services import staff as staff_service
from signing import party
from tests.support.signing import assert_all_valid, make_world, pdftotext, signature_png, upload

PASSWORD = "court staff password"


def _transcript(s):
    world = make_world(s, 2)
    judge, _ = staff_service.create_staff(s, world.court, "judge9", "审判长王法官", StaffRole.JUDGE)
    clerk, _ = staff_service.create_staff(s, world.court, "clerk9", "书记员陈记", StaffRole.CLERK)
    for member in (judge, clerk):
        staff_service.set_password(s, member, PASSWORD)
        party.set_staff_signature(s, member, signature_png(3), actor=f"staff:{member.id}")
    doc = upload(s, world, title="庭审笔录", kind=DocumentKind.TRANSCRIPT)
    plaintiff, defendant = world.parties
    flow = flows.start_flow(s, doc, [
        flows.StepInput(StepAction.SEAL),
        flows.StepInput(StepAction.SIGN, staff_id=judge.id), flows.StepInput(StepAction.SIGN, staff_id=clerk.id),
        flows.StepInput(StepAction.SIGN, party_id=plaintiff.id), flows.StepInput(StepAction.SIGN, party_id=defendant.id),
    ])
    s.commit()
    return world, judge, clerk, doc.id, flow.id


def _step(flow_id: int, position: int):
    s = db.session()
    return s, s.get(SigningFlow, flow_id).steps[position - 1]


def test_transcript_judge_clerk_parties_with_a_refusal_ends_sealed_valid_and_shows_the_refusal(s, run_jobs, settings):
    world, judge, clerk, doc_id, flow_id = _transcript(s)
    assert run_jobs(("signing",)) == 1  # the seal, with the record page laid out
    for member, pos in ((judge, 2), (clerk, 3)):
        s, step = _step(flow_id, pos)
        party.request_staff_sign(s, step, s.get(type(member), member.id), password=PASSWORD)
        s.commit()
        assert run_jobs(("signing",)) == 1
    s, step = _step(flow_id, 4)
    flow_steps.refuse_step(s, step, "笔录第二页记载的借款金额与本人陈述不符", actor=f"person:{world.persons[0].id}")
    s.commit()
    s, step = _step(flow_id, 5)
    party.request_sign(s, step, signature_png(5), person_id=world.persons[1].id)
    s.commit()
    run_jobs(("signing",))  # the court's note, then the defendant's signature

    s = db.session()
    flow = s.get(SigningFlow, flow_id)
    assert flow.status is FlowStatus.COMPLETED
    assert [st.status for st in flow.steps] == [StepStatus.DONE] * 3 + [StepStatus.REFUSED, StepStatus.DONE]
    assert flow.steps[3].note_version_id is not None
    doc = s.get(Document, doc_id)
    data = documents.read_version(doc.current)
    assert_all_valid(data, settings, 5)  # seal, judge, clerk, the court's note, defendant — pyHanko and pdfsig
    text = pdftotext(data)
    assert "签名情况记录" in text
    refusal = text[text.index("签名情况记录"):]
    assert "第4步 张三（原告）" in refusal and "拒绝签名" in refusal and "借款金额与本人陈述不符" in refusal
    uses = s.query(SealUse).filter(SealUse.document_id == doc_id).order_by(SealUse.id).all()
    assert [u.channel for u in uses] == ["flow", "note"]
    assert uses[1].step_id == flow.steps[3].id and uses[1].sha256 == s.get(type(doc.current), flow.steps[3].note_version_id).sha256


def test_a_flow_whose_last_signer_refuses_finishes_only_after_the_note(s, run_jobs, settings):
    world, judge, clerk, doc_id, flow_id = _transcript(s)
    run_jobs(("signing",))
    for pos in (2, 3, 4):
        s, step = _step(flow_id, pos)
        flow_steps.refuse_step(s, step, f"第{pos}步拒签", actor="test")
        s.commit()
    s, step = _step(flow_id, 5)
    flow_steps.refuse_step(s, step, "拒绝签名", actor="test")
    s.commit()
    assert db.session().get(SigningFlow, flow_id).status is FlowStatus.RUNNING  # notes not yet written
    run_jobs(("signing",))
    s = db.session()
    assert s.get(SigningFlow, flow_id).status is FlowStatus.COMPLETED
    data = documents.read_version(s.get(Document, doc_id).current)
    assert_all_valid(data, settings, 5)
    assert pdftotext(data).count("拒绝签名。") == 4
