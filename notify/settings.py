"""The notify room's settings: SMS gateways, e-mail, links, the outbox's retries and escalation.

Field names here *are* the environment variables (the providers were written against them);
``config.py`` builds one :class:`NotifySettings` and :func:`notify.init_app` binds it, so web and
workers see the same values without ``notify/`` reading the environment itself. Change them
while the app runs with :func:`configure` (providers are cached per settings object, so the
next send uses the new ones). The WeChat templates are the ``wechat`` room's.
"""
from __future__ import annotations

from pydantic import Field

from court.room_settings import IntList, JsonObject, RoomHolder, RoomSettings


class NotifySettings(RoomSettings):
    # providers are picked by name from notify.providers.registry; "development" records to the
    # database and shows messages at /dev/phone (refused when ENV=production)
    SMS_PROVIDER: str = "development"  # development | aliyun | tencent
    SMS_SIGN_NAME: str = "法院电子送达"  # the approved SMS signature (签名), shown as 【…】
    SMS_TEMPLATE_CODES: JsonObject = Field(default_factory=dict)  # template name -> provider template code
    SMS_BATCH_SIZE: int = Field(100, gt=0)  # numbers per batch call (Aliyun <= 100, Tencent <= 200)
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
    MAIL_PROVIDER: str = "development"  # development | smtp
    MAIL_FROM: str = "noreply@court.example"
    SMTP_HOST: str = "localhost"
    SMTP_PORT: int = Field(25, gt=0, lt=65536)
    SMTP_USERNAME: str = ""
    SMTP_PASSWORD: str = ""
    SMTP_SECURITY: str = Field("starttls", pattern="^(none|starttls|ssl)$")
    LINK_TTL_DAYS: int = Field(7, gt=0)  # SMS link lifetime
    NOTIFY_MAX_ATTEMPTS: int = Field(5, gt=0)  # provider attempts before a notification is marked failed
    NOTIFY_BACKOFF_SECONDS: IntList = (30, 120, 600, 1800)
    NOTIFY_SWEEP_SECONDS: int = Field(60, gt=0)  # how often the outbox sweep runs (RQ scheduler)
    NOTIFY_STUCK_SECONDS: int = Field(300, gt=0)  # a "sending" row older than this is resolved by the sweep
    ESCALATE_SMS_AFTER_MINUTES: int = Field(120, gt=0)  # WeChat not delivered/opened by then: send SMS
    ESCALATE_STAFF_AFTER_DAYS: int = Field(3, gt=0)  # still unopened: flag the case for postal/public notice
    PUSH_CHUNK_SIZE: int = Field(1000, gt=0)  # parties per outbox chunk / dispatch job in a staff push

    def problems(self) -> list[str]:
        from notify.providers import registry

        return registry.problems(self)


_holder: RoomHolder[NotifySettings] = RoomHolder("notify.init_app()")
bind, current, configure = _holder.bind, _holder.current, _holder.configure
get = current  # the name the senders use
