"""The simulator's page at ``/dev/wechat/``: each simulated user's phone, drawn as WeChat draws
pushed messages today (a template message as a card without ``first``/``remark``, a customer text
as a bubble with its links tappable), so a developer sees what a party would see.

Only drawing: the messages come from :func:`bot.simulator.state.outbox`, already cut and
filtered by :mod:`wechat.rules` when they were accepted.
"""
from __future__ import annotations

import re
from datetime import datetime
from html import escape
from typing import Any

from court.chinatime import CHINA

_ANCHOR = re.compile(r'&lt;a href=&quot;(.*?)&quot;&gt;(.*?)&lt;/a&gt;')
PAGE_STYLE = """
body{font-family:-apple-system,"PingFang SC","Noto Sans CJK SC",sans-serif;background:#ededed;margin:0;padding:12px}
h2{font-size:18px} .phones{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}
.phone{width:375px;background:#ededed;border:8px solid #222;border-radius:24px;overflow:hidden}
.bar{background:#f7f7f7;padding:10px;text-align:center;font-weight:600;border-bottom:1px solid #ddd}
.bar small{display:block;font-weight:400;color:#888;font-size:11px}
.msgs{padding:10px;max-height:640px;overflow-y:auto}
.when{text-align:center;color:#999;font-size:12px;margin:10px 0 6px}
.bubble{background:#fff;border-radius:6px;padding:9px 11px;max-width:80%;white-space:pre-wrap;
 word-break:break-all;font-size:15px;line-height:1.5} .bubble a{color:#576b95;text-decoration:none}
.card{background:#fff;border-radius:8px;padding:14px 16px 0;font-size:15px}
.card h3{margin:0 0 12px;font-size:17px;font-weight:500}
.card dl{display:grid;grid-template-columns:auto 1fr;gap:6px 12px;margin:0 0 14px;color:#333;font-size:14px}
.card dt{color:#999;white-space:nowrap} .card dd{margin:0;word-break:break-all}
.card .more{display:flex;justify-content:space-between;border-top:1px solid #eee;padding:12px 0;color:#333;
 text-decoration:none} .card .more:after{content:"›";color:#bbb}
"""


def _beijing(at: float) -> str:
    """A message's time as a phone in China shows it."""
    return datetime.fromtimestamp(at, CHINA).strftime("%m-%d %H:%M")


def _text_html(text: str) -> str:
    """A customer text as WeChat shows it: plain text with its <a href> links tappable."""
    return _ANCHOR.sub(lambda m: f'<a href="{m.group(1)}">{m.group(2)}</a>', escape(text))


def entry_html(e: dict[str, Any]) -> str:
    """One pushed message as the phone shows it."""
    payload = e["payload"]
    if e["kind"] == "template":
        shown = payload.get("shown") or {"title": payload.get("template_id"), "fields": []}
        rows = "".join(f"<dt>{escape(str(label))}</dt><dd>{escape(str(text))}</dd>"
                       for label, text in shown["fields"])
        more = (f'<a class="more" href="{escape(payload["url"])}">查看详情</a>' if payload.get("url")
                else '<div style="height:2px"></div>')
        return f'<div class="card"><h3>{escape(str(shown["title"]))}</h3><dl>{rows}</dl>{more}</div>'
    kind = payload.get("msgtype")
    if kind == "text":
        return f'<div class="bubble">{_text_html(str(payload["text"].get("content", "")))}</div>'
    return f'<div class="bubble">[{escape(str(kind))}]</div>'


def page(entries: list[dict[str, Any]]) -> str:
    """The whole page: one phone per simulated user, the user with the newest message first."""
    by_user: dict[str, list[dict[str, Any]]] = {}
    for e in entries:
        by_user.setdefault(e["openid"], []).append(e)
    phones = []
    for openid, mine in sorted(by_user.items(), key=lambda kv: -kv[1][-1]["seq"]):
        msgs = "".join(f'<div class="when">{_beijing(e["at"])}</div>'
                       + entry_html(e) for e in mine)
        phones.append(f'<section class="phone" data-openid="{escape(openid)}"><div class="bar">法院电子送达'
                      f'<small>{escape(openid)}</small></div><div class="msgs">{msgs}</div></section>')
    return (
        '<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width">'
        f"<title>微信模拟器：手机上看到的消息</title><style>{PAGE_STYLE}</style>"
        "<h2>微信模拟器：手机上看到的消息</h2><p>按微信现行规则显示：不显示首行（first）和备注（remark），"
        "不显示自定义颜色，表情显示为□，字段超长截断。用 <code>flask bot chat</code> 扮演微信用户。</p>"
        f'<div class="phones">{"".join(phones) or "<p>还没有消息。</p>"}</div>'
    )
