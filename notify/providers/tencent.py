"""Tencent Cloud SMS (API 2021-01-11) on the official ``tencentcloud-sdk-python-sms`` SDK.

``SendSms`` takes up to 200 numbers sharing one template and one set of variables, so messages
with identical variables (a hearing notice to every party of a case) share a call; each number
gets its own ``SerialNo``, which the delivery callback reports back as ``sid``.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

from notify.providers.base import Outgoing, ProviderConfigError, SendResult, failure

log = logging.getLogger(__name__)
BATCH_MAX = 200


def _retryable(code: str | None) -> bool:
    return bool(code) and str(code).startswith(
        ("LimitExceeded", "RequestLimitExceeded", "InternalError", "ClientNetworkError", "ServerNetworkError"))


def international(phone: str) -> str:
    return phone if phone.startswith("+") else f"+86{phone}"


class TencentSms:
    name = "tencent"

    def __init__(self, cfg: Any) -> None:
        from tencentcloud.common import credential
        from tencentcloud.common.profile.client_profile import ClientProfile
        from tencentcloud.common.profile.http_profile import HttpProfile
        from tencentcloud.sms.v20210111 import sms_client

        if not (cfg.TENCENT_SECRET_ID and cfg.TENCENT_SECRET_KEY and cfg.TENCENT_SMS_APP_ID):
            raise ProviderConfigError(
                "SMS_PROVIDER=tencent needs TENCENT_SECRET_ID, TENCENT_SECRET_KEY and TENCENT_SMS_APP_ID")
        self.app_id = cfg.TENCENT_SMS_APP_ID
        self.sign_name = cfg.SMS_SIGN_NAME
        self.codes: dict[str, str] = dict(cfg.SMS_TEMPLATE_CODES)
        self.batch_size = max(1, min(BATCH_MAX, int(cfg.SMS_BATCH_SIZE)))
        profile = ClientProfile(httpProfile=HttpProfile(
            protocol=cfg.TENCENT_SMS_PROTOCOL, endpoint=cfg.TENCENT_SMS_ENDPOINT, reqTimeout=10))
        self.client = sms_client.SmsClient(
            credential.Credential(cfg.TENCENT_SECRET_ID, cfg.TENCENT_SECRET_KEY), cfg.TENCENT_SMS_REGION, profile)

    def send(self, batch: list[Outgoing]) -> list[SendResult]:
        results: list[SendResult] = []
        groups: dict[tuple[str, tuple[str, ...]], list[Outgoing]] = defaultdict(list)
        for m in batch:
            code = self.codes.get(m.template)
            if not code:
                results.append(failure(m, f"未配置腾讯云短信模板ID（SMS_TEMPLATE_CODES.{m.template}）", retryable=False))
            else:
                groups[(code, tuple(m.params.values()))].append(m)
        for (code, values), items in groups.items():
            for i in range(0, len(items), self.batch_size):
                results.extend(self._send(code, list(values), items[i : i + self.batch_size]))
        return results

    def _send(self, code: str, values: list[str], items: list[Outgoing]) -> list[SendResult]:
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
        from tencentcloud.sms.v20210111 import models

        req = models.SendSmsRequest()
        req.SmsSdkAppId = self.app_id
        req.SignName = self.sign_name
        req.TemplateId = code
        req.TemplateParamSet = values
        req.PhoneNumberSet = [international(m.address) for m in items]
        req.SessionContext = ",".join(str(m.notification_id) for m in items)[:500]
        try:
            resp = self.client.SendSms(req)
        except TencentCloudSDKException as exc:
            log.warning("Tencent SMS call failed: %s", exc.code)
            return [failure(m, f"{exc.code}: {exc.message}", retryable=_retryable(exc.code) or not exc.code)
                    for m in items]
        except Exception as exc:  # network trouble below the SDK
            return [failure(m, f"{type(exc).__name__}: {exc}", retryable=True) for m in items]
        by_phone = {st.PhoneNumber: st for st in (resp.SendStatusSet or [])}
        out: list[SendResult] = []
        for m in items:
            st = by_phone.get(international(m.address))
            if st is None:
                out.append(failure(m, "腾讯云未返回该号码的发送状态", retryable=True))
            elif st.Code == "Ok":
                out.append(SendResult(m.notification_id, ok=True, provider_id=st.SerialNo))
            else:
                out.append(failure(m, f"{st.Code}: {st.Message}", retryable=_retryable(st.Code)))
        return out

    def already_sent(self, notification_ids: list[int]) -> dict[int, str] | None:
        return None
