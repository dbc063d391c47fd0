"""The console's seal pages: the register with filters and CSV, the court's seals and approval rules,
a judge signing their step with the signature on their profile after typing the password again."""
import io
import re

from court import db
from court.models import Document, SigningFlow, StepAction
from court.services import flows
from tests.support.console import PASSWORD
from tests.support.factories import pdf_bytes
from tests.support.signing import signature_png


def _stamp(app, tmp_path, name="out.pdf"):
    src = tmp_path / "in.pdf"
    src.write_bytes(pdf_bytes(1))
    r = app.test_cli_runner().invoke(args=["court", "stamp", str(src), str(tmp_path / name), "--operator", "clerk1"])
    assert r.exit_code == 0, r.output
    return r.output.split("anti-counterfeit code: ")[1].split()[0].replace("-", "")


def test_register_lists_filters_and_exports_every_use(app, console, client, tmp_path):  # noqa: F811
    code = _stamp(app, tmp_path)
    console.login("clerk1")
    assert console.get("/console/seal-register").status_code == 403  # not for every clerk
    client.post("/console/logout", data={"csrf_token": console.token("/console/")})
    console.login("seal_approver1")
    page = console.get("/console/seal-register").get_data(as_text=True)
    clerk_id = console.members["clerk"][0].id
    clerk_name = console.members["clerk"][0].name
    assert code in page and f"{clerk_name}（书记员）" in page and "in.pdf" in page  # who, by name and role
    assert code not in console.get("/console/seal-register?from=2000-01-01&to=2000-01-02").get_data(as_text=True)
    assert code in console.get(f"/console/seal-register?actor=staff:{clerk_id}").get_data(as_text=True)
    assert code not in console.get("/console/seal-register?case=（2026）").get_data(as_text=True)
    assert console.get("/console/seal-register?from=yesterday").status_code == 400
    csv = console.get("/console/seal-register?format=csv")
    assert csv.mimetype == "text/csv" and "attachment" in csv.headers["Content-Disposition"]
    lines = csv.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0].startswith("id,at,seal,channel,actor,code") and code in lines[1] and "cli" in lines[1]


def test_admin_sets_approval_rules_and_adds_a_department_seal(console, client):  # noqa: F811
    console.login("seal_approver1")
    assert console.post("/console/seals", {"action": "rules", "kinds": ["subpoena"]}).status_code == 403
    client.post("/console/logout", data={"csrf_token": console.token("/console/")})
    console.login("admin1")
    console.post("/console/seals", {"action": "rules", "kinds": ["judgment", "subpoena"]})
    console.post("/console/seals", {"action": "add", "name": "北京互联网法院立案庭", "kind": "department"})
    page = console.get("/console/seals").get_data(as_text=True)
    assert "北京互联网法院立案庭" in page
    assert re.search(r'value="subpoena" checked', page) and not re.search(r'value="ruling" checked', page)
    assert len(re.findall(r'class="mono"[^>]*>[0-9a-f]{64}<', page)) == 2  # each seal its own certificate


def test_a_judge_signs_their_step_in_the_console(console, client, run_jobs, s):  # noqa: F811
    console.login("judge1")
    r = console.post("/console/cases", {"number": "（2026）京0491民初7号", "type": "civil", "title": "庭审"})
    case_id = int(r.headers["Location"].rstrip("/").split("/")[-1])
    up = console.post(f"/console/cases/{case_id}/documents",
                      {"kind": "transcript", "title": "庭审笔录", "file": (io.BytesIO(pdf_bytes(2)), "t.pdf")},
                      content_type="multipart/form-data")
    doc_id = int(up.headers["Location"].split("/")[-1])
    judge = console.members["judge"][0]
    flows.start_flow(db.session(), db.session().get(Document, doc_id),
                     [flows.StepInput(StepAction.SEAL), flows.StepInput(StepAction.SIGN, staff_id=judge.id)])
    db.session().commit()
    run_jobs(("signing",))
    page = console.get(f"/console/documents/{doc_id}").get_data(as_text=True)
    step_id = re.search(r"/console/steps/(\d+)/sign", page).group(1)
    no_sig = console.post(f"/console/steps/{step_id}/sign", {"password": PASSWORD}, follow_redirects=True)
    assert "请先在个人资料中上传或手写您的签名" in no_sig.get_data(as_text=True)
    console.post("/console/profile", {"signature": (io.BytesIO(signature_png()), "sig.png")},
                 content_type="multipart/form-data")
    assert console.get("/console/profile/signature.png").data.startswith(b"\x89PNG")
    wrong = console.post(f"/console/steps/{step_id}/sign", {"password": "not my password"}, follow_redirects=True)
    assert "密码不正确" in wrong.get_data(as_text=True)
    ok = console.post(f"/console/steps/{step_id}/sign", {"password": PASSWORD}, follow_redirects=True)
    assert "已提交签名" in ok.get_data(as_text=True)
    run_jobs(("signing",))
    flow = db.session().query(SigningFlow).filter_by(document_id=doc_id).one()
    assert flow.status.value == "completed"
    assert db.session().get(Document, doc_id).current.reason == "签名：judge 一号"
