"""Which provider serves each channel, picked by name from the settings.

Each channel has a table of implementations keyed by the setting's value; adding a gateway is
one entry here, never an if-chain in the code that sends.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from notify.providers.base import Provider, ProviderConfigError

Factory = Callable[[Any], Provider]


def _dev(channel: str) -> Factory:
    def make(_cfg: Any) -> Provider:
        from notify.providers.development import DevelopmentGateway

        return DevelopmentGateway(channel)

    return make


def _aliyun(cfg: Any) -> Provider:
    from notify.providers.aliyun import AliyunSms

    return AliyunSms(cfg)


def _tencent(cfg: Any) -> Provider:
    from notify.providers.tencent import TencentSms

    return TencentSms(cfg)


def _smtp(cfg: Any) -> Provider:
    from notify.providers.mail import SmtpMail

    return SmtpMail(cfg)


def _wechat(cfg: Any) -> Provider:
    from notify.providers.wechat import WeChatTemplateMessages

    return WeChatTemplateMessages(cfg)


def _console(_cfg: Any) -> Provider:
    from notify.providers.development import ConsoleInbox

    return ConsoleInbox()


# channel -> (setting that names the provider, or None for a single implementation, {name: factory})
REGISTRY: dict[str, tuple[str | None, dict[str, Factory]]] = {
    "sms": ("SMS_PROVIDER", {"development": _dev("sms"), "aliyun": _aliyun, "tencent": _tencent}),
    "email": ("MAIL_PROVIDER", {"development": _dev("email"), "smtp": _smtp}),
    "wechat": (None, {"wechatpy": _wechat}),
    "console": (None, {"console": _console}),
}
DEVELOPMENT_ONLY = {("sms", "development"), ("email", "development")}



def provider_name(cfg: Any, channel: str) -> str:
    if channel not in REGISTRY:
        raise ProviderConfigError(f"unknown channel {channel!r}")
    setting, table = REGISTRY[channel]
    name = getattr(cfg, setting) if setting else next(iter(table))
    if name not in table:
        raise ProviderConfigError(f"{setting}={name!r} is not one of {', '.join(sorted(table))}")
    return str(name)


def get(cfg: Any, channel: str) -> Provider:
    """The provider for ``channel`` under ``cfg`` (a ``NotifySettings``), built once per settings
    object: new settings (``notify.settings.configure``) are a new key, nothing to reset."""
    return _build(cfg, channel)


@lru_cache(maxsize=16)
def _build(cfg: Any, channel: str) -> Provider:
    return REGISTRY[channel][1][provider_name(cfg, channel)](cfg)


def problems(cfg: Any) -> list[str]:
    """Start-up: every channel resolves; no development gateway in production (one line each)."""
    found: list[str] = []
    for channel in REGISTRY:
        try:
            name = provider_name(cfg, channel)
        except ProviderConfigError as exc:
            found.append(str(exc))
            continue
        if (channel, name) in DEVELOPMENT_ONLY and cfg.is_production:
            found.append(f"{REGISTRY[channel][0]}: ENV=production refuses the development {channel} gateway")
    return found


def development_channels(cfg: Any) -> list[str]:
    """The channels served by a development gateway (their /dev pages are mounted)."""
    return [channel for channel in REGISTRY if (channel, provider_name(cfg, channel)) in DEVELOPMENT_ONLY]


def reset() -> None:
    """Forget built providers (a test stopping a stand-in the cached client was bound to)."""
    _build.cache_clear()
