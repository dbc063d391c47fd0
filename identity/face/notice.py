"""The face-information notice (人脸信息处理告知书) shown before any face check, on every channel.

The Face Recognition Measures (2025) ask for consent that is *informed*: what is collected, why,
who processes it, how long it is kept, and the other ways to prove identity. The text and the
provider names come from settings (``FACE_NOTICE_TEXT``, ``FACE_PROVIDER_NAMES``) so the court
can publish exactly what parties are shown; the built-in text is used when none is set.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from court.i18n import _
from court.models import FaceConsent
from court.services import face_consent
from identity import settings

# the built-in display names; FACE_PROVIDER_NAMES adds to or replaces them
PROVIDER_NAMES: dict[str, str] = {
    "baidu": "百度智能云人脸识别服务（北京百度网讯科技有限公司），受法院委托处理",
    "development": "开发环境模拟核验（仅本机，不联网，不与公安身份库比对）",
}


@dataclass(frozen=True)
class FaceNotice:
    text: str
    provider: str  # the configured provider's key, recorded with the decision
    provider_name: str


def provider_names() -> dict[str, str]:
    """Every face provider's display name (the list a court publishes)."""
    names = {k: _(v) for k, v in PROVIDER_NAMES.items()}
    names.update(dict(settings.current().face_provider_names))
    return names


def alternatives() -> str:
    """The other ways to prove identity, in the words the party is offered."""
    routes = [_("到法院（或通过视频）由工作人员核对您的身份证件（工作人员核验）")]
    if settings.current().identity_authority:
        routes.append(_("使用国家网络身份认证（网号/网证）"))
    return _("；或").join(routes)


def current() -> FaceNotice:
    """The notice as it reads now, in the current language, naming the configured provider."""
    cfg = settings.current()
    name = provider_names().get(cfg.face_provider, cfg.face_provider)
    template = cfg.face_notice_text or _(
        "人脸信息处理告知书\n"
        "为确认是您本人办理诉讼事务，在您单独同意后，本平台将处理您的人脸信息：\n"
        "一、收集的信息：您本次拍摄的一张面部照片；\n"
        "二、目的：与公安机关登记的身份证照片比对，确认是您本人（《人民法院在线诉讼规则》第七条）；\n"
        "三、处理者：{provider}；\n"
        "四、保存期限：照片只用于本次比对，比对完成或失败后立即删除，不作保存；平台只保留核验结果、相似度、服务商请求编号和时间；\n"
        "五、其他方式：您可以不同意，改为{alternatives}，不影响您办理诉讼事务。")
    text = template.replace("{provider}", name).replace("{alternatives}", alternatives())
    return FaceNotice(text=text, provider=cfg.face_provider, provider_name=name)


def record_decision(s: Session, *, person_id: int, holder_id: str, channel: str, agreed: bool) -> FaceConsent:
    """Keep the person's answer to the notice as it reads now (the court service is the rule's home)."""
    shown = current()
    return face_consent.record(s, person_id=person_id, holder_id=holder_id, channel=channel, agreed=agreed,
                               provider=shown.provider, text_shown=shown.text)
