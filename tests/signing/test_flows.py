"""Sealing and signing inside signing flows, through the jobs the flow enqueues."""
from __future__ import annotations

import os
import threading

import pytest

from court import db, redis_conn
from court.errors import Forbidden
from court.models import DocumentStatus, FlowStatus, FlowStep, StepAction, StepStatus
from court.services import documents
from signing import party, service
from signing.sealimage import BadImage
from tests.support.factories import pdf_bytes
from tests.support.signing import (
    assert_all_valid,
    footer_code,
    make_world,
    pdftotext,
    seal_flow,
    signature_png,
    upload,
)


def _sealed(s, run_jobs, n_signers=2, ordered=True, action=StepAction.SIGN):
    world = make_world(s, max(n_signers, 1))
    doc = upload(s, world)
    flow = seal_flow(s, world, doc, world.parties[:n_signers], action=action)
    flow.ordered = ordered
    s.commit()
    assert run_jobs(("signing",)) == 1
    return world, *_fresh(doc, flow)


def _fresh(doc, flow):
    """Reload after jobs ran (the job runner ends the test's session)."""
    from court.models import Document, SigningFlow

    s = db.session()
    return s.get(Document, doc.id), s.get(SigningFlow, flow.id)


def test_seal_job_stamps_stores_a_version_and_moves_the_flow_on(s, run_jobs, settings):
    world, doc, flow = _sealed(s, run_jobs)
    seal, first, second = flow.steps
    assert seal.status is StepStatus.DONE and seal.result_version_id == doc.current.id
    assert first.status is StepStatus.READY and second.status is StepStatus.WAITING
    assert doc.status is DocumentStatus.SEALED and doc.error is None
    assert [v.reason for v in doc.versions] == ["uploaded", "sealed"]
    data = documents.read_version(doc.current)
    assert_all_valid(data, settings, 1)
    assert footer_code(pdftotext(data)) == doc.verify_code
    # the signers' fields were laid out before certification
    from signing import pdfsign

    reader = pdfsign.open_pdf(data, max_bytes=10**8, max_pages=100)
    names = {pdfsign.sig_field_name(f) for _, f in pdfsign.signature_fields(reader)}
    assert names == {"CourtSeal", f"step-{first.id}", f"step-{second.id}",
                     f"note-{first.id}", f"note-{second.id}"}  # the record page for refusals (CPL art. 150)


def test_seal_job_is_idempotent(s, run_jobs):
    _world, doc, flow = _sealed(s, run_jobs)
    from signing import jobs

    assert jobs.seal_step(flow.steps[0].id) == "already_done"
    doc, flow = _fresh(doc, flow)
    assert len(doc.versions) == 2


@pytest.mark.parametrize("bad, code", [
    (lambda: b"%PDF-1.7\n" + b"\x00broken" * 50, "broken_pdf"),
    ("certified", "already_certified"),
])
def test_bad_document_fails_the_step_with_a_clear_error_and_no_version(s, run_jobs, settings, tmp_path, bad, code):
    world = make_world(s, 1)
    doc = upload(s, world)
    if bad == "certified":
        from signing.settings import SigningSettings

        other = SigningSettings(instance_path=str(tmp_path / "other"), public_base_url="http://other.test")
        data = service.stamp_bytes(pdf_bytes(1), settings=other, court_name="别的机构").pdf
    else:
        data = bad()
    documents.add_version(s, doc, data, "replaced")
    flow = seal_flow(s, world, doc, world.parties)
    s.commit()
    run_jobs(("signing",))
    doc, flow = _fresh(doc, flow)
    step = flow.steps[0]
    assert step.status is StepStatus.FAILED and flow.status is FlowStatus.FAILED
    assert doc.status is DocumentStatus.FAILED
    assert doc.error and step.error == doc.error
    assert [v.reason for v in doc.versions] == ["uploaded", "replaced"]
    assert doc.verify_code is None


