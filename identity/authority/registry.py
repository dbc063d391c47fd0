"""The one place that maps ``IDENTITY_AUTHORITY`` to an external identity authority.

``""`` means none is offered (parties still have the face check and clerk verification).
``"development"`` is the offline stand-in and may not run with ``ENV=production``. There is no
production adapter: the national service's interface is issued only to approved integrators.
"""
from __future__ import annotations

import importlib
import threading

from identity import settings
from identity.authority.base import AuthorityProvider

PROVIDERS: dict[str, str] = {
    "development": "identity.authority.development",
}

_lock = threading.Lock()
_built: AuthorityProvider | None = None


def problems(cfg: settings.IdentitySettings) -> list[str]:
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


def get() -> AuthorityProvider | None:
    """The configured authority, or None when none is offered."""
    global _built
    cfg = settings.current()
    if not cfg.identity_authority or problems(cfg):
        return None
    with _lock:
        if _built is None:
            _built = importlib.import_module(PROVIDERS[cfg.identity_authority]).build(cfg)
        return _built


def reset() -> None:
    global _built
    with _lock:
        _built = None
