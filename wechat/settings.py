"""The bot's settings as plain values, set once per process by :func:`bot.init_app`.

Jobs run in RQ workers that build the app too, so every process sees the same values; nothing
here reads Flask's ``current_app`` at call time.
"""
from __future__ import annotations

import base64
from dataclasses import dataclass
from functools import cached_property

from wechatpy.crypto import WeChatCrypto

PROVIDERS = ("wechat", "simulator")
DEV_TOKEN = "court-dev-token"
DEV_AES_KEY = "CourtDevAesKey0123456789abcdefghijklmnopqrs"
SIMULATOR_PREFIX = "/dev/wechat"


@dataclass(frozen=True)
class BotSettings:
    provider: str
    token: str
    aes_key: str
    appid: str
    secret: str
    api_base: str  # ends with "/"; the client appends "cgi-bin/…" and "sns/…"
    oauth_base: str  # ends with "/"; "connect/oauth2/authorize" is appended
    mp_base: str  # ends with "/"; "cgi-bin/showqrcode" is appended
    public_base_url: str
    require_encryption: bool = False
    max_body_bytes: int = 64 * 1024
    timestamp_skew: int = 600
    api_timeout: float = 5.0

    @cached_property
    def crypto(self) -> WeChatCrypto:
        return WeChatCrypto(self.token, self.aes_key, self.appid)


def _slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def from_config(cfg: dict[str, object]) -> BotSettings:
    provider = str(cfg.get("WECHAT_PROVIDER") or "simulator")
    if provider not in PROVIDERS:
        raise RuntimeError(f"WECHAT_PROVIDER must be one of {PROVIDERS}, not {provider!r}")
    public = str(cfg.get("PUBLIC_BASE_URL") or "http://127.0.0.1:5000").rstrip("/")
    sim = f"{public}{SIMULATOR_PREFIX}/"
    default_api = sim if provider == "simulator" else "https://api.weixin.qq.com/"
    default_oauth = sim if provider == "simulator" else "https://open.weixin.qq.com/"
    default_mp = sim if provider == "simulator" else "https://mp.weixin.qq.com/"
    aes_key = str(cfg.get("WECHAT_AES_KEY") or "")
    try:
        if len(aes_key) != 43 or len(base64.b64decode(aes_key + "=")) != 32:
            raise ValueError
    except ValueError:
        raise RuntimeError("WECHAT_AES_KEY must be the 43-character EncodingAESKey from the WeChat console") from None
    settings = BotSettings(
        provider=provider,
        token=str(cfg.get("WECHAT_TOKEN") or ""),
        aes_key=aes_key,
        appid=str(cfg.get("WECHAT_APPID") or ""),
        secret=str(cfg.get("WECHAT_SECRET") or ""),
        api_base=_slash(str(cfg.get("WECHAT_API_BASE") or default_api)),
        oauth_base=_slash(str(cfg.get("WECHAT_OAUTH_BASE") or default_oauth)),
        mp_base=_slash(str(cfg.get("WECHAT_MP_BASE") or default_mp)),
        public_base_url=public,
        require_encryption=bool(cfg.get("WECHAT_REQUIRE_ENCRYPTION", False)),
        max_body_bytes=int(cfg.get("WECHAT_MAX_BODY_BYTES") or 64 * 1024),  # type: ignore[call-overload]
        timestamp_skew=int(cfg.get("WECHAT_TIMESTAMP_SKEW", 600)),  # type: ignore[call-overload]
        api_timeout=float(cfg.get("WECHAT_API_TIMEOUT") or 5.0),  # type: ignore[arg-type]
    )
    if not settings.token or not settings.appid:
        raise RuntimeError("WECHAT_TOKEN and WECHAT_APPID must be set")
    if cfg.get("ENV") == "production":
        if provider != "wechat":
            raise RuntimeError("ENV=production refuses WECHAT_PROVIDER=simulator; set WECHAT_PROVIDER=wechat")
        if settings.token == DEV_TOKEN or aes_key == DEV_AES_KEY or not settings.secret:
            raise RuntimeError("ENV=production needs the account's own WECHAT_TOKEN, WECHAT_AES_KEY and WECHAT_SECRET")
        if not settings.require_encryption:
            # plain mode signs only the URL: a captured callback URL would carry any body
            raise RuntimeError("ENV=production refuses plain-mode WeChat callbacks; choose 安全模式 (safe mode) "
                               "in the WeChat console and set WECHAT_REQUIRE_ENCRYPTION=true")
    return settings


_current: BotSettings | None = None


def configure(settings: BotSettings) -> None:
    global _current
    _current = settings


def current() -> BotSettings:
    if _current is None:
        raise RuntimeError("bot.init_app() has not been called")
    return _current
