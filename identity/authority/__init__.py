"""External identity authorities (Online Litigation Rules art. 7: the national unified identity
authentication platform), such as the national network identity service 国家网络身份认证公共服务
("网号/网证"). Picked by ``IDENTITY_AUTHORITY`` like the face providers; see :mod:`.registry`.

Only a development implementation exists: the national service's interface is issued to approved
integrators, so a court adds its production adapter here once it has that specification (README).
"""
from __future__ import annotations

from identity.authority.base import AuthorityResult
from identity.authority.service import available, provider_display_name, verify

__all__ = ["AuthorityResult", "available", "provider_display_name", "verify"]
