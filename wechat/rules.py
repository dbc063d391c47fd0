"""WeChat's own rules for official-account messages, in one place: the sender checks its template
messages against them before sending and the local simulator enforces them, so a notice that
would read badly (or be refused) on a real phone does so in development and in the tests too.

What WeChat does today (announcements of March–May 2023, the template-message API documentation
and its category-template value rules):

- ``first`` (the head line) and ``remark`` (the tail) are no longer shown; custom colours are
  ignored; emoji are shown as "□".
- A field of an older ("keyword") template shows at most 20 characters on one line: WeChat
  accepts a longer value but the phone cuts it with "…". The simulator does the same.
- Templates from the category library name their fields by type (``thing3``, ``time5``…) and
  WeChat checks each value against its type: a value that breaks the rule is refused with
  errcode 47003 ``argument invalid! data.thing3.value invalid`` and nothing is sent. The
  simulator refuses the same way; the sender shortens or reformats first (:func:`fit`).
- Customer-service messages reach a user only within 48 hours of the user's last message or
  event (errcode 45015 after that).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

DROPPED = ("first", "remark")  # not shown on the phone since 4 May 2023
LEGACY_MAX = 20  # a keyword field shows this many characters, then "…"
ELLIPSIS = "…"
EMOJI_SHOWN_AS = "□"
CUSTOMER_WINDOW_SECONDS = 48 * 3600
ERR_ARGUMENT_INVALID = 47003
ERR_OUT_OF_WINDOW = 45015
# events that count as the user interacting (WeChat's list: a message, a follow, a menu click,
# a QR scan, …); a delivery report of a template message is not the user's doing
NOT_INTERACTION_EVENTS = frozenset({"templatesendjobfinish", "unsubscribe", "masssendjobfinish"})

_FIELD_KEY = re.compile(r"^([a-z_]+?)(\d+)$")
_HAN = r"\u3400-\u4dbf\u4e00-\u9fff"
_TIME_POINT = (r"(?:\d{4}年\d{1,2}月\d{1,2}日|\d{4}-\d{1,2}-\d{1,2}|\d{4}/\d{1,2}/\d{1,2})?"
               r"\s?(?:\d{1,2}:\d{2}(?::\d{2})?)?")
_TIME = re.compile(rf"^(?=.*\d)(?:{_TIME_POINT})(?:\s?~\s?(?:{_TIME_POINT}))?$")


@dataclass(frozen=True)
class FieldType:
    """One value type of the category template library."""

    name: str
    label: str  # for README and errors
    max_chars: int
    pattern: re.Pattern[str] | None = None  # the value must match (after the length check)


TYPES: dict[str, FieldType] = {t.name: t for t in (
    FieldType("thing", "事物（20个以内字符）", 20),
    FieldType("character_string", "字符串（32位以内数字、字母或符号）", 32, re.compile(r"^[\x21-\x7e]+$")),
    FieldType("time", "时间（如 2026年12月01日 09:30）", 40, _TIME),
    FieldType("phrase", "汉字短语（5个以内纯汉字）", 5, re.compile(rf"^[{_HAN}]+$")),
    FieldType("number", "数字（32位以内，可带小数）", 32, re.compile(r"^\d+(?:\.\d+)?$")),
    FieldType("amount", "金额（币种符号+12位以内数字，可带小数，结尾可带“元”）", 16,
              re.compile(r"^[¥￥$]?\d{1,12}(?:\.\d+)?元?$")),
    FieldType("name", "姓名（10个以内纯汉字或20个以内纯字母）", 20,
              re.compile(rf"^(?:[{_HAN}·]{{1,10}}|[A-Za-z ]{{1,20}})$")),
    FieldType("phone_number", "电话（17位以内数字、符号）", 17, re.compile(r"^[\d+\-() ]+$")),
    FieldType("car_number", "车牌（8位以内）", 8),
    FieldType("letter", "字母（32位以内）", 32, re.compile(r"^[A-Za-z]+$")),
    FieldType("symbol", "符号（5位以内）", 5, re.compile(r"^[^\w\s]+$")),
    FieldType("const", "常量（模板内固定）", 20),
)}
LEGACY = "keyword"


def field_type(key: str) -> FieldType | None:
    """The type a category template's field key names (``thing3`` → thing); None for an older
    template's ``keywordN`` or anything else."""
    m = _FIELD_KEY.match(key)
    return TYPES.get(m.group(1)) if m else None


def is_legacy(key: str) -> bool:
    m = _FIELD_KEY.match(key)
    return bool(m) and m.group(1) == LEGACY


def _is_emoji(ch: str) -> bool:
    cp = ord(ch)
    return (unicodedata.category(ch) == "So" and cp >= 0x2190) or 0x1F000 <= cp <= 0x1FAFF or cp in (0xFE0F, 0x200D)


