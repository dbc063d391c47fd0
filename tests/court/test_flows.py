"""The flow engine opens steps in the right order, queues the seal job and finishes flows."""
import pytest
from rq import Queue

from court import redis_conn
from court.errors import Conflict, DomainError
from court.models import DocumentKind, DocumentStatus, FlowStatus, PartyRole, StepAction, StepStatus
from court.services import cases, documents, flow_steps, flows
from tests.support.factories import id_number, pdf_bytes


@pytest.fixture
def doc_and_parties(s, court_setup):
    court, members = court_setup
    case = cases.create_case(s, court, "（2026）京0491民初7号", "civil")
    added = cases.add_parties(s, case, [
        cases.PartyInput(PartyRole.PLAINTIFF, "张三", id_number(seq="111")),
        cases.PartyInput(PartyRole.DEFENDANT, "李四", id_number(seq="222")),
    ])
    doc = documents.upload(s, case, DocumentKind.TRANSCRIPT, "庭审笔录", pdf_bytes(2), max_bytes=10**7)
    s.commit()
    return doc, [p for p, _ in added], members


def _jobs(name):
    return [j.func_name for j in Queue(name, connection=redis_conn.client()).jobs]


def test_seal_goes_first_and_queues_the_signing_job(s, doc_and_parties):
    doc, parties, members = doc_and_parties
    flow = flows.start_flow(s, doc, [
        flows.StepInput(StepAction.SEAL),
        flows.StepInput(StepAction.SIGN, party_id=parties[0].id),
        flows.StepInput(StepAction.SIGN, party_id=parties[1].id),
    ], ordered=False)
    s.commit()
    assert [st.status for st in flow.steps] == [StepStatus.READY, StepStatus.WAITING, StepStatus.WAITING]
    assert _jobs("signing") == ["signing.jobs.seal_step"]
    flow_steps.complete_step(s, flow.steps[0], actor="system:seal")
    s.commit()
    # unordered: both signers may act at once after the seal
    assert [st.status for st in flow.steps[1:]] == [StepStatus.READY, StepStatus.READY]
    assert doc.status is DocumentStatus.SEALED
    assert sorted(_jobs("notify")) == ["notify.jobs.step_ready", "notify.jobs.step_ready"]


def test_ordered_flow_waits_and_records_refusal(s, doc_and_parties):
    doc, parties, members = doc_and_parties
    judge = members["judge"][0]
    flow = flows.start_flow(s, doc, [
        flows.StepInput(StepAction.SIGN, staff_id=judge.id),
        flows.StepInput(StepAction.SIGN, party_id=parties[0].id),
    ])
    s.commit()
    assert [st.status for st in flow.steps] == [StepStatus.READY, StepStatus.WAITING]
    with pytest.raises(Conflict):
        flow_steps.complete_step(s, flow.steps[1], actor="party:1")
    flow_steps.complete_step(s, flow.steps[0], actor=f"staff:{judge.id}")
    with pytest.raises(DomainError):
        flow_steps.refuse_step(s, flow.steps[1], "  ", actor="party:1")
    flow_steps.refuse_step(s, flow.steps[1], "笔录记载与陈述不符", actor="party:1")
    s.commit()
    assert flow.status is FlowStatus.COMPLETED
    assert flow.steps[1].refusal_reason == "笔录记载与陈述不符"
    assert doc.status is DocumentStatus.COMPLETED


@pytest.mark.parametrize("steps,code", [
    ([], "no_steps"),
    ([(StepAction.SIGN, "p0"), (StepAction.SEAL, None)], "seal_not_first"),
    ([(StepAction.SEAL, None), (StepAction.SEAL, None)], "two_seals"),
    ([(StepAction.RECEIVE, None)], "step_actor"),
    ([(StepAction.APPROVE, "p0")], "party_approve"),
])
def test_bad_flow_layouts_are_refused(s, doc_and_parties, steps, code):
    doc, parties, _ = doc_and_parties
    inputs = [flows.StepInput(a, party_id=parties[0].id if who == "p0" else None) for a, who in steps]
    with pytest.raises(DomainError) as err:
        flows.start_flow(s, doc, inputs)
    assert err.value.code == code
    assert doc.status is DocumentStatus.UPLOADED


def test_failed_step_stops_flow_and_can_be_retried(s, doc_and_parties):
    doc, parties, _ = doc_and_parties
    flow = flows.start_flow(s, doc, [flows.StepInput(StepAction.SEAL), flows.StepInput(StepAction.RECEIVE, party_id=parties[0].id)])
    flow_steps.fail_step(s, flow.steps[0], "PDF已被他人认证签名", final=True)
    s.commit()
    assert flow.status is FlowStatus.FAILED and doc.status is DocumentStatus.FAILED
    assert doc.error == "PDF已被他人认证签名"
    flow_steps.retry_step(s, flow.steps[0], actor="staff:1")
    s.commit()
    assert flow.status is FlowStatus.RUNNING and flow.steps[0].status is StepStatus.READY and doc.error is None
