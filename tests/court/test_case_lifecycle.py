"""A case is filed, tried, closed and archived: closing waits for running flows, archiving keeps
the electronic case file, and an archived case takes nothing new."""
from __future__ import annotations

from pathlib import Path

from court import db
from court.models import Case, CaseStatus
from court.services import flow_steps
from notify import sweep
from tests.support.factories import pdf_bytes
from tests.support.signing import make_world, seal_flow, upload


def test_closing_waits_for_running_flows_then_archives_read_only(api, s, run_jobs, tmp_path: Path):
    world = make_world(s, 1)
    doc = upload(s, world, title="民事判决书")
    flow = seal_flow(s, world, doc, world.parties[:1])
    s.commit()
    run_jobs(("signing",))
    case_id = world.case.id

    assert api("post", f"/cases/{case_id}/status", json={"status": "in_trial"}).json["status"] == "in_trial"
    closed = api("post", f"/cases/{case_id}/status", json={"status": "closed", "reason": "判决已作出"})
    assert closed.status_code == 200 and closed.json["status"] == "closed"
    run_jobs(("default",))  # the archive job: the party has not signed for the judgment yet
    assert db.session().get(Case, case_id).status is CaseStatus.CLOSED
    refused = api("post", f"/cases/{case_id}/parties", json={"parties": [{"role": "third_party", "name": "王五"}]})
    assert refused.status_code == 409 and refused.json["error"]["code"] == "case_closed"
    assert api("get", f"/cases/{case_id}/archive").status_code == 404

    s = db.session()
    step = s.get(type(flow), flow.id).steps[1]
    flow_steps.refuse_step(s, step, "拒绝签收", actor=f"party:{step.party_id}")  # the last running flow ends
    s.commit()
    run_jobs(("signing",))  # the refusal is sealed into the document's record page; the flow ends
    sweep.run()  # the sweep asks for the archive now that nothing runs
    run_jobs(("default",))
    case = db.session().get(Case, case_id)
    assert case.status is CaseStatus.ARCHIVED and case.archived_at is not None

    got = api("get", f"/cases/{case_id}/archive")
    assert got.status_code == 200 and got.headers["X-Content-SHA256"] == case.archive_sha256
    kept = tmp_path / "archive.zip"
    kept.write_bytes(got.data)
    from signing import bundle_verify

    report = bundle_verify.verify_bundle(kept)
    assert report.ok and report.case["number"] == case.number

    # read-only from now on, and the status cannot be moved back
    assert api("post", f"/cases/{case_id}/status", json={"status": "in_trial"}).status_code == 400
    assert api("post", f"/cases/{case_id}/parties",
               json={"parties": [{"role": "third_party", "name": "王五"}]}).json["error"]["code"] == "case_archived"
    import io

    up = api("post", f"/cases/{case_id}/documents", data={"kind": "notice", "title": "通知",
                                                          "file": (io.BytesIO(pdf_bytes()), "n.pdf")},
             content_type="multipart/form-data")
    assert up.status_code == 409
    # the kept file survives garbage collection
    from court.services import files

    assert case.archive_key in files.referenced_keys(db.session())


def test_reopening_a_closed_case_before_it_is_archived(api):
    case_id = api("post", "/cases", json={"number": "（2026）京0491民初7号"}).json["id"]
    assert api("post", f"/cases/{case_id}/status", json={"status": "archived"}).status_code == 422
    api("post", f"/cases/{case_id}/status", json={"status": "closed"})
    reopened = api("post", f"/cases/{case_id}/status", json={"status": "in_trial"})
    assert reopened.status_code == 200 and reopened.json["status"] == "in_trial"
    bad = api("post", f"/cases/{case_id}/status", json={"status": "open"})
    assert bad.status_code == 400 and bad.json["error"]["code"] == "bad_case_status"
