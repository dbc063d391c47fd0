"""Aliyun SMS (dysmsapi 2017-05-25) on the official ``alibabacloud-dysmsapi20170525`` SDK.

One message goes out with ``SendSms`` (``OutId`` = notification id); several messages on the
same template go out with ``SendBatchSms`` (up to 100 numbers a call, each with its own
variables), whose one ``BizId`` plus the phone number identifies each message in the delivery
reports (``SmsReport`` HTTP push, handled in :mod:`notify.callbacks`). The endpoint and protocol
are settings so tests run the real SDK against a local stand-in.
"""
from __future__ import annotations

import json
import logging
from collections import defaultdict
from typing import Any

from notify.providers.base import Outgoing, ProviderConfigError, SendResult, failure

log = logging.getLogger(__name__)
BATCH_MAX = 100
# Errors worth trying again later; anything else (bad number, template, signature) is final.
RETRYABLE = {"isv.BUSINESS_LIMIT_CONTROL", "isv.DAY_LIMIT_CONTROL", "isv.AMOUNT_NOT_ENOUGH", "isp.SYSTEM_ERROR",
             "isp.RAM_PERMISSION_DENY", "Throttling.User", "Throttling", "ServiceUnavailable", "InternalError"}


def _retryable(code: str | None) -> bool:
    return bool(code) and (code in RETRYABLE or code.startswith(("Throttling", "isp.")))


class AliyunSms:
    name = "aliyun"

    def __init__(self, cfg: Any) -> None:
        from alibabacloud_dysmsapi20170525.client import Client
        from alibabacloud_tea_openapi import models as open_api_models

        if not (cfg.ALIYUN_ACCESS_KEY_ID and cfg.ALIYUN_ACCESS_KEY_SECRET):
            raise ProviderConfigError("SMS_PROVIDER=aliyun needs ALIYUN_ACCESS_KEY_ID and ALIYUN_ACCESS_KEY_SECRET")
        self.sign_name = cfg.SMS_SIGN_NAME
        self.codes: dict[str, str] = dict(cfg.SMS_TEMPLATE_CODES)
        self.batch_size = max(1, min(BATCH_MAX, int(cfg.SMS_BATCH_SIZE)))
        self.client = Client(open_api_models.Config(
            access_key_id=cfg.ALIYUN_ACCESS_KEY_ID, access_key_secret=cfg.ALIYUN_ACCESS_KEY_SECRET,
            endpoint=cfg.ALIYUN_SMS_ENDPOINT, protocol=cfg.ALIYUN_SMS_PROTOCOL,
            connect_timeout=5000, read_timeout=10000,
        ))

    def send(self, batch: list[Outgoing]) -> list[SendResult]:
        results: list[SendResult] = []
        groups: dict[str, list[Outgoing]] = defaultdict(list)
        for m in batch:
            code = self.codes.get(m.template)
            if not code:
                results.append(failure(m, f"未配置阿里云短信模板编号（SMS_TEMPLATE_CODES.{m.template}）", retryable=False))
            else:
                groups[code].append(m)
        for code, items in groups.items():
            if len(items) == 1:
                results.append(self._send_one(code, items[0]))
                continue
            for i in range(0, len(items), self.batch_size):
                results.extend(self._send_batch(code, items[i : i + self.batch_size]))
        return results

    def _send_one(self, code: str, m: Outgoing) -> SendResult:
        from alibabacloud_dysmsapi20170525 import models

        request = models.SendSmsRequest(
            phone_numbers=m.address, sign_name=self.sign_name, template_code=code,
            template_param=json.dumps(m.params, ensure_ascii=False), out_id=str(m.notification_id),
        )
        body, error = self._call(lambda: self.client.send_sms(request))
        if error:
            return failure(m, error[1], retryable=error[0])
        if body.code != "OK":
            return failure(m, f"{body.code}: {body.message}", retryable=_retryable(body.code))
        return SendResult(m.notification_id, ok=True, provider_id=body.biz_id)

    def _send_batch(self, code: str, items: list[Outgoing]) -> list[SendResult]:
        from alibabacloud_dysmsapi20170525 import models

        request = models.SendBatchSmsRequest(
            phone_number_json=json.dumps([m.address for m in items]),
            sign_name_json=json.dumps([self.sign_name] * len(items), ensure_ascii=False),
            template_code=code,
            template_param_json=json.dumps([m.params for m in items], ensure_ascii=False),
        )
        body, error = self._call(lambda: self.client.send_batch_sms(request))
        if error:
            return [failure(m, error[1], retryable=error[0]) for m in items]
        if body.code != "OK":
            return [failure(m, f"{body.code}: {body.message}", retryable=_retryable(body.code)) for m in items]
        return [SendResult(m.notification_id, ok=True, provider_id=body.biz_id) for m in items]

    @staticmethod
    def _call(fn):  # type: ignore[no-untyped-def]
        """Run one SDK call; return (body, None) or (None, (retryable, message))."""
        try:
            return fn().body, None
        except Exception as exc:  # the SDK raises its own exception types for HTTP and network errors
            code = getattr(exc, "code", None) or type(exc).__name__
            message = getattr(exc, "message", None) or str(exc)
            log.warning("Aliyun SMS call failed: %s", code)
            # HTTP-level errors with a known final code are final; network trouble is retried
            final = code and str(code).startswith(("InvalidAccessKeyId", "SignatureDoesNotMatch", "isv.")) \
                and not _retryable(str(code))
            return None, (not final, f"{code}: {message}"[:500])

    def already_sent(self, notification_ids: list[int]) -> dict[int, str] | None:
        return None  # SendSms is not idempotent; a stuck row is sent again (at least once)
