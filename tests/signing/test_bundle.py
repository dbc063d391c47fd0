"""The electronic case file: exported once, checked offline, and every change in it is named."""
from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

from court import db
from court.services import flow_steps
from tests.support.signing import make_world, seal_flow, upload


def _case_with_a_sealed_and_refused_document(s, run_jobs):
    world = make_world(s, 2)
    doc = upload(s, world, title="民事判决书")
    flow = seal_flow(s, world, doc, world.parties[:1])
    s.commit()
    run_jobs(("signing",))
    s = db.session()
    flow = s.get(type(flow), flow.id)
    flow_steps.refuse_step(s, flow.steps[1], "不同意判决", actor=f"party:{flow.steps[1].party_id}")
    s.commit()
    return world, doc.id


def _rewrite(src: Path, dst: Path, change) -> None:  # type: ignore[no-untyped-def]
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            data = change(info.filename, zin.read(info.filename))
            if data is not None:
                zout.writestr(info, data)


def test_export_and_verify_a_case_offline(app, s, run_jobs, tmp_path):
    world, doc_id = _case_with_a_sealed_and_refused_document(s, run_jobs)
    out = tmp_path / "case.zip"
    runner = app.test_cli_runner()
    r = runner.invoke(args=["court", "export", world.case.number.replace("（", "(").replace("）", ")"), str(out)])
    assert r.exit_code == 0, r.output
    assert "已导出" in r.output and "2 个版本" in r.output

    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
        manifest = json.loads(zf.read("manifest.json"))
        delivery = json.loads(zf.read("evidence/delivery.json"))
        events = [json.loads(line) for line in zf.read("audit/events.jsonl").splitlines()]
        sealed_report = json.loads(zf.read(next(n for n in names if n.startswith("reports/"))))
    pdfs = [n for n in names if n.endswith(".pdf")]
    assert len(pdfs) == 2 and all(n.startswith("documents/") for n in pdfs)
    assert {f["path"] for f in manifest["files"]} == set(names) - {"manifest.json", "manifest.p7s"}
    assert manifest["case"]["number"] == world.case.number and manifest["parties"][0]["id_number"].count("*") >= 8
    assert sealed_report["ok"] is True and sealed_report["signatures"][0]["certification"] is True
    assert any(e["action"] == "step.refused" and e["details"]["reason"] == "不同意判决" for e in events)
    assert all(len(e["hash"]) == 64 for e in events) and "service_records" in delivery

    ok = runner.invoke(args=["court", "verify-bundle", str(out)])
    assert ok.exit_code == 0, ok.output
    assert "卷宗完整" in ok.output and "本院印章签名且未被改动" in ok.output

    # one byte changed in a sealed PDF
    flipped = tmp_path / "flipped.zip"
    target = pdfs[1]
    _rewrite(out, flipped, lambda n, d: d[:100] + bytes([d[100] ^ 1]) + d[101:] if n == target else d)
    bad = runner.invoke(args=["court", "verify-bundle", str(flipped)])
    assert bad.exit_code == 1 and f"文件已被改动（SHA-256 不符）：{target}" in bad.output

    # a file removed, and one slipped in
    removed = tmp_path / "removed.zip"
    _rewrite(out, removed, lambda n, d: None if n == "evidence/delivery.json" else d)
    with zipfile.ZipFile(removed, "a") as zf:
        zf.writestr("documents/99999-forged/v1-uploaded.pdf", b"%PDF-1.7 forged")
    bad = runner.invoke(args=["court", "verify-bundle", str(removed)])
    assert "缺少文件：evidence/delivery.json" in bad.output
    assert "多出清单中没有的文件：documents/99999-forged/v1-uploaded.pdf" in bad.output

    # the manifest itself edited to match a forged file
    forged = tmp_path / "forged.zip"

    def edit_manifest(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        m = json.loads(data)
        m["case"]["number"] = "（2026）京0491民初999号"
        return json.dumps(m, ensure_ascii=False).encode()

    _rewrite(out, forged, edit_manifest)
    bad = runner.invoke(args=["court", "verify-bundle", str(forged)])
    assert bad.exit_code == 1 and "清单被改动过" in bad.output


def test_not_a_bundle_is_a_clear_answer(app, tmp_path):
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"PK\x03\x04 not really")
    r = app.test_cli_runner().invoke(args=["court", "verify-bundle", str(junk)])
    assert r.exit_code == 1 and "不是有效的卷宗压缩包" in r.output
    empty = io.BytesIO()
    zipfile.ZipFile(empty, "w").close()
    (tmp_path / "empty.zip").write_bytes(empty.getvalue())
    r = app.test_cli_runner().invoke(args=["court", "verify-bundle", str(tmp_path / "empty.zip")])
    assert r.exit_code == 1 and "缺少清单" in r.output


def test_clerk_downloads_the_bundle_from_the_api_and_it_verifies(api, s, run_jobs, tmp_path):
    world, doc_id = _case_with_a_sealed_and_refused_document(s, run_jobs)
    r = api("get", f"/cases/{world.case.id}/export")
    assert r.status_code == 200 and r.mimetype == "application/zip"
    assert "attachment" in r.headers["Content-Disposition"]
    path = tmp_path / "dl.zip"
    path.write_bytes(r.data)
    from signing import bundle_verify

    assert bundle_verify.verify_bundle(path).ok
    assert api("get", f"/cases/{world.case.id}/export", role="seal_approver").status_code == 403
    one = api("get", f"/cases/{world.case.id}/export?document_id={doc_id}")
    with zipfile.ZipFile(io.BytesIO(one.data)) as zf:
        assert json.loads(zf.read("manifest.json"))["document_id"] == doc_id
