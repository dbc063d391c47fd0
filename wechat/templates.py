"""WeChat template messages: the layout of each message kind and the templates configured for them.

Each message kind (a document ready, a hearing notice, a face-check result …) has named slots (the
document, the case number, what to do …), each filled by a field of a template from WeChat's
category library. The template id and the field key of each slot come from settings
(``WECHAT_TEMPLATE_IDS``); the recommended template below is what README tells the court to pick,
and its keys are the defaults. A slot accepts only field types its values fit (a case number has
Chinese characters, so never ``character_string``).

Both the sender (``notify/``) and the local simulator (``bot/``) read these: the simulator shows a
template message with the titles and labels a phone would show.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from wechat import rules as wechat_rules

if TYPE_CHECKING:
    from wechat.settings import WeChatSettings


@dataclass(frozen=True)
class WeChatSlot:
    name: str  # what the value is: doc, case_number, action …
    key: str  # the recommended template's field key (its type is the prefix)
    label: str  # that field's name in the template library, as the phone shows it
    required: bool = True


@dataclass(frozen=True)
class WeChatLayout:
    title: str  # the recommended template's title in the category library
    slots: tuple[WeChatSlot, ...]


# slot -> the field types its values fit (an older template's keywordN takes any, cut at 20)
SLOT_TYPES: dict[str, frozenset[str]] = {
    "doc": frozenset({"thing"}), "case_number": frozenset({"thing"}), "court": frozenset({"thing"}),
    "action": frozenset({"thing"}), "place": frozenset({"thing"}), "matter": frozenset({"thing"}),
    "content": frozenset({"thing"}), "time": frozenset({"time"}), "status": frozenset({"thing", "phrase"}),
    "receipt_number": frozenset({"character_string", "thing"}), "result": frozenset({"phrase", "thing"}),
}
_S = WeChatSlot
WECHAT_LAYOUTS: dict[str, WeChatLayout] = {
    "document_ready": WeChatLayout("文书送达通知", (
        _S("doc", "thing1", "文书名称"), _S("case_number", "thing2", "案号"), _S("court", "thing3", "送达法院", False),
        _S("time", "time4", "送达时间", False), _S("action", "thing5", "办理事项"))),
    "sign_request": WeChatLayout("文书签署提醒", (
        _S("doc", "thing1", "文书名称"), _S("case_number", "thing2", "案号"), _S("court", "thing3", "发起法院", False),
        _S("time", "time4", "发起时间", False), _S("action", "thing5", "办理事项"))),
    "flow_finished": WeChatLayout("文书签署完成通知", (
        _S("doc", "thing1", "文书名称"), _S("case_number", "thing2", "案号"),
        _S("status", "thing3", "签署状态"), _S("time", "time4", "完成时间", False))),
    "hearing_notice": WeChatLayout("开庭提醒", (
        _S("case_number", "thing1", "案号"), _S("time", "time2", "开庭时间"), _S("place", "thing3", "开庭地点"),
        _S("court", "thing4", "法院", False), _S("action", "thing5", "温馨提示"))),
    "summons": WeChatLayout("出庭传唤通知", (
        _S("case_number", "thing1", "案号"), _S("time", "time2", "到庭时间"), _S("place", "thing3", "到庭地点"),
        _S("matter", "thing4", "传唤事由"), _S("action", "thing5", "温馨提示"))),
    "general_notice": WeChatLayout("案件通知", (
        _S("case_number", "thing1", "案号"), _S("content", "thing2", "通知内容"), _S("court", "thing3", "法院", False),
        _S("time", "time4", "通知时间", False))),
    "receipt_confirmation": WeChatLayout("签收成功通知", (
        _S("doc", "thing1", "文书名称"), _S("case_number", "thing2", "案号"),
        _S("receipt_number", "character_string3", "回执编号"), _S("time", "time4", "签收时间"))),
    "face_result": WeChatLayout("身份核验结果通知", (
        _S("result", "phrase1", "核验结果"), _S("time", "time2", "核验时间"), _S("action", "thing3", "温馨提示"))),
}
del _S


def default_wechat_fields(name: str) -> dict[str, str]:
    """The recommended template's field key for each slot of message kind ``name``."""
    return {slot.name: slot.key for slot in WECHAT_LAYOUTS[name].slots}


def layout_problems(name: str, fields: dict[str, str]) -> list[str]:
    """Why a configured template cannot carry message kind ``name`` (empty: it can)."""
    layout = WECHAT_LAYOUTS.get(name)
    if layout is None:
        return [f"{name}: 不是可用微信模板发送的消息类型"]
    out: list[str] = []
    known = {slot.name for slot in layout.slots}
    for extra in sorted(set(fields) - known):
        out.append(f"{name}: 没有名为 {extra} 的内容")
    for slot in layout.slots:
        key = fields.get(slot.name)
        if not key:
            if slot.required:
                out.append(f"{name}: 模板缺少“{slot.label}”字段（{slot.name}）")
            continue
        if key in wechat_rules.DROPPED:
            out.append(f"{name}: {slot.name} 不能放在 {key}（手机上不显示）")
            continue
        ftype = wechat_rules.field_type(key)
        if ftype is None and not wechat_rules.is_legacy(key):
            out.append(f"{name}: 字段名 {key} 不是微信模板字段")
        elif ftype is not None and ftype.name not in SLOT_TYPES[slot.name]:
            allowed = "/".join(sorted(SLOT_TYPES[slot.name]))
            out.append(f"{name}: “{slot.label}”需要 {allowed} 类型的字段，{key} 是 {ftype.name}")
    if len(set(fields.values())) != len(fields):
        out.append(f"{name}: 两项内容用了同一个字段")
    return out


@dataclass(frozen=True)
class TemplateSpec:
    """One configured template: its id and the field key of each slot of its message kind."""

    template_id: str
    fields: dict[str, str]

    def data(self, values: dict[str, str]) -> dict[str, dict[str, str]]:
        """The ``data`` of the API call: each slot's value fitted to its field, in template order."""
        keyed = {self.fields[slot]: wechat_rules.fit(self.fields[slot], value)
                 for slot, value in values.items() if slot in self.fields}
        return {key: {"value": keyed[key]} for key in sorted(keyed, key=_field_order)}


def _field_order(key: str) -> tuple[int, str]:
    digits = "".join(ch for ch in key if ch.isdigit())
    return (int(digits) if digits else 0, key)


def template_specs(cfg: WeChatSettings) -> dict[str, TemplateSpec]:
    """``WECHAT_TEMPLATE_IDS`` read: a bare id takes the recommended template's field keys."""
    specs: dict[str, TemplateSpec] = {}
    for name, value in dict(cfg.template_ids).items():
        if isinstance(value, dict):
            template_id = str(value.get("id") or "")
            raw = value.get("fields")
            fields = {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else None
        else:
            template_id, fields = str(value or ""), None
        if fields is None and name in WECHAT_LAYOUTS:
            fields = default_wechat_fields(name)
        specs[name] = TemplateSpec(template_id, fields or {})
    return specs
