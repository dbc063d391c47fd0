"""The signing service's settings, set once per process by :func:`signing.init_app`.

The engine modules read this plain object instead of Flask's ``current_app`` so that the
benchmark, the CLI and RQ workers all drive the same code with the same values.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class SigningSettings:
    instance_path: str
    public_base_url: str = "http://127.0.0.1:5000"
    production: bool = False
    seal_p12_path: str = ""
    seal_p12_password: str = ""
    seal_key_type: str = "rsa"
    platform_ca_p12_path: str = ""
    platform_ca_p12_password: str = ""
    trust_roots_path: str = ""
    tsa_url: str = ""
    cjk_font_path: str = ""
    max_bytes: int = 100 * 1024 * 1024
    max_pages: int = 2000
    seal_fingerprints: str = ""  # comma-separated SHA-256 hex; empty: the configured seal certificate
    untrusted_cpu_seconds: int = 4
    untrusted_memory_mb: int = 256
    untrusted_wall_seconds: float = 8.0

    @property
    def pki_dir(self) -> Path:
        return Path(self.instance_path) / "pki"

    @classmethod
    def from_config(cls, cfg: object) -> SigningSettings:
        def s(name: str, default: str = "") -> str:
            value = getattr(cfg, name, default)
            return default if value is None else str(value)

        def n(name: str, default: float) -> float:
            return float(getattr(cfg, name, default))

        return cls(
            instance_path=s("INSTANCE_PATH", "instance"),
            public_base_url=s("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
            production=s("ENV", "development") == "production",
            seal_p12_path=s("SEAL_P12_PATH"),
            seal_p12_password=s("SEAL_P12_PASSWORD"),
            seal_key_type=(s("SEAL_KEY_TYPE", "rsa") or "rsa").lower(),
            platform_ca_p12_path=s("PLATFORM_CA_P12_PATH"),
            platform_ca_p12_password=s("PLATFORM_CA_P12_PASSWORD"),
            trust_roots_path=s("TRUST_ROOTS_PATH"),
            tsa_url=s("TSA_URL"),
            cjk_font_path=s("CJK_FONT_PATH"),
            max_bytes=int(n("MAX_UPLOAD_BYTES", 100 * 1024 * 1024)),
            max_pages=int(n("SEAL_MAX_PAGES", 2000)),
            seal_fingerprints=s("SEAL_FINGERPRINTS"),
            untrusted_cpu_seconds=int(n("UNTRUSTED_CPU_SECONDS", 4)),
            untrusted_memory_mb=int(n("UNTRUSTED_MEMORY_MB", 256)),
            untrusted_wall_seconds=n("UNTRUSTED_WALL_SECONDS", 8.0),
        )


_current: SigningSettings | None = None


def configure(settings: SigningSettings) -> SigningSettings:
    global _current
    _current = settings
    return settings


def current() -> SigningSettings:
    if _current is None:
        raise RuntimeError("signing is not configured: call signing.init_app(app) or signing.settings.configure()")
    return _current