def test_worker_killed_mid_stamp_leaves_nothing_and_the_retry_completes_once(s, settings):
    world = make_world(s, 1)
    doc = upload(s, world)
    flow = seal_flow(s, world, doc, world.parties)
    s.commit()
    step_id, doc_id = flow.steps[0].id, doc.id
    db.session.remove()
    pid = os.fork()
    if pid == 0:  # the worker: dies (like kill -9) after the stamped blob is stored, before commit
        try:
            db.engine().dispose(close=False)
            from court.services import flow_steps

            def die(*_a, **_k):
                os._exit(137)

            flow_steps.complete_step = die
            service.seal_step(step_id)
        finally:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 137
    s = db.session()
    doc = s.get(type(doc), doc_id)
    assert [v.reason for v in doc.versions] == ["uploaded"]
    assert doc.verify_code is None
    # the dead worker's lock expires (timeout); simulate that instead of waiting
    redis_conn.client().delete(f"signing:document:{doc_id}")
    assert service.seal_step(step_id).status == "done"
    assert service.seal_step(step_id).status == "already_done"
    s = db.session()
    doc = s.get(type(doc), doc_id)
    assert [v.reason for v in doc.versions] == ["uploaded", "sealed"]
    assert_all_valid(documents.read_version(doc.current), settings, 1)


def test_parties_sign_in_turn_and_every_signature_stays_valid(s, run_jobs, settings):
    world, doc, flow = _sealed(s, run_jobs, 2)
    _seal, first, second = flow.steps
    v1 = party.sign_step(first.id, signature_png(1), world.persons[0].id)
    # the second signs through the page's path: request → job
    s = db.session()
    step2 = s.get(FlowStep, second.id)
    assert step2.status is StepStatus.READY
    party.request_sign(s, step2, signature_png(2), person_id=world.persons[1].id)
    s.commit()
    assert run_jobs(("signing",)) == 1
    doc, flow = _fresh(doc, flow)
    assert flow.status is FlowStatus.COMPLETED and doc.status is DocumentStatus.COMPLETED
    assert [v.reason for v in doc.versions] == ["uploaded", "sealed", "签名：张三", "签名：李四"]
    assert v1.number == 3
    final = documents.read_version(doc.current)
    statuses = assert_all_valid(final, settings, 3)
    assert statuses[0].modification_level.name == "FORM_FILLING"
    signers = [st.signing_cert.subject.native["common_name"] for st in statuses]
    assert signers[1:] == ["张三", "李四"]
    assert statuses[1].signing_cert.subject.native["serial_number"].startswith("1101")
    assert "*" in statuses[1].signing_cert.subject.native["serial_number"]
    # running the job again changes nothing
    assert party.sign_step(first.id, signature_png(1), world.persons[0].id).id == v1.id


def test_concurrent_signers_lose_no_signature(s, run_jobs, settings, app):
    world, doc, flow = _sealed(s, run_jobs, 3, ordered=False)
    steps = flow.steps[1:]
    assert all(st.status is StepStatus.READY for st in steps)
    step_ids = [st.id for st in steps]
    db.session().rollback()  # end this thread's read transaction (SQLite: BEGIN IMMEDIATE holds the lock)
    errors: list[BaseException] = []

    def sign(step_id: int, person_id: int, seed: int) -> None:
        with app.app_context():
            try:
                party.sign_step(step_id, signature_png(seed), person_id)
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=sign, args=(sid, p.id, i)) for i, (sid, p) in
               enumerate(zip(step_ids, world.persons, strict=True))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    doc, flow = _fresh(doc, flow)
    assert len(doc.versions) == 5
    assert_all_valid(documents.read_version(doc.current), settings, 4)
    assert flow.status is FlowStatus.COMPLETED


