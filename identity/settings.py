"""The identity room's settings: face verification, the identity authority, face information.

``config.py`` builds one :class:`IdentitySettings` from the environment (the alias of each field
is its variable); :func:`identity.init_app` binds it for the web process, RQ workers and CLI
commands alike. Change them while the app runs with :func:`configure` (tests do).
"""
from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from court.room_settings import RoomHolder, RoomSettings, json_object


class IdentitySettings(RoomSettings):
    # "development" (offline, refused when ENV=production) or "baidu" (Baidu AI via baidu-aip)
    face_provider: str = Field("development", alias="FACE_PROVIDER")
    baidu_app_id: str = Field("", alias="BAIDU_APP_ID")
    baidu_api_key: str = Field("", alias="BAIDU_API_KEY")
    baidu_secret_key: str = Field("", alias="BAIDU_SECRET_KEY")
    baidu_api_base: str = Field("https://aip.baidubce.com", alias="BAIDU_API_BASE")  # tests: a local stand-in
    baidu_ca_bundle: str = Field("", alias="BAIDU_CA_BUNDLE")  # empty: the default trust store
    baidu_liveness_control: str = Field("NORMAL", alias="BAIDU_LIVENESS_CONTROL")  # NONE | LOW | NORMAL | HIGH
    baidu_quality_control: str = Field("NORMAL", alias="BAIDU_QUALITY_CONTROL")  # NONE | LOW | NORMAL | HIGH
    face_pass_score: float = Field(80.0, alias="FACE_PASS_SCORE", ge=0, le=100)
    face_fresh_minutes: int = Field(10, alias="FACE_FRESH_MINUTES", gt=0)  # signing / joining need a pass this recent
    face_timeout_seconds: float = Field(8.0, alias="FACE_TIMEOUT_SECONDS", gt=0)  # read timeout per call
    face_connect_timeout_seconds: float = Field(3.0, alias="FACE_CONNECT_TIMEOUT_SECONDS", gt=0)
    face_daily_attempts: int = Field(5, alias="FACE_DAILY_ATTEMPTS", gt=0)  # per conversation or session
    face_image_ttl_seconds: int = Field(300, alias="FACE_IMAGE_TTL_SECONDS", gt=0)  # a queued selfie in Redis
    face_max_image_bytes: int = Field(4 * 1024 * 1024, alias="FACE_MAX_IMAGE_BYTES", gt=0)
    # the notice shown before a face check (empty: built-in); "{provider}", "{alternatives}" filled in
    face_notice_text: str = Field("", alias="FACE_NOTICE_TEXT")
    # display names of the face providers named in the notice, JSON {"baidu": "…"} (over the built-ins)
    face_provider_names: tuple[tuple[str, str], ...] = Field((), alias="FACE_PROVIDER_NAMES")
    # "" (none) or "development" (offline stand-in, refused in production); no production adapter yet
    identity_authority: str = Field("", alias="IDENTITY_AUTHORITY")

    @field_validator("face_provider", "identity_authority", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("baidu_liveness_control", "baidu_quality_control", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return (value.strip().upper() or "NONE") if isinstance(value, str) else value

    @field_validator("baidu_api_base")
    @classmethod
    def _no_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("face_provider_names", mode="before")
    @classmethod
    def _names(cls, value: Any) -> Any:
        """JSON object from the environment or a dict from code: kept as sorted pairs (hashable)."""
        if isinstance(value, (str, dict)):
            return tuple(sorted((str(k), str(v)) for k, v in json_object(value).items()))
        return value

    def problems(self) -> list[str]:
        """The face provider and the identity authority say what stops them (production included)."""
        from identity.authority import registry as authority_registry
        from identity.face import registry

        return registry.problems(self) + authority_registry.problems(self)


_holder: RoomHolder[IdentitySettings] = RoomHolder("identity.init_app()", IdentitySettings)
bind, current, configure = _holder.bind, _holder.current, _holder.configure
