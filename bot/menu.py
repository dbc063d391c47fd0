"""The official account's custom menu. Button keys are the conversation's command keywords
(words and keys of one intent in :mod:`handlers.intents`), so a click and a typed keyword
do the same thing. Install it with ``flask bot menu``."""
from __future__ import annotations

from typing import Any


def _click(name: str, key: str) -> dict[str, str]:
    return {"type": "click", "name": name, "key": key}


MENU: dict[str, Any] = {
    "button": [
        {"name": "办理", "sub_button": [
            _click("实名认证", "REGISTER"),
            _click("人脸认证", "FACE"),
            _click("绑定案件", "BIND"),
        ]},
        {"name": "我的", "sub_button": [
            _click("我的案件", "MY_CASES"),
            _click("我的文书", "MY_DOCUMENTS"),
        ]},
        _click("帮助", "HELP"),
    ]
}


def buttons(menu: dict[str, Any] | None = None) -> list[tuple[str, str]]:
    """(label, key) of every clickable button, in menu order."""
    out: list[tuple[str, str]] = []
    for top in (menu or MENU).get("button", []):
        for button in top.get("sub_button", []) or [top]:
            if button.get("type") == "click":
                out.append((f"{top['name']} › {button['name']}" if button is not top else button["name"], button["key"]))
    return out
