"""The WeChat official account's settings, bound once per process by :func:`bot.init_app`.

The defaults run against the local simulator (/dev/wechat on this app, ``flask bot chat``).
Production sets ``WECHAT_PROVIDER=wechat`` and the account's values from the official-account
console (开发 → 基本配置); :meth:`WeChatSettings.production_problems` refuses the simulator and
the development token/key. Jobs run in RQ workers that build the app too, so every process sees
the same values; nothing here reads Flask's ``current_app`` at call time.
"""
from __future__ import annotations

import base64
from functools import cached_property
from typing import Any

from pydantic import Field, field_validator, model_validator
from wechatpy.crypto import WeChatCrypto

from court.room_settings import JsonObject, RoomHolder, RoomSettings
from court.settings import DEFAULT_PUBLIC_BASE_URL

PROVIDERS = ("wechat", "simulator")
DEV_TOKEN = "court-dev-token"
DEV_AES_KEY = "CourtDevAesKey0123456789abcdefghijklmnopqrs"
SIMULATOR_PREFIX = "/dev/wechat"
TEMPLATE_KINDS = ("document_ready", "sign_request", "flow_finished", "hearing_notice", "summons",
                  "general_notice", "receipt_confirmation", "face_result")


def _slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"


class WeChatSettings(RoomSettings):
    provider: str = Field("simulator", alias="WECHAT_PROVIDER")  # wechat | simulator
    token: str = Field(DEV_TOKEN, alias="WECHAT_TOKEN")  # 令牌 (Token), signs every callback
    aes_key: str = Field(DEV_AES_KEY, alias="WECHAT_AES_KEY")  # EncodingAESKey, 43 characters
    appid: str = Field("wxc0de000000000dev", alias="WECHAT_APPID")
    secret: str = Field("court-dev-secret", alias="WECHAT_SECRET")
    # each ends with "/"; empty: WeChat's own (provider wechat) or the simulator on PUBLIC_BASE_URL
    api_base: str = Field("", alias="WECHAT_API_BASE")  # "cgi-bin/…" and "sns/…" are appended
    oauth_base: str = Field("", alias="WECHAT_OAUTH_BASE")  # "connect/oauth2/authorize" is appended
    mp_base: str = Field("", alias="WECHAT_MP_BASE")  # "cgi-bin/showqrcode" is appended
    public_base_url: str = Field(DEFAULT_PUBLIC_BASE_URL, alias="PUBLIC_BASE_URL")  # the court's
    require_encryption: bool = Field(False, alias="WECHAT_REQUIRE_ENCRYPTION")  # refuse plain-mode callbacks
    max_body_bytes: int = Field(64 * 1024, alias="WECHAT_MAX_BODY_BYTES", gt=0)  # larger callbacks: 413
    timestamp_skew: int = Field(600, alias="WECHAT_TIMESTAMP_SKEW", ge=0)  # seconds; 0: no check
    api_timeout: float = Field(5.0, alias="WECHAT_API_TIMEOUT", gt=0)
    # message kind -> template id, or {"id": "…", "fields": {"doc": "thing1", …}} naming the
    # template's field for each slot (wechat/templates.py WECHAT_LAYOUTS; README says what to pick)
    template_ids: JsonObject = Field(default_factory=lambda: {k: f"dev-tpl-{k}" for k in TEMPLATE_KINDS},
                                     alias="WECHAT_TEMPLATE_IDS")

    @field_validator("provider")
    @classmethod
    def _provider(cls, value: str) -> str:
        if value not in PROVIDERS:
            raise ValueError(f"must be one of {', '.join(PROVIDERS)}")
        return value

    @field_validator("aes_key")
    @classmethod
    def _aes_key(cls, value: str) -> str:
        try:
            if len(value) != 43 or len(base64.b64decode(value + "=")) != 32:
                raise ValueError
        except ValueError:
            raise ValueError("must be the 43-character EncodingAESKey from the WeChat console") from None
        return value

    @model_validator(mode="after")
    def _bases(self) -> WeChatSettings:
        """Empty bases point at WeChat (provider wechat) or at the simulator on this app."""
        public = self.public_base_url.rstrip("/")
        sim = f"{public}{SIMULATOR_PREFIX}/"
        real = self.provider == "wechat"
        for name, own in (("api_base", "https://api.weixin.qq.com/"), ("oauth_base", "https://open.weixin.qq.com/"),
                          ("mp_base", "https://mp.weixin.qq.com/")):
            object.__setattr__(self, name, _slash(getattr(self, name) or (own if real else sim)))
        object.__setattr__(self, "public_base_url", public)
        return self

    @cached_property
    def crypto(self) -> WeChatCrypto:
        return WeChatCrypto(self.token, self.aes_key, self.appid)

    def problems(self) -> list[str]:
        from wechat.templates import layout_problems, template_specs

        found = [] if self.token and self.appid else ["WECHAT_TOKEN and WECHAT_APPID must be set"]
        templates: list[str] = []
        for name, spec in template_specs(self).items():
            if not spec.template_id:
                templates.append(f"{name}: 缺少模板ID（id）")
            templates.extend(layout_problems(name, spec.fields))
        if templates:
            found.append("WECHAT_TEMPLATE_IDS: " + "; ".join(templates))
        return found

    def production_problems(self) -> list[str]:
        if self.provider != "wechat":
            return ["WECHAT_PROVIDER: ENV=production refuses the simulator; set WECHAT_PROVIDER=wechat"]
        found = []
        if self.token == DEV_TOKEN or self.aes_key == DEV_AES_KEY or not self.secret:
            found.append("ENV=production needs the account's own WECHAT_TOKEN, WECHAT_AES_KEY and WECHAT_SECRET")
        if not self.require_encryption:
            # plain mode signs only the URL: a captured callback URL would carry any body
            found.append("ENV=production refuses plain-mode WeChat callbacks; choose 安全模式 (safe mode) "
                         "in the WeChat console and set WECHAT_REQUIRE_ENCRYPTION=true")
        return found


def from_values(**values: Any) -> WeChatSettings:
    """Settings from environment names (the benchmark and tests build them without an app)."""
    return WeChatSettings.model_validate(values)


_holder: RoomHolder[WeChatSettings] = RoomHolder("bot.init_app()")
bind, current, configure = _holder.bind, _holder.current, _holder.configure
