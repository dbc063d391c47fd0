"""The one place that maps ``FACE_PROVIDER`` to a verifier.

Each provider module registers a factory under its name; :func:`get` builds the configured
one once per process (the Baidu client caches its access token, so it is worth keeping).
"""
from __future__ import annotations

import importlib
import threading
from collections.abc import Callable

from identity import settings
from identity.face.base import FaceProvider

# name -> module that defines ``build(settings) -> FaceProvider`` and ``problems(settings)``
PROVIDERS: dict[str, str] = {
    "baidu": "identity.face.baidu",
    "development": "identity.face.development",
}

_lock = threading.Lock()
_built: FaceProvider | None = None


def _module(name: str):  # type: ignore[no-untyped-def]
    if name not in PROVIDERS:
        raise RuntimeError(
            f"FACE_PROVIDER={name!r} is not known; choose one of: {', '.join(sorted(PROVIDERS))}"
        )
    return importlib.import_module(PROVIDERS[name])


def problems(cfg: settings.IdentitySettings) -> list[str]:
    """Why the configured provider cannot run (empty when it can): checked at start-up."""
    found: list[str] = []
    if cfg.face_provider == "development" and cfg.is_production:
        found.append(
            "FACE_PROVIDER=development is an offline development verifier and may not run with "
            "ENV=production; set FACE_PROVIDER=baidu with BAIDU_APP_ID, BAIDU_API_KEY and BAIDU_SECRET_KEY"
        )
    try:
        check: Callable[[settings.IdentitySettings], list[str]] = _module(cfg.face_provider).problems
    except RuntimeError as exc:
        return [*found, str(exc)]
    return [*found, *check(cfg)]


def get() -> FaceProvider:
    global _built
    with _lock:
        if _built is None:
            cfg = settings.current()
            _built = _module(cfg.face_provider).build(cfg)
        return _built


def reset() -> None:
    global _built
    with _lock:
        _built = None
