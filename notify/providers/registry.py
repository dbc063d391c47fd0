"""Which provider serves each channel, picked by name from the settings.

Each channel has a table of implementations keyed by the setting's value; adding a gateway is
one entry here, never an if-chain in the code that sends.
"""
from __future__ import annotations

from collections.abc import Callable
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

_cache: dict[str, Provider] = {}  # emptied by notify.init_app whenever the settings change


def provider_name(cfg: Any, channel: str) -> str:
    if channel not in REGISTRY:
        raise ProviderConfigError(f"unknown channel {channel!r}")
    setting, table = REGISTRY[channel]
    name = getattr(cfg, setting) if setting else next(iter(table))
    if name not in table:
        raise ProviderConfigError(f"{setting}={name!r} is not one of {', '.join(sorted(table))}")
    return name


def get(cfg: Any, channel: str) -> Provider:
    """The provider for ``channel`` under ``cfg`` (built once per process and settings)."""
    if channel not in _cache:
        _cache[channel] = REGISTRY[channel][1][provider_name(cfg, channel)](cfg)
    return _cache[channel]


def check(cfg: Any) -> list[str]:
    """Validate the settings at start-up: every channel resolves; no development gateway in
    production. Returns the development channels in use (for the /dev pages)."""
    dev: list[str] = []
    for channel in REGISTRY:
        name = provider_name(cfg, channel)
        if (channel, name) in DEVELOPMENT_ONLY:
            if cfg.is_production:
                raise ProviderConfigError(
                    f"ENV=production refuses the development {channel} gateway; set {REGISTRY[channel][0]}")
            dev.append(channel)
    return dev


def reset() -> None:
    _cache.clear()