def test_only_the_verified_signer_may_sign(s, run_jobs):
    world, doc, flow = _sealed(s, run_jobs, 2)
    first = flow.steps[1]
    with pytest.raises(Forbidden) as err:
        party.sign_step(first.id, signature_png(), world.persons[1].id)
    assert err.value.code == "not_the_signer"
    from court.models import Person

    s = db.session()
    s.get(Person, world.persons[0].id).face_verified_at = None
    s.commit()
    with pytest.raises(Forbidden) as err:
        party.sign_step(first.id, signature_png(), world.persons[0].id)
    assert err.value.code == "face_not_verified"
    doc, flow = _fresh(doc, flow)
    assert len(doc.versions) == 2


@pytest.mark.parametrize("png, code", [
    (b"", "bad_image"),
    (b"GIF89a not really", "bad_image"),
    ("blank", "empty_signature"),
])
def test_bad_signature_images_are_refused(s, run_jobs, png, code):
    from PIL import Image

    world, doc, flow = _sealed(s, run_jobs, 1)
    if png == "blank":
        import io

        buf = io.BytesIO()
        Image.new("RGBA", (200, 80), (0, 0, 0, 0)).save(buf, "PNG")
        png = buf.getvalue()
    with pytest.raises(BadImage) as err:
        party.sign_step(flow.steps[1].id, png, world.persons[0].id)
    assert err.value.code == code
    doc, flow = _fresh(doc, flow)
    assert len(doc.versions) == 2


def test_receipt_steps_sign_for_receipt(s, run_jobs, settings):
    world, doc, flow = _sealed(s, run_jobs, 1, action=StepAction.RECEIVE)
    version = party.sign_step(flow.steps[1].id, signature_png(), world.persons[0].id)
    assert version.reason == "签收：张三"
    statuses = assert_all_valid(documents.read_version(version), settings, 2)
    assert statuses[1].signing_cert.subject.native["common_name"] == "张三"


def test_uploaded_seal_image_is_used(s, run_jobs, settings):
    import io

    from PIL import Image, ImageDraw

    from signing.sealimage import BadImage

    world = make_world(s, 1)
    img = Image.new("RGBA", (200, 200), (0, 0, 0, 0))
    ImageDraw.Draw(img).ellipse((10, 10, 190, 190), outline=(0, 0, 255, 255), width=12)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    with pytest.raises(BadImage):
        service.set_seal_image(s, world.court, b"not an image", actor="staff:1")
    service.set_seal_image(s, world.court, buf.getvalue(), actor="staff:1")
    doc = upload(s, world)
    flow = seal_flow(s, world, doc, [])
    s.commit()
    run_jobs(("signing",))
    doc, flow = _fresh(doc, flow)
    data = documents.read_version(doc.current)
    assert_all_valid(data, settings, 1)
    assert b"/Width 200/Height 200" in data


def test_receipts_are_parallel_by_default_and_transcripts_in_order(s, run_jobs):
    """A second party's SMS never waits for the first party's signature; a transcript keeps the
    CPL art. 150 order (judges and clerk, then parties)."""
    from court.models import DocumentKind, SigningFlow
    from court.services import flows

    world = make_world(s, 2)
    notice = upload(s, world, title="传票")
    served = flows.start_flow(s, notice, [flows.StepInput(StepAction.SEAL)] + [
        flows.StepInput(StepAction.RECEIVE, party_id=p.id) for p in world.parties])
    transcript = upload(s, world, title="庭审笔录", kind=DocumentKind.TRANSCRIPT)
    signed = flows.start_flow(s, transcript, [flows.StepInput(StepAction.SEAL)] + [
        flows.StepInput(StepAction.SIGN, party_id=p.id) for p in world.parties])
    s.commit()
    assert served.ordered is False and signed.ordered is True
    run_jobs(("signing",))
    s = db.session()
    assert [st.status for st in s.get(SigningFlow, served.id).steps[1:]] == [StepStatus.READY, StepStatus.READY]
    assert [st.status for st in s.get(SigningFlow, signed.id).steps[1:]] == [StepStatus.READY, StepStatus.WAITING]
