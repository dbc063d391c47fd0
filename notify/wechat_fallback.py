"""When WeChat cannot reach a party (not following, a bad openid, a refused message), the same
notice goes by SMS, and a bad openid is put before staff.

A document's service notice needs nothing here: its failure already moves the service record on
to SMS (:mod:`notify.serve`). Every other WeChat notice (hearing notices, summonses, receipts,
face-check results) gets an SMS row in the outbox, linked to the failed one by its dedupe key,
so the notification trace shows both.

The SMS address comes from the consent service (:mod:`court.services.consent`, the one home of
the rule): for a party, the first SMS address its eligibility gives (confirmed before
court-entered). A party without consent in force gets nothing by SMS except the permitted notice
that a document is waiting (``WAITING``); the refusal is audited as ``notification.no_fallback``.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from court import audit
from court.models import Case, ChannelBinding, Notification, Party, Person, ServiceRecord
from court.services import consent_addresses, outbox
from notify.providers.base import SendResult

WAITING = frozenset({"document_ready", "sign_request"})  # "a document is waiting": allowed without consent
BINDING_NOTE = "{name}的微信绑定无效（微信拒收：openid错误），请核实并解除绑定"


def apply(s: Session, results: list[SendResult]) -> None:
    """Act on the final WeChat failures among ``results`` (the dispatcher's one hook)."""
    for r in results:
        if not r.fallback:
            continue
        n = s.get(Notification, r.notification_id)
        if n is None or n.channel != "wechat":
            continue
        if r.fallback.endswith("+flag"):
            _flag_binding(s, n, r.error or "")
        _sms_instead(s, n)


def _phone(s: Session, n: Notification) -> tuple[str | None, str]:
    """The SMS address for ``n``'s recipient, or None and why not."""
    party = s.get(Party, n.party_id) if n.party_id else None
    if party is not None:
        standing = consent_addresses.eligibility(s, party)
        if not standing.may_serve and n.template not in WAITING:
            return None, "no consent"
        found = standing.first(channels=("sms",))
        return (found.address if found is not None else None), "no phone"
    person = s.get(Person, n.person_id) if n.person_id else None  # not about a case: the person's proven phone
    return (person.phone if person is not None else None), "no phone"


def _sms_instead(s: Session, n: Notification) -> None:
    if n.document_id is not None and n.party_id is not None and s.scalar(select(ServiceRecord.id).where(
            ServiceRecord.party_id == n.party_id, ServiceRecord.document_id == n.document_id)) is not None:
        return  # the service record's escalation sends the SMS
    key = f"fallback:{n.id}:sms"
    if s.scalar(select(Notification.id).where(Notification.dedupe_key == key)) is not None:
        return
    phone, why = _phone(s, n)
    if not phone:
        audit.record(s, "notification.no_fallback", case_id=n.case_id, subject=f"notification:{n.id}",
                     details={"template": n.template, "reason": why})
        return
    outbox.add(s, channel="sms", address=phone, template=n.template, params=dict(n.params or {}),
               case_id=n.case_id, party_id=n.party_id, person_id=n.person_id, document_id=n.document_id,
               push_id=n.push_id, dedupe_key=key)
    audit.record(s, "notification.fallback_sms", case_id=n.case_id, subject=f"notification:{n.id}",
                 details={"template": n.template, "error": (n.error or "")[:100]})


def _flag_binding(s: Session, n: Notification, error: str) -> None:
    """WeChat says the openid is not a user of this account: staff should check the binding."""
    binding = s.scalar(select(ChannelBinding).where(ChannelBinding.channel == "wechat",
                                                    ChannelBinding.address == n.address))
    person = binding.person if binding is not None else None
    audit.record(s, "wechat.binding_invalid", case_id=n.case_id,
                 subject=f"person:{person.id}" if person else f"notification:{n.id}",
                 details={"binding_id": binding.id if binding else None, "error": error[:100],
                          "suggestion": "unbind"})
    case = s.get(Case, n.case_id) if n.case_id else None
    if case is not None:
        note = BINDING_NOTE.format(name=person.real_name if person else "当事人")
        if note not in (case.needs_attention or ""):
            case.needs_attention = (f"{case.needs_attention}；{note}" if case.needs_attention else note)[:200]
