"""What a typed message (or a menu button) asks for: a small table of intents and the words for each.

Parties type the same few acts in many ways: ``签收``, ``怎么签收``, ``我要签字``, ``查案件``, ``进度``,
``文书``… with spaces, punctuation, full-width letters, polite particles. Each intent lists its words
once; :func:`normalize` folds what was typed (NFKC, case, spaces, punctuation, ``请``/``吗``/``一下``)
so the table needs no variants of form, only of wording. A message is an intent only when all of it
is one of the words: a name or a code typed at a step is never taken for a command.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# intent names (the conversation maps each to its handler)
REGISTER = "register"
FACE = "face"
BIND = "bind"
CASES = "cases"
DOCUMENTS = "documents"
SIGN = "sign"
HELP = "help"
HUMAN = "human"
CANCEL = "cancel"
ENGLISH = "english"
CHINESE = "chinese"


@dataclass(frozen=True)
class Intent:
    name: str
    words: tuple[str, ...]  # as typed; normalised when the table is built
    keys: tuple[str, ...] = ()  # menu button keys


TABLE: tuple[Intent, ...] = (
    Intent(REGISTER, ("注册", "实名认证", "实名", "实名注册", "认证", "登记", "register", "signup"), ("REGISTER",)),
    Intent(FACE, ("人脸认证", "人脸识别", "刷脸", "刷脸认证", "人脸核验", "face"), ("FACE",)),
    Intent(BIND, ("绑定", "绑定案件", "关联", "关联案件", "加入案件", "关联码", "bind"), ("BIND",)),
    Intent(CASES, ("我的案件", "案件", "查案件", "查询案件", "查看案件", "案件查询", "进度", "案件进度", "查进度",
                   "查询进度", "开庭", "开庭时间", "什么时候开庭", "mycases", "cases"), ("MY_CASES",)),
    Intent(DOCUMENTS, ("我的文书", "文书", "查文书", "查看文书", "文书查询", "我的文件", "文件", "材料",
                       "mydocuments", "documents"), ("MY_DOCUMENTS",)),
    Intent(SIGN, ("签收", "怎么签收", "如何签收", "怎样签收", "我要签收", "签收文书", "去签收", "在哪签收", "待签收",
                  "签字", "怎么签字", "我要签字", "签名", "我要签名", "怎么签名", "签署", "怎么签署", "sign"), ("SIGN",)),
    Intent(HELP, ("帮助", "help", "菜单", "menu", "怎么用", "如何使用", "使用说明", "功能", "?", "？"), ("HELP",)),
    Intent(HUMAN, ("人工", "人工服务", "转人工", "人工客服", "客服", "联系法院", "法院电话", "联系方式", "投诉",
                   "human", "agent"), ("HUMAN",)),
    Intent(CANCEL, ("取消", "退出", "结束", "不办了", "算了", "cancel", "quit", "exit"), ("CANCEL",)),
    Intent(ENGLISH, ("english", "英文", "英语"), ("ENGLISH",)),
    Intent(CHINESE, ("中文", "chinese", "简体中文"), ("CHINESE",)),
)

_POLITE_HEAD = ("请问", "请", "麻烦", "帮我", "我想", "我需要")
_POLITE_TAIL = ("一下吧", "一下", "吗", "呢", "啊", "呀", "吧", "了")
_PUNCT = re.compile(r"[\W_]+", re.UNICODE)


def normalize(text: str) -> str:
    """What the words of ``text`` are, whatever their form: full-width folded, lower case, no spaces,
    no punctuation, no polite head or tail. A message of punctuation only stays as it was (``?``)."""
    v = unicodedata.normalize("NFKC", text or "").strip().lower()
    words = _PUNCT.sub("", v)
    if not words:
        return "".join(v.split())
    trimmed = True
    while trimmed:  # 请帮我签收一下吧 → 签收
        trimmed = False
        for head in _POLITE_HEAD:
            if words.startswith(head) and len(words) > len(head) + 1:
                words, trimmed = words[len(head):], True
        for tail in _POLITE_TAIL:
            if words.endswith(tail) and len(words) > len(tail) + 1:
                words, trimmed = words[: -len(tail)], True
    return words


def _index() -> dict[str, str]:
    index: dict[str, str] = {}
    for intent in TABLE:
        for word in (*intent.words, *intent.keys):
            key = normalize(word)
            if index.setdefault(key, intent.name) != intent.name:
                raise ValueError(f"{word!r} names two intents")
    return index


INDEX = _index()


def of(text: str) -> str | None:
    """The intent ``text`` (typed, or a menu button's key) asks for, or None."""
    return INDEX.get(normalize(text))
