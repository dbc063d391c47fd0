"""A development stand-in for the national network identity service — NOT the real service.

It works offline and is refused when ``ENV=production``. Its page (``/m/authority``) plays the
part of the national app: the person "presents" a name and ID number and authorises or declines.
Documented behaviour, which tests rely on:

* ``decision=authorize`` with the same name and ID number as the court's record → **pass**;
* ``decision=authorize`` with any other name or ID number → **mismatch** (fail);
* ``decision=decline`` (or anything else) → **declined** (fail).

Nothing is checked against any real register, so a pass proves nothing outside development.
"""
from __future__ import annotations

import secrets
from collections.abc import Mapping

from identity.authority.base import DECLINED, MISMATCH, PASS, AuthorityResult

NAME = "netid-development"


class DevelopmentAuthority:
    name = NAME
    display_name = "国家网络身份认证（开发环境模拟，未连接真实服务）"
    development = True

    def finish(self, params: Mapping[str, str], *, name: str, id_number: str) -> AuthorityResult:
        ref = f"devnetid-{secrets.token_hex(8)}"
        if params.get("decision") != "authorize":
            return AuthorityResult(ok=False, code=DECLINED, provider=self.name, ref=ref, development=True)
        same = (params.get("name", "").strip() == name
                and params.get("id_number", "").strip().upper() == id_number.upper())
        return AuthorityResult(ok=same, code=PASS if same else MISMATCH, provider=self.name, ref=ref,
                               development=True)


def build(cfg: object) -> DevelopmentAuthority:
    return DevelopmentAuthority()
