"""Proving identity through an external authority: one :class:`IdentityCheck` per attempt.

The check is owned by the session or conversation that asked (``holder_id``), so a pass counts
as a fresh identity check there (:func:`court.services.identity_checks.fresh`) exactly like a
face check, and the credential names the method "网络身份认证".
"""
from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from court import crypto
from court.errors import DomainError
from court.models import IdentityCheck, Person
from court.services import identity_checks
from identity import settings
from identity.authority import registry


def available() -> bool:
    return registry.get(settings.current()) is not None


def provider_display_name() -> str | None:
    provider = registry.get(settings.current())
    return provider.display_name if provider is not None else None


def verify(s: Session, person: Person, params: Mapping[str, str], *, holder_id: str, channel: str) -> IdentityCheck:
    """Record the authority's answer for ``person`` in ``holder_id`` and return the decided check."""
    provider = registry.get(settings.current())
    if provider is None:
        raise DomainError("本院未开通网络身份认证，请选择其他核验方式", code="authority_unavailable", status=404)
    check = identity_checks.open_check(s, person_id=person.id, method="authority", provider=provider.name,
                                       channel=channel, holder_id=holder_id)
    result = provider.finish(params, name=person.real_name, id_number=crypto.decrypt(person.id_number_enc))
    return identity_checks.decide(s, check, ok=result.ok, result=result.code, ref=result.ref)
