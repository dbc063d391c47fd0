"""The e-service credential's layout: :class:`~signing.credential_data.CredentialData` as an A4 PDF.

Why its own module: the layout (title, statement, the table of channels, where the seal goes)
changes for reasons of its own — a court's form, a font — and never changes what the
credential states, which :mod:`signing.credential_data` decides.
"""
from __future__ import annotations

from signing import fonts
from signing.credential_data import CredentialData
from signing.textpdf import MARGIN, PAGE_H, PAGE_W, TextPdf, wrap

_STATIC = "电子送达凭证（具有送达回证效力）编号：送达渠道记录（无渠道记录）出具时间：—" + fonts.ASCII


def render(data: CredentialData, font_path: str) -> tuple[bytes, tuple[float, float, float, float], int]:
    """The unsigned credential PDF, the seal position (x, y, w, h) and the seal's page."""
    signer = f"（{data.acted_for}）" if data.acted_for else ""
    statement = (f"本院依据《中华人民共和国民事诉讼法》第九十条及《人民法院在线诉讼规则》第二十九条至第三十三条，"
                 f"经受送达人同意，以电子方式向其送达上述文书。送达信息最早到达受送达人特定系统的时间为"
                 f"{data.effective_at}，该时间为送达日期。受送达人已于{data.signed_at}签收{signer}。本凭证由{data.court}"
                 f"电子印章签章，具有与送达回证同等的效力。")
    rows = [("送达法院", data.court), ("案号", data.case_number), ("送达文书", data.document_title),
            ("文书指纹（SHA-256）", data.document_sha256), ("受送达人", data.recipient),
            (data.recipient_id_label, data.recipient_id), ("电子送达同意", data.consent),
            ("身份核验", data.face_check), *([("签收人", data.acted_for)] if data.acted_for else []),
            ("签收时间", data.signed_at), ("送达生效时间", f"{data.effective_at}（{data.effective_channel}）")]
    cols = [("渠道", 0), ("地址", 48), ("状态", 140), ("发送时间", 192), ("到达时间", 292), ("查阅时间", 392)]
    everything = (_STATIC + statement + "".join(a + b for a, b in rows) + "".join(c for c, _ in cols)
                  + "".join("".join(c.values()) for c in data.channels) + data.receipt_number + data.issued_at
                  + "消息编号：")
    pdf = TextPdf(font_path)
    font = fonts.subset(font_path, everything)
    y = PAGE_H - 80

    def need(height: float) -> None:
        nonlocal y
        if y - height < 110:
            pdf.new_page()
            y = PAGE_H - 70

    title = "电子送达凭证"
    pdf.text((PAGE_W - font.width(title, 22)) / 2, y, 22, title)
    y -= 22
    sub = "（具有送达回证效力）"
    pdf.text((PAGE_W - font.width(sub, 11)) / 2, y, 11, sub, 0.3)
    y -= 20
    pdf.text(PAGE_W - MARGIN - font.width(f"编号：{data.receipt_number}", 9), y, 9, f"编号：{data.receipt_number}", 0.3)
    y -= 14
    pdf.rule(MARGIN, y, PAGE_W - MARGIN, y)
    y -= 22
    label_w = 120.0
    avail = PAGE_W - 2 * MARGIN - label_w
    for label, value in rows:
        size = 10.5
        if value.isascii() and " " not in value and font.width(value, size) > avail:
            size = max(7.0, size * avail / font.width(value, size) - 0.1)  # keep a fingerprint on one line
        lines = wrap(value, font, size, avail)
        need(16 * len(lines) + 6)
        pdf.text(MARGIN, y, 10.5, label + "：", 0.25)
        for line in lines:
            pdf.text(MARGIN + label_w, y, size, line)
            y -= 16
        y -= 6
    need(60)
    y -= 6
    pdf.text(MARGIN, y, 12, "送达渠道记录")
    y -= 8
    pdf.rule(MARGIN, y, PAGE_W - MARGIN, y)
    y -= 16
    for head, dx in cols:
        pdf.text(MARGIN + dx, y, 9, head, 0.25)
    y -= 15
    if not data.channels:
        pdf.text(MARGIN, y, 9, "（无渠道记录）", 0.3)
        y -= 15
    for ch in data.channels:
        need(28)
        for (key, dx) in zip(("channel", "address", "status", "sent", "delivered", "opened"), [c[1] for c in cols],
                             strict=True):
            pdf.text(MARGIN + dx, y, 8.5, ch[key])
        y -= 12
        pdf.text(MARGIN + 48, y, 7.5, f"消息编号：{ch.get('ref', '—')}", 0.35)
        y -= 13
    y -= 10
    lines = wrap(statement, font, 10.5, PAGE_W - 2 * MARGIN)
    need(16 * len(lines) + 150)
    for line in lines:
        pdf.text(MARGIN, y, 10.5, line)
        y -= 17
    y -= 30
    court_line = data.court
    pdf.text(PAGE_W - MARGIN - font.width(court_line, 12), y, 12, court_line)
    y -= 18
    issued = f"出具时间：{data.issued_at}"
    pdf.text(PAGE_W - MARGIN - font.width(issued, 10), y, 10, issued)
    seal = (PAGE_W - MARGIN - 130, max(60.0, y - 40), 120.0, 120.0)
    return pdf.build(font), seal, len(pdf.pages)
