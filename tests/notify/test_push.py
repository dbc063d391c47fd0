"""Staff pushes: the API returns at once, progress shows, every party is reached once,
bad input is refused clearly; ``flask court push`` does the same with a progress bar."""
from __future__ import annotations

from sqlalchemy import select

from court import db
from court.models import DevMessage, NotificationStatus, PartyRole
from court.services import cases
from tests.notify.conftest import bind_wechat, bulk_consent, notifications, read

S = NotificationStatus
HEARING = {"time": "2030年12月1日9时", "place": "第三法庭"}


def _cases(api, n_cases=2):  # type: ignore[no-untyped-def]
    ids = []
    for i in range(n_cases):
        case = api("post", "/cases", json={"number": f"（2026）京0491民初{200 + i}号", "type": "civil",
                                            "title": "合同纠纷"}).get_json()
        s = db.session()
        from court.models import Case

        c = s.get(Case, case["id"])
        cases.add_parties(s, c, [
            cases.PartyInput(PartyRole.PLAINTIFF, "原告", phone=f"1380000{i:02d}01"),
            cases.PartyInput(PartyRole.DEFENDANT, "被告", phone=f"1380000{i:02d}02"),
            cases.PartyInput(PartyRole.THIRD_PARTY, "第三人"),
        ])
        s.commit()
        bulk_consent(c.id)  # the parties with a phone agreed to electronic service (paper form)
        ids.append(c.id)
    return ids


def test_push_via_api_reports_progress_and_reaches_everyone_once(api, run_jobs):
    case_ids = _cases(api)
    resp = api("post", "/notices", json={"case_ids": case_ids, "recipients": {"all": True},
                                         "template": "hearing_notice", "fields": HEARING})
    assert resp.status_code == 202, resp.get_json()
    push = resp.get_json()
    assert push["status"] == "queued" and push["total"] == 6 and push["processed"] == 0
    run_jobs()
    status = api("get", f"/notices/{push['id']}").get_json()
    assert status["status"] == "done" and status["progress"] == 1.0
    assert status["counts"]["delivered"] == 4 and status["counts"]["failed"] == 2
    assert {f["error"].split(":")[0] for f in status["failures"]} == {"no_address"}
    msgs = read(select(DevMessage))
    assert len(msgs) == 4 and len({m.notification_id for m in msgs}) == 4
    assert "定于2030年12月1日9时在第三法庭开庭审理" in msgs[0].body and "（2026）京0491民初200号" in msgs[0].body


def test_push_to_roles_and_wechat_bound_parties(api, run_jobs, wechat):
    case_ids = _cases(api, 1)
    from court.models import Party

    defendant = read(select(Party).where(Party.role == PartyRole.DEFENDANT))[0]
    bind_wechat(defendant, "oWX-defendant")
    resp = api("post", "/notices", json={"case_ids": case_ids, "recipients": {"roles": ["defendant"]},
                                         "template": "summons",
                                         "fields": {**HEARING, "matter": "庭审"}})
    assert resp.status_code == 202
    run_jobs()
    [n] = notifications()
    assert n.channel == "wechat" and n.status is S.SENT and n.address == "oWX-defendant"
    assert wechat.calls[0]["params"]["template_id"] == "TPL-summons"


def test_bad_pushes_are_refused_with_clear_errors(api, court_setup):
    case_ids = _cases(api, 1)
    base = {"case_ids": case_ids, "recipients": {"all": True}, "template": "hearing_notice", "fields": HEARING}
    cases_bad = [
        ({**base, "template": "party_invitation"}, 422, "validation_error"),
        ({**base, "fields": {"time": "明天"}}, 400, "missing_field"),
        ({**base, "fields": {**HEARING, "color": "red"}}, 400, "unknown_field"),
        ({**base, "case_ids": [999]}, 404, "case_not_found"),
        ({**base, "recipients": {}}, 400, "bad_recipients"),
        ({**base, "recipients": {"party_ids": [999]}}, 400, "party_not_in_case"),
        ({**base, "fields": {**HEARING, "place": "长" * 101}}, 400, "field_too_long"),
    ]
    for body, status, code in cases_bad:
        resp = api("post", "/notices", json=body)
        assert (resp.status_code, resp.get_json()["error"]["code"]) == (status, code), body
    assert api("post", "/notices", json=base, role="seal_approver").status_code == 403
    assert api("get", "/notices/12345").status_code == 404


def test_push_is_in_the_openapi_document(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/notices" in doc["paths"] and "/api/v1/notices/{push_id}" in doc["paths"]


def test_cli_push_with_progress_bar(app, api, run_jobs):
    case_ids = _cases(api, 2)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["court", "push", "--case", str(case_ids[0]), "--case", "（2026）京0491民初201号",
                                 "--template", "general_notice", "--field", "content=请于三日内提交证据。",
                                 "--role", "plaintiff", "--inline"])
    assert result.exit_code == 0, result.output
    assert "2 位当事人" in result.output and "完成 / done" in result.output and "delivered 2" in result.output
    bad = runner.invoke(args=["court", "push", "--case", str(case_ids[0]), "--template", "general_notice", "--all"])
    assert bad.exit_code != 0 and "缺少字段" in bad.output
