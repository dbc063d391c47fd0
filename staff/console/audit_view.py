"""The case's audit log as people read it: who (name and role), what (in words), about what, and
the details as a key/value list; the raw row stays one click away for the auditor.

The words come from :mod:`court.display` (actions, detail keys, subjects) and, for message
templates, from :mod:`notify.messages`; nothing here decides anything, it only names.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from court import display
from court.i18n import _, translate
from court.models import AuditEvent, Document, DocumentKind, Party, PartyRole, Staff, StaffRole, StepAction
from notify import messages

MAX_VALUE_CHARS = 300  # one detail value on the page (the raw row has it all)


@dataclass(frozen=True)
class Row:
    event: AuditEvent
    actor: str
    action: str
    subject: str
    details: list[tuple[str, str]]
    raw: str


def _ids(events: list[AuditEvent], kind: str, attr: str) -> set[int]:
    out = set()
    for e in events:
        ref = getattr(e, attr) or ""
        k, _, n = ref.partition(":")
        if k == kind and n.isdigit():
            out.add(int(n))
    return out


def _value(key: str, value: Any) -> str:
    """One detail value in words: enum codes named, lists joined, nested maps flattened."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, list):
        return "、".join(_value(key, v) for v in value) or "—"
    if isinstance(value, dict):
        return "；".join(f"{display.detail_key(k)}：{_value(k, v)}" for k, v in value.items()) or "—"
    text = str(value)
    for enum_cls in (PartyRole, DocumentKind, StaffRole, StepAction):
        if key in ("role", "roles", "kind", "steps", "action") and text in {m.value for m in enum_cls}:
            return display.label(enum_cls(text))
    if key in ("channel", "channels", "via"):
        return display.seal_channel(text) if text in display.SEAL_CHANNEL else display.label(text)
    if key == "template" and text in messages.TEMPLATES:
        return translate(messages.TEMPLATES[text].title)
    if key == "reason" and text in display.VERSION_REASON:
        return display.version_reason(text)
    if key in ("error", "reason"):
        text = display.error_text(text)
    return text if len(text) <= MAX_VALUE_CHARS else text[:MAX_VALUE_CHARS] + "…"


def actor_names(s: Session, actors: list[str]) -> dict[str, str]:
    """``staff:3`` → ``吴书记员（书记员）``, ``party:5`` → ``张三（原告）`` for the actors given."""
    def ids(kind: str) -> set[int]:
        return {int(n) for k, _, n in (a.partition(":") for a in actors) if k == kind and n.isdigit()}

    names = {f"staff:{m.id}": f"{m.name}（{display.label(m.role)}）"
             for m in s.scalars(select(Staff).where(Staff.id.in_(ids("staff"))))}
    names |= {f"party:{p.id}": f"{p.name}（{display.label(p.role)}）"
              for p in s.scalars(select(Party).where(Party.id.in_(ids("party"))))}
    return names


def rows(s: Session, events: list[AuditEvent]) -> list[Row]:
    names = actor_names(s, [e.actor for e in events] + [e.subject or "" for e in events])
    docs = {d.id: d for d in s.scalars(select(Document).where(Document.id.in_(_ids(events, "document", "subject"))))}
    out = []
    for e in events:
        kind, _, ref = (e.subject or "").partition(":")
        if kind == "document" and ref.isdigit() and int(ref) in docs:
            subject = f"{display.word(display.SUBJECT, kind)}《{docs[int(ref)].title}》"
        elif kind == "party" and f"party:{ref}" in names:
            subject = names[f"party:{ref}"]
        elif e.subject:
            subject = f"{display.word(display.SUBJECT, kind)} #{ref}" if ref else display.word(display.SUBJECT, kind)
        else:
            subject = ""
        details = [(display.detail_key(k), _value(k, v)) for k, v in (e.details or {}).items()]
        raw = json.dumps({"id": e.id, "at": e.at.isoformat() if e.at else None, "actor": e.actor, "action": e.action,
                          "subject": e.subject, "details": e.details, "hash": e.hash, "prev_hash": e.prev_hash},
                         ensure_ascii=False, indent=1, default=str)
        out.append(Row(e, display.actor_label(e.actor, names), display.audit_action(e.action), subject, details, raw))
    return out
