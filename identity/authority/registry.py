"""The one place that maps ``IDENTITY_AUTHORITY`` to an external identity authority.

``""`` means none is offered (parties still have the face check and clerk verification).
``"development"`` is the offline stand-in and may not run with ``ENV=production``. There is no
production adapter: the national service's interface is issued only to approved integrators.
Like the face registry, this takes the settings as an argument and caches per settings object.
"""
from __future__ import annotations

import importlib
from functools import lru_cache
from typing import TYPE_CHECKING

from identity.authority.base import AuthorityProvider

if TYPE_CHECKING:
    from identity.settings import IdentitySettings

PROVIDERS: dict[str, str] = {
    "development": "identity.authority.development",
}


def problems(cfg: IdentitySettings) -> list[str]:
    """Why the configured authority cannot run (empty when it can): checked at start-up."""
    name = cfg.identity_authority
    if not name:
        return []
    if name not in PROVIDERS:
        return [f"IDENTITY_AUTHORITY={name!r} is not known; leave it empty or choose one of: "
                f"{', '.join(sorted(PROVIDERS))} (a production adapter must be added first; see README)"]
    if name == "development" and cfg.is_production:
        return ["IDENTITY_AUTHORITY=development is an offline stand-in for the national network identity "
                "service and may not run with ENV=production; leave IDENTITY_AUTHORITY empty"]
    return []


def get(cfg: IdentitySettings) -> AuthorityProvider | None:
    """The configured authority (pass ``identity.settings.current()``), or None when none is offered."""
    if not cfg.identity_authority or problems(cfg):
        return None
    return _build(cfg)


@lru_cache(maxsize=4)
def _build(cfg: IdentitySettings) -> AuthorityProvider:
    provider: AuthorityProvider = importlib.import_module(PROVIDERS[cfg.identity_authority]).build(cfg)
    return provider
