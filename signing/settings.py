"""The signing service's settings: seal and CA keys, trust, timestamps, fonts, limits on untrusted PDFs.

``config.py`` builds one :class:`SigningSettings` from the environment (each field's alias is its
variable); :func:`signing.init_app` binds it. The engine modules read this plain object instead
of Flask's ``current_app`` so that the benchmark, the CLI and RQ workers drive the same code with
the same values.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, field_validator

from court.room_settings import RoomHolder, RoomSettings
from court.settings import DEFAULT_INSTANCE, DEFAULT_MAX_UPLOAD_BYTES, DEFAULT_PUBLIC_BASE_URL

KEY_TYPES = ("rsa", "ec")


class SigningSettings(RoomSettings):
    # the court's values (config.py passes them; the defaults are court.settings' constants)
    instance_path: str = Field(DEFAULT_INSTANCE, alias="INSTANCE_PATH")
    public_base_url: str = Field(DEFAULT_PUBLIC_BASE_URL, alias="PUBLIC_BASE_URL")
    max_bytes: int = Field(DEFAULT_MAX_UPLOAD_BYTES, alias="MAX_UPLOAD_BYTES")
    # SEAL_P12_PATH empty: the development CA and seal generated under INSTANCE_PATH/pki
    seal_p12_path: str = Field("", alias="SEAL_P12_PATH")
    seal_p12_password: str = Field("", alias="SEAL_P12_PASSWORD")
    seal_key_type: str = Field("rsa", alias="SEAL_KEY_TYPE")  # rsa (RSA-2048) | ec (P-256), development seal
    # the CA that issues per-signing event certificates to parties; empty: the development CA
    platform_ca_p12_path: str = Field("", alias="PLATFORM_CA_P12_PATH")
    platform_ca_p12_password: str = Field("", alias="PLATFORM_CA_P12_PASSWORD")
    trust_roots_path: str = Field("", alias="TRUST_ROOTS_PATH")  # extra PEM roots verification trusts
    # SHA-256 fingerprints (hex, comma-separated) of the seal certificates /verify accepts as this
    # court's seal; list the old and the new while rotating. Empty: the configured seal.
    seal_fingerprints: str = Field("", alias="SEAL_FINGERPRINTS")
    tsa_url: str = Field("", alias="TSA_URL")  # RFC 3161 TSA; "dev" = the local development TSA; empty: none
    # PEM root(s) of the TSA, to check audit anchors; empty: the development TSA's root with TSA_URL=dev
    tsa_trust_roots_path: str = Field("", alias="TSA_TRUST_ROOTS_PATH")
    audit_anchor_minutes: int = Field(60, alias="AUDIT_ANCHOR_MINUTES", gt=0)  # how often the chain's head is timestamped
    cjk_font_path: str = Field("", alias="CJK_FONT_PATH")  # empty: the first installed of signing.fonts.CANDIDATES
    max_pages: int = Field(2000, alias="SEAL_MAX_PAGES", gt=0)
    # what one untrusted PDF may cost to parse, verify or render (a child process with limits)
    untrusted_cpu_seconds: int = Field(4, alias="UNTRUSTED_CPU_SECONDS", gt=0)
    untrusted_memory_mb: int = Field(256, alias="UNTRUSTED_MEMORY_MB", gt=0)
    untrusted_wall_seconds: float = Field(8.0, alias="UNTRUSTED_WALL_SECONDS", gt=0)

    @field_validator("public_base_url")
    @classmethod
    def _no_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("seal_key_type", mode="before")
    @classmethod
    def _key_type(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip().lower() or "rsa"
            if value not in KEY_TYPES:
                raise ValueError(f"must be one of {', '.join(KEY_TYPES)}")
        return value

    @property
    def production(self) -> bool:
        return self.is_production

    @property
    def pki_dir(self) -> Path:
        return Path(self.instance_path) / "pki"

    def production_problems(self) -> list[str]:
        if self.tsa_url and self.tsa_url != "dev" and not self.tsa_trust_roots_path:
            return ["TSA_URL is set: set TSA_TRUST_ROOTS_PATH to the timestamp authority's root "
                    "certificate(s) so audit anchors can be checked"]
        return []


_holder: RoomHolder[SigningSettings] = RoomHolder("signing.init_app(app) or signing.settings.bind()")
bind, current, configure = _holder.bind, _holder.current, _holder.configure
