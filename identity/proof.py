"""Is this person's identity freshly proven *here*, by any accepted route? (Online Litigation Rules art. 7)

Signing (and refusing to sign) needs an identity check that passed recently in the same session or
conversation. Every route counts the same: a face check, a clerk's verification claimed through
the one-time link, or an external identity authority; :func:`court.services.identity_checks.fresh`
answers per holder and whatever the method. Development providers never count in production.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from court.errors import DomainError
from court.models import IdentityCheck, Person
from court.services import identity_checks
from identity import settings

DEVELOPMENT_PROVIDERS = frozenset({"development", "netid-development"})


def fresh_check(s: Session, person: Person, holder_id: str) -> IdentityCheck | None:
    cfg = settings.current()
    check = identity_checks.fresh(s, person_id=person.id, holder_id=holder_id, minutes=cfg.face_fresh_minutes)
    if check is not None and cfg.is_production and check.provider in DEVELOPMENT_PROVIDERS:
        return None
    return check


def is_fresh(s: Session, person: Person, holder_id: str) -> bool:
    """Fresh by any route in ``holder_id``. Until face checks are recorded as IdentityCheck rows
    (issue 10), a face pass recorded on the person also counts."""
    from identity.face import checks

    return fresh_check(s, person, holder_id) is not None or checks.is_fresh(person)


def require_fresh(s: Session, person: Person, holder_id: str) -> None:
    if not is_fresh(s, person, holder_id):
        raise DomainError("为确认是您本人操作，请先核验身份（人脸识别、工作人员核验或网络身份认证，核验后{minutes}分钟内有效）",
                          code="face_check_needed", status=403, minutes=settings.current().face_fresh_minutes)
