"""The identity room's settings, handed over once by :func:`identity.init_app`.

``identity/`` may not import ``config.py`` (it sits above every room), so ``init_app`` copies
the values it needs into an :class:`IdentitySettings` that the web process, RQ workers and CLI
commands all share. Tests change them with :func:`configure`.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any


@dataclass(frozen=True)
class IdentitySettings:
    env: str = "development"
    face_provider: str = "development"
    baidu_app_id: str = ""
    baidu_api_key: str = ""
    baidu_secret_key: str = ""
    baidu_api_base: str = "https://aip.baidubce.com"
    baidu_ca_bundle: str = ""
    baidu_liveness_control: str = "NORMAL"
    baidu_quality_control: str = "NORMAL"
    face_pass_score: float = 80.0
    face_fresh_minutes: int = 10
    face_timeout_seconds: float = 8.0
    face_connect_timeout_seconds: float = 3.0
    face_daily_attempts: int = 5
    face_image_ttl_seconds: int = 300
    face_max_image_bytes: int = 4 * 1024 * 1024
    face_notice_text: str = ""
    face_provider_names: tuple[tuple[str, str], ...] = ()
    identity_authority: str = ""

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @classmethod
    def from_config(cls, cfg: Any) -> IdentitySettings:
        """Read the ``FACE_*`` / ``BAIDU_*`` fields of the app's ``Config``."""
        return cls(
            env=cfg.ENV,
            face_provider=(cfg.FACE_PROVIDER or "").strip().lower(),
            baidu_app_id=cfg.BAIDU_APP_ID,
            baidu_api_key=cfg.BAIDU_API_KEY,
            baidu_secret_key=cfg.BAIDU_SECRET_KEY,
            baidu_api_base=(cfg.BAIDU_API_BASE or "").rstrip("/"),
            baidu_ca_bundle=cfg.BAIDU_CA_BUNDLE,
            baidu_liveness_control=(cfg.BAIDU_LIVENESS_CONTROL or "NONE").upper(),
            baidu_quality_control=(cfg.BAIDU_QUALITY_CONTROL or "NONE").upper(),
            face_pass_score=float(cfg.FACE_PASS_SCORE),
            face_fresh_minutes=int(cfg.FACE_FRESH_MINUTES),
            face_timeout_seconds=float(cfg.FACE_TIMEOUT_SECONDS),
            face_connect_timeout_seconds=float(cfg.FACE_CONNECT_TIMEOUT_SECONDS),
            face_daily_attempts=int(cfg.FACE_DAILY_ATTEMPTS),
            face_image_ttl_seconds=int(cfg.FACE_IMAGE_TTL_SECONDS),
            face_max_image_bytes=int(cfg.FACE_MAX_IMAGE_BYTES),
            face_notice_text=cfg.FACE_NOTICE_TEXT or "",
            face_provider_names=tuple(sorted((cfg.FACE_PROVIDER_NAMES or {}).items())),
            identity_authority=(cfg.IDENTITY_AUTHORITY or "").strip().lower(),
        )


_current = IdentitySettings()


def current() -> IdentitySettings:
    return _current


def configure(settings: IdentitySettings | None = None, **changes: Any) -> IdentitySettings:
    """Install ``settings`` (or the current ones with ``changes``); providers are rebuilt."""
    global _current
    _current = replace(settings or _current, **changes)
    from identity.authority import registry as authority_registry
    from identity.face import registry

    registry.reset()
    authority_registry.reset()
    return _current
