"""Document templates: the court's own wording for one-sided documents (传票, 开庭通知书 …).

A template is text with named fields in braces. Filling it for one party of a case gives the
title and body of a document that ``signing/templated.py`` renders to a PDF with embedded
Chinese text, then uploads, seals and serves like any upload. Unknown field names are refused
when a template is saved, and a field left empty is named when a document is generated, so a
subpoena never goes out with a blank hearing time.
"""
from __future__ import annotations

import string
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from court import audit, db, display
from court.errors import Conflict, DomainError, NotFound
from court.models import Case, Court, DocumentKind, DocumentTemplate, Party

FIELDS: dict[str, str] = {
    "court": "法院名称", "case_number": "案号", "case_title": "案由", "party": "当事人", "role": "诉讼地位",
    "hearing_time": "开庭时间", "hearing_place": "开庭地点", "judge": "承办法官", "date": "日期",
}
KINDS = (DocumentKind.SUBPOENA, DocumentKind.NOTICE, DocumentKind.OTHER)

# Standard wording a court starts from (and may copy and change). The court's name and the date
# are printed at the foot of every generated document, where the seal goes.
STANDARD: tuple[tuple[str, DocumentKind, str, str], ...] = (
    ("传票", DocumentKind.SUBPOENA, "传票", (
        "案号：{case_number}\n案由：{case_title}\n被传唤人：{party}（{role}）\n传唤事由：开庭审理\n"
        "应到时间：{hearing_time}\n应到处所：{hearing_place}\n\n"
        "注意事项：\n一、被传唤人必须准时到达应到处所。\n二、本传票由被传唤人携带来院报到。\n"
        "三、被传唤人收到传票后，应当签收。\n四、被告经传票传唤，无正当理由拒不到庭的，可以缺席判决。\n\n"
        "承办法官：{judge}")),
    ("开庭通知书", DocumentKind.NOTICE, "开庭通知书", (
        "{party}：\n本院受理的{case_number}{case_title}一案，定于{hearing_time}在{hearing_place}开庭审理，"
        "请准时到庭。\n特此通知。\n\n承办法官：{judge}")),
)


def fields_of(text: str) -> set[str]:
    """The field names used in ``text``; a stray brace is refused with a clear reason."""
    try:
        return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name is not None}
    except ValueError:
        raise DomainError("模板中的大括号不成对；字段应写成 {{hearing_time}} 这样", code="bad_template") from None


def _check(title: str, body: str) -> None:
    used = fields_of(title) | fields_of(body)
    unknown = sorted(n for n in used if n not in FIELDS)
    if unknown:
        raise DomainError("模板中有不认识的字段：{names}（可用：{known}）", code="bad_template_field",
                          names="、".join(unknown), known="、".join(FIELDS))
    if not body.strip() or not title.strip():
        raise DomainError("模板的标题和正文不能为空", code="bad_template")


def save(s: Session, court: Court, *, name: str, kind: DocumentKind, title: str, body: str, actor: str,
         template: DocumentTemplate | None = None) -> DocumentTemplate:
    """Create a template, or change ``template``; the wording is checked first."""
    name = (name or "").strip()[:100]
    if not name:
        raise DomainError("请填写模板名称", code="bad_template")
    if kind not in KINDS:
        raise DomainError("模板只用于传票、通知书等法院单方文书", code="bad_template_kind")
    _check(title, body)
    clash = s.scalar(select(DocumentTemplate).where(DocumentTemplate.court_id == court.id,
                                                    DocumentTemplate.name == name))
    if clash is not None and clash is not template:
        raise Conflict("已有同名模板", code="template_exists")
    if template is None:
        template = DocumentTemplate(court_id=court.id, name=name, kind=kind, title=title.strip(), body=body.strip())
        if actor.startswith("staff:"):
            template.created_by_id = int(actor.split(":")[1])
        s.add(template)
    else:
        template.name, template.kind, template.title, template.body = name, kind, title.strip(), body.strip()
        template.updated_at = db.utcnow()
    s.flush()
    audit.record(s, "template.saved", actor=actor, subject=f"template:{template.id}",
                 details={"name": name, "kind": kind.value})
    return template


def templates_of(s: Session, court: Court) -> list[DocumentTemplate]:
    """The court's templates; the standard ones are added the first time a court asks."""
    have = {t.name for t in s.scalars(select(DocumentTemplate).where(DocumentTemplate.court_id == court.id))}
    for name, kind, title, body in STANDARD:
        if name not in have:
            s.add(DocumentTemplate(court_id=court.id, name=name, kind=kind, title=title, body=body))
    s.flush()
    return list(s.scalars(select(DocumentTemplate).where(DocumentTemplate.court_id == court.id,
                                                         DocumentTemplate.active.is_(True))
                          .order_by(DocumentTemplate.id)))


def get(s: Session, court_id: int, template_id: int) -> DocumentTemplate:
    t = s.get(DocumentTemplate, template_id)
    if t is None or t.court_id != court_id:
        raise NotFound("模板不存在", code="template_not_found")
    return t


def values_for(case: Case, party: Party, *, hearing_time: datetime | None = None, hearing_place: str = "",
               judge: str = "", today: datetime | None = None) -> dict[str, str]:
    """The field values for one party (times in Beijing time, as on court documents)."""
    day = display.local_time(today or db.utcnow(), "%Y年%m月%d日")
    return {
        "court": case.court.name, "case_number": case.number, "case_title": case.title or "", "party": party.name,
        "role": display.label(party.role),
        "hearing_time": display.local_time(hearing_time, "%Y年%m月%d日 %H:%M") if hearing_time else "",
        "hearing_place": (hearing_place or "").strip(), "judge": (judge or "").strip(), "date": day,
    }


def fill(template: DocumentTemplate, values: dict[str, str]) -> tuple[str, str]:
    """Title and body with every field filled; names any field that has no value."""
    used = fields_of(template.title) | fields_of(template.body)
    missing = [FIELDS[n] for n in FIELDS if n in used and not values.get(n)]
    if missing:
        raise DomainError("生成“{name}”还需要填写：{fields}", code="template_values_missing", name=template.name,
                          fields="、".join(missing))
    return template.title.format(**values), template.body.format(**values)