def problem(key: str, value: object) -> str | None:
    """Why WeChat would refuse ``value`` for a category template's field ``key`` (None: fine).
    Older keyword fields are never refused, only cut (:func:`shown`)."""
    ftype = field_type(key)
    if ftype is None:
        return None
    text = "" if value is None else str(value)
    if not text.strip():
        return "empty"
    if "\n" in text or "\r" in text:
        return "line break"
    if any(_is_emoji(ch) for ch in text):
        return "emoji"
    if len(text) > ftype.max_chars:
        return f"longer than {ftype.max_chars}"
    if ftype.pattern is not None and not ftype.pattern.match(text):
        return f"not a {ftype.name}"
    return None


@dataclass(frozen=True)
class Shown:
    """A template message as the phone shows it, or WeChat's refusal."""

    fields: list[tuple[str, str]]  # (key, text shown), in the order sent
    errcode: int = 0
    errmsg: str = "ok"


def shown(data: dict[str, object]) -> Shown:
    """What WeChat does with a template message's ``data``: refuse it (47003) if a typed field
    breaks its rule, else drop ``first``/``remark`` and colours, show emoji as □ and cut older
    fields to 20 characters on one line."""
    out: list[tuple[str, str]] = []
    for key, item in data.items():
        value = item.get("value") if isinstance(item, dict) else item
        if key in DROPPED:
            continue
        reason = problem(key, value)
        if reason is not None:
            return Shown([], ERR_ARGUMENT_INVALID, f"argument invalid! data.{key}.value invalid")
        text = "".join(EMOJI_SHOWN_AS if _is_emoji(ch) else ch for ch in str(value or ""))
        text = re.sub(r"\s*[\r\n]+\s*", " ", text)
        if len(text) > LEGACY_MAX:
            text = text[:LEGACY_MAX - 1] + ELLIPSIS
        out.append((key, text))
    return Shown(out)


# --- the sender's side: make a value fit its field before sending ---------------------------

def clean(value: object) -> str:
    """One line, no emoji, no surrounding space."""
    text = "".join(ch for ch in str(value if value is not None else "") if not _is_emoji(ch))
    return re.sub(r"\s+", " ", text).strip()


_PAIRS = (("《", "》"), ("（", "）"), ("(", ")"), ("“", "”"))


def shorten(text: str, limit: int) -> str:
    """Cut ``text`` to ``limit`` characters sensibly: mark the cut with "…" and close any
    bracket or title mark the cut left open (the whole text is behind the link)."""
    if len(text) <= limit:
        return text
    for keep in range(limit - 1, 0, -1):
        head = text[:keep]
        closers = "".join(close for open_, close in reversed(_PAIRS) if head.count(open_) > head.count(close))
        if keep + 1 + len(closers) <= limit:
            return head + ELLIPSIS + closers
    return text[:limit]


_CN_TIME = re.compile(
    r"^(?P<y>\d{4})\s*[年\-/.]\s*(?P<m>\d{1,2})\s*[月\-/.]\s*(?P<d>\d{1,2})\s*日?\s*"
    r"(?P<ap>上午|下午|晚上|中午)?\s*(?:(?P<h>\d{1,2})\s*(?:[:：时点])\s*(?:(?P<mi>\d{1,2})\s*分?|(?P<half>半))?)?\s*$")


def parse_time(text: str) -> datetime | None:
    """A date and time as staff write them (``2026年12月1日上午9时30分``, ``2026-12-01 09:30``)."""
    m = _CN_TIME.match(clean(text))
    if not m:
        return None
    hour = int(m.group("h") or 0)
    if m.group("ap") in ("下午", "晚上") and hour < 12:
        hour += 12
    minute = 30 if m.group("half") else int(m.group("mi") or 0)
    try:
        return datetime(int(m.group("y")), int(m.group("m")), int(m.group("d")), hour, minute)
    except ValueError:
        return None


def format_time(value: datetime) -> str:
    """The time type's format (Beijing time is the caller's business)."""
    return value.strftime("%Y年%m月%d日 %H:%M")


def fit(key: str, value: object) -> str:
    """``value`` made acceptable for field ``key``: one line without emoji, times in WeChat's
    format, text shortened to the type's limit. :func:`problem` still has the last word."""
    text = clean(value)
    ftype = field_type(key)
    if ftype is None:
        return shorten(text, LEGACY_MAX) if is_legacy(key) else text
    if ftype.name == "time":
        when = parse_time(text)
        if when is not None:
            text = format_time(when)
    if ftype.name == "character_string":
        text = text.replace(" ", "")
    return shorten(text, ftype.max_chars)


def counts_as_interaction(msg_type: str, event: str | None = None) -> bool:
    """Does this callback open (or keep open) the 48-hour customer-message window?"""
    if msg_type != "event":
        return True
    return (event or "").lower() not in NOT_INTERACTION_EVENTS
