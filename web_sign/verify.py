"""The public verify page: anyone holding a printed copy checks it is genuine.

``/verify`` takes the anti-counterfeit code printed on every page (or the QR code, which opens
``/verify/<code>``) and shows the case, the document, its fingerprint, the court's seal and
each signer with times. A PDF uploaded here is checked signature by signature and given a
plain verdict. Nothing here needs a log-in; look-ups and uploads are rate-limited per address
and the page shows parties only by name, never ID numbers or phone numbers.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, url_for

from court import crypto, db, ratelimit
from court.errors import RateLimited
from court.i18n import _

bp = Blueprint("verify", __name__, url_prefix="/verify", template_folder="templates")

LOOKUP_LIMIT = ratelimit.Limit(30, 600)
UPLOAD_LIMIT = ratelimit.Limit(10, 600)
MAX_UPLOAD = 50 * 1024 * 1024


def _client() -> str:
    return crypto.lookup_hash(request.remote_addr or "-")[:32]


@bp.get("")
def index():  # type: ignore[no-untyped-def]
    code = request.args.get("code", "").strip()
    if code:
        from signing import codes

        clean = codes.normalize(code)
        if clean is None:
            return render_template("verify/index.html", error=_("防伪码格式不正确：应为16位字母和数字")), 400
        return redirect(url_for("verify.by_code", code=codes.format_code(clean)))
    return render_template("verify/index.html", error=None)


@bp.get("/<code>")
def by_code(code: str):  # type: ignore[no-untyped-def]
    from signing import codes

    try:
        ratelimit.hit("verify-lookup", _client(), LOOKUP_LIMIT, message="查询过于频繁，请10分钟后再试")
    except RateLimited as exc:
        return render_template("verify/index.html", error=exc.localized()), 429
    info = codes.lookup(db.session(), code[:40])
    if info is None:
        return render_template("verify/index.html", error=_("未找到该防伪码对应的文书，请核对后重新输入"),
                               code=code[:40]), 404
    return render_template("verify/result.html", info=info)


@bp.post("")
def upload():  # type: ignore[no-untyped-def]
    import signing

    try:
        ratelimit.hit("verify-upload", _client(), UPLOAD_LIMIT, message="上传过于频繁，请10分钟后再试")
    except RateLimited as exc:
        return render_template("verify/index.html", error=exc.localized()), 429
    file = request.files.get("pdf")
    data = file.read(MAX_UPLOAD + 1) if file else b""
    if not data:
        return render_template("verify/index.html", error=_("请选择要验证的PDF文件")), 400
    if len(data) > MAX_UPLOAD:
        return render_template("verify/index.html", error=_("文件过大，请上传不超过50MB的PDF文件")), 413
    report = signing.verify(data, session=db.session())
    current_app.logger.info("verify upload: %s signatures, ok=%s", len(report.signatures), report.ok)
    return render_template("verify/report.html", report=report, verdict=_verdict(report))


def _verdict(report: Any) -> tuple[str, str]:
    """(css class, plain sentence) for the report."""
    if report.ok:
        return "ok", _("验证通过：文件上的签名完整有效，自签名以来未被修改。")
    if report.error:
        return "bad", _("验证未通过：{reason}", reason=report.error_text())
    if report.changed_after_last_signature:
        return "bad", _("验证未通过：文件在最后一次签名之后被修改过，内容可能已被篡改。")
    if any(sig.role == "foreign" for sig in report.signatures):
        return "bad", _("验证未通过：文件上有不是本院签发的签名或印章。")
    return "bad", _("验证未通过：文件中有签名无效或不可信，内容可能已被篡改。")
