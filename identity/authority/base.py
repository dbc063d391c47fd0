"""What an external identity authority returns, whatever its protocol.

A relying party sends the person to the authority (its app or page), the person authorises, and
the authority answers with an assertion about who they are. :meth:`AuthorityProvider.finish`
turns that answer (``params``) into an :class:`AuthorityResult` for the person the court knows
(name and ID number): pass when the authority vouches for exactly that person.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

PASS = "pass"
MISMATCH = "mismatch"  # the authority vouched for someone else
DECLINED = "declined"  # the person did not authorise
UNAVAILABLE = "unavailable"

MESSAGES: dict[str, str] = {
    PASS: "网络身份认证通过",
    MISMATCH: "网络身份认证未通过：认证的身份与法院登记的当事人不一致",
    DECLINED: "您未授权网络身份认证，可改用其他方式核验身份",
    UNAVAILABLE: "网络身份认证服务暂时无法使用，请稍后再试，或联系法院工作人员核验",
}


@dataclass(frozen=True)
class AuthorityResult:
    ok: bool
    code: str
    provider: str
    ref: str | None = None  # the authority's transaction id, for the court to trace a complaint
    development: bool = False


class AuthorityProvider(Protocol):
    name: str  # recorded as IdentityCheck.provider
    display_name: str
    development: bool

    def finish(self, params: Mapping[str, str], *, name: str, id_number: str) -> AuthorityResult: ...
