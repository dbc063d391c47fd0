"""A hostile bundle handed to ``flask court verify-bundle`` gets a clear answer without the
checker reading more than the manifest and the limits allow: ZIP bombs, oversized manifests and
signatures, too many members, members larger than listed, manifests of the wrong shape."""
from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

from signing import bundle, bundle_verify


def _zip(path: Path, members: dict[str, bytes], *, compress: bool = True) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _manifest(files: dict[str, bytes], **overrides) -> bytes:  # type: ignore[no-untyped-def]
    listed = [{"path": n, "sha256": hashlib.sha256(d).hexdigest(), "size": len(d)} for n, d in files.items()]
    return json.dumps({"format": bundle.FORMAT, "case": {"number": "（2026）京0491民初1号"}, "files": listed,
                       **overrides}).encode()


def test_a_zip_bomb_member_is_not_read(app, tmp_path):
    bomb = b"\0" * (64 * 1024 * 1024)  # 64 MB of zeros: about 64 KB deflated
    path = _zip(tmp_path / "bomb.zip", {"manifest.json": _manifest({"documents/a.pdf": bomb}),
                                        "manifest.p7s": b"junk", "documents/a.pdf": bomb})
    with zipfile.ZipFile(path) as zf:
        assert zf.getinfo("documents/a.pdf").compress_size < 1024 * 1024
    report = bundle_verify.verify_bundle(path)
    assert not report.ok
    assert "文件压缩比异常（疑似压缩炸弹），未读取：documents/a.pdf / packed like a ZIP bomb, not read" in report.problems


def test_a_member_larger_than_its_manifest_entry_is_read_only_that_far(app, tmp_path):
    listed = b"%PDF-1.7 the real file"
    big = listed + b"x" * (3 * 1024 * 1024)
    manifest = _manifest({"documents/a.pdf": listed})
    path = _zip(tmp_path / "big.zip", {"manifest.json": manifest, "manifest.p7s": b"junk", "documents/a.pdf": big},
                compress=False)
    report = bundle_verify.verify_bundle(path)
    assert "文件大于清单所列或允许的大小，未读完：documents/a.pdf / larger than listed or allowed" in report.problems
    capped = bundle_verify.verify_bundle(path, limits=bundle_verify.Limits(member_bytes=10))
    assert "文件大于清单所列或允许的大小，未读完：documents/a.pdf / larger than listed or allowed" in capped.problems


def test_oversized_manifest_or_signature_and_too_many_members(app, tmp_path):
    path = _zip(tmp_path / "m.zip", {"manifest.json": _manifest({}, padding="x" * 5000), "manifest.p7s": b"s"})
    r = bundle_verify.verify_bundle(path, limits=bundle_verify.Limits(manifest_bytes=4096))
    assert not r.ok and r.problems == ["清单过大（上限 4 KB）/ manifest.json is too large"]
    path = _zip(tmp_path / "s.zip", {"manifest.json": _manifest({}), "manifest.p7s": b"s" * 5000})
    r = bundle_verify.verify_bundle(path, limits=bundle_verify.Limits(signature_bytes=4096))
    assert not r.ok and r.problems == ["清单签名过大（上限 4 KB）/ manifest.p7s is too large"]
    many = {f"f{i}": b"" for i in range(30)}
    path = _zip(tmp_path / "n.zip", {"manifest.json": _manifest(many), "manifest.p7s": b"s", **many})
    r = bundle_verify.verify_bundle(path, limits=bundle_verify.Limits(members=20))
    assert not r.ok and r.problems == ["压缩包内文件过多（32 个，上限 20） / too many files in the ZIP (32, limit 20)"]


def test_a_manifest_of_the_wrong_shape_is_a_finding_not_a_crash(app, tmp_path):
    shapes = [b"[1, 2, 3]", json.dumps({"files": [{"path": 1}]}).encode(), json.dumps({"files": "all"}).encode(),
              json.dumps({"files": [{"path": "a", "sha256": "0", "size": -1}]}).encode(),
              b"[" * 100_000 + b"]" * 100_000]
    for i, body in enumerate(shapes):
        path = _zip(tmp_path / f"shape{i}.zip", {"manifest.json": body, "manifest.p7s": b"s"})
        r = app.test_cli_runner().invoke(args=["court", "verify-bundle", str(path)])
        assert r.exit_code == 1, (body[:40], r.output)
        assert "清单格式不对" in r.output or "清单不是有效的JSON" in r.output, r.output
