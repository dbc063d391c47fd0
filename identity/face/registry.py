"""The one place that maps ``FACE_PROVIDER`` to a verifier.

Each provider module defines ``build(settings) -> FaceProvider`` and ``problems(settings)``.
:func:`get` builds the verifier for a settings object once (the Baidu client caches its access
token, so it is worth keeping); new settings (``identity.settings.configure``) are a new key, so
nothing needs resetting. This module takes the settings as an argument and never imports
``identity.settings`` (which asks it for its start-up problems).
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import lru_cache
from types import ModuleType
from typing import TYPE_CHECKING

from identity.face.base import FaceProvider

if TYPE_CHECKING:
    from identity.settings import IdentitySettings

# name -> module that defines ``build(settings) -> FaceProvider`` and ``problems(settings)``
PROVIDERS: dict[str, str] = {
    "baidu": "identity.face.baidu",
    "development": "identity.face.development",
}


def _module(name: str) -> ModuleType:
    if name not in PROVIDERS:
        raise RuntimeError(
            f"FACE_PROVIDER={name!r} is not known; choose one of: {', '.join(sorted(PROVIDERS))}"
        )
    return importlib.import_module(PROVIDERS[name])


def problems(cfg: IdentitySettings) -> list[str]:
    """Why the configured provider cannot run (empty when it can): checked at start-up."""
    found: list[str] = []
    if cfg.face_provider == "development" and cfg.is_production:
        found.append(
            "FACE_PROVIDER=development is an offline development verifier and may not run with "
            "ENV=production; set FACE_PROVIDER=baidu with BAIDU_APP_ID, BAIDU_API_KEY and BAIDU_SECRET_KEY"
        )
    try:
        check: Callable[[IdentitySettings], list[str]] = _module(cfg.face_provider).problems
    except RuntimeError as exc:
        return [*found, str(exc)]
    return [*found, *check(cfg)]


@lru_cache(maxsize=4)
def get(cfg: IdentitySettings) -> FaceProvider:
    """The verifier for ``cfg`` (pass ``identity.settings.current()``), built once per settings."""
    provider: FaceProvider = _module(cfg.face_provider).build(cfg)
    return provider
