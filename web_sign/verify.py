"""The public verify page: anyone holding a printed copy checks it is genuine.

``/verify`` takes the anti-counterfeit code printed on every page (or the QR code, which opens
``/verify/<code>``) and shows the case, the document, its fingerprint, and the seal and
signatures the stored file carries — the same verification report an upload of that file gets
(:func:`signing.verification.verify_stored`), so the two can never disagree — with the
archived pages as images (the party pages' sandboxed renderer) to compare with the paper. A
PDF uploaded here is checked signature by signature and given a plain verdict; the court's own
file before sealing is recognised by its fingerprint and pointed to the sealed one. Nothing
here needs a log-in; look-ups, previews and uploads are rate-limited per address, and the page
shows nothing beyond what the document itself shows its holder (parties by name, never ID
numbers or phone numbers in the page's own text).
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for

import signing
from court import crypto, db, ratelimit
from court.errors import RateLimited
from court.i18n import _
from court.models import Document
from signing import codes, pages, verification

bp = Blueprint("verify", __name__, url_prefix="/verify", template_folder="templates")

LOOKUP_LIMIT = ratelimit.Limit(30, 600)
UPLOAD_LIMIT = ratelimit.Limit(10, 600)
PREVIEW_LIMIT = ratelimit.Limit(300, 600)  # page images: a look-up shows up to MAX_PREVIEWS of them
MAX_PREVIEWS = 20  # pages shown on the public page (enough to compare; the rest is in the PDF)
MAX_UPLOAD = 50 * 1024 * 1024


def _client() -> str:
    return crypto.lookup_hash(request.remote_addr or "-")[:32]


@bp.get("")
def index():  # type: ignore[no-untyped-def]
    code = request.args.get("code", "").strip()
    if code:
        clean = codes.normalize(code)
        if clean is None:
            return render_template("verify/index.html", error=_("防伪码格式不正确：应为16位字母和数字")), 400
        return redirect(url_for("verify.by_code", code=codes.format_code(clean)))
    return render_template("verify/index.html", error=None)


@bp.get("/<code>")
def by_code(code: str):  # type: ignore[no-untyped-def]
    try:
        ratelimit.hit("verify-lookup", _client(), LOOKUP_LIMIT, message="查询过于频繁，请10分钟后再试")
    except RateLimited as exc:
        return render_template("verify/index.html", error=exc.localized()), 429
    s = db.session()
    info = codes.lookup(s, code[:40])
    if info is None:
        return render_template("verify/index.html", error=_("未找到该防伪码对应的文书，请核对后重新输入"),
                               code=code[:40]), 404
    report, total = None, 0
    doc = s.get(Document, info.document_id) if info.document_id else None
    if doc is not None:  # a stored file: what it carries, checked as an upload would be
        report = verification.verify_stored(s, doc.current)
        total = pages.page_count(doc.current)
    verdict = ("ok", _("该防伪码对应法院平台存档的文书，请核对以下信息与您手中的文书是否一致。")) \
        if report is None or report.ok else _verdict(report)
    return render_template("verify/result.html", info=info, report=report, verdict=verdict, total=total,
                           previews=min(total, MAX_PREVIEWS), page_widths=pages.WIDTHS)


@bp.get("/<code>/pages/<int:number>.png")
def page_image(code: str, number: int):  # type: ignore[no-untyped-def]
    """An archived page as an image, for comparison with a printed copy (the first MAX_PREVIEWS)."""
    try:
        ratelimit.hit("verify-preview", _client(), PREVIEW_LIMIT)
    except RateLimited:
        abort(429)
    width = pages.parse_width(request.args.get("w"))
    if width is None:
        abort(400)
    s = db.session()
    info = codes.lookup(s, code[:40])
    doc = s.get(Document, info.document_id) if info is not None and info.document_id else None
    if doc is None or number > MAX_PREVIEWS:
        abort(404)
    png = pages.render(doc.current, number, width)
    if png is None:
        abort(404)
    return Response(png, mimetype="image/png")


@bp.post("")
def upload():  # type: ignore[no-untyped-def]
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
    if report.original_of is not None:  # the court's own file, byte for byte, before the seal
        return "info", _("这是本院盖章前的原件：内容与本院盖章的文书一致，但这份文件本身没有加盖电子印章。"
                         "请凭防伪码 {code} 查验或获取盖章后的正式文书。", code=report.original_of.code)
    if report.error:
        return "bad", _("验证未通过：{reason}", reason=report.error_text())
    if report.changed_after_last_signature:
        return "bad", _("验证未通过：文件在最后一次签名之后被修改过，内容可能已被篡改。")
    if any(sig.role == "foreign" for sig in report.signatures):
        return "bad", _("验证未通过：文件上有不是本院签发的签名或印章。")
    return "bad", _("验证未通过：文件中有签名无效或不可信，内容可能已被篡改。")
