"""``flask bot chat``: play a WeChat user against the running server from a terminal.

Type text to send it; commands start with ``/``. Passive replies print at once; messages the
server pushes later (face-check results, notices) are fetched from the simulator in the
background and printed as they arrive, as the phone shows them (WeChat's rules applied by the
simulator: no first/remark, fields cut or refused as WeChat does). Template messages are
acknowledged with the TEMPLATESENDJOBFINISH event WeChat sends when a message reaches the phone.
"""
from __future__ import annotations

import shlex
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from bot.menu import MENU, buttons
from bot.simulator.user import SimulatedUser, describe

HELP = """命令 commands:
  任意文字 any text        发送文字消息 send a text message
  /menu                    显示菜单 show the menu;  /click N|KEY  点击菜单 click a button
  /subscribe [SCENE]       关注（可带二维码场景）follow (optionally through a QR scene)
  /scan SCENE              扫描带参数二维码 scan a QR code, e.g. /scan bind:ABCD-EFGH-JKMN
  /image PATH              发送图片（自拍）send a photo
  /voice [TEXT]            发送语音（TEXT 为微信语音识别结果，省略则无识别）send a voice message
  /unsubscribe             取消关注 unfollow
  /whoami                  显示 openid;  /help  本帮助;  /quit  退出"""


def show_reply(reply: dict[str, Any] | None, out: Callable[[str], None]) -> None:
    if reply is None:
        return
    if reply.get("MsgType") == "text":
        out("服务号 > " + str(reply.get("Content", "")).replace("\n", "\n          "))
    else:
        out(f"服务号 > [{reply.get('MsgType')}] {reply}")


class Chat:
    def __init__(self, user: SimulatedUser, out: Callable[[str], None] = print):
        self.user = user
        self.out = out
        self.stop = threading.Event()
        self._lock = threading.Lock()

    def poll_once(self) -> None:
        try:
            messages = self.user.pushed()
        except requests.RequestException:
            return
        for entry in messages:
            with self._lock:
                self.out("服务号 » " + describe(entry).replace("\n", "\n          "))
            if entry["kind"] == "template":
                try:
                    self.user.delivered(entry["payload"]["msgid"])
                except requests.RequestException:
                    pass

    def _poller(self) -> None:
        while not self.stop.wait(1.0):
            self.poll_once()

    def run_command(self, line: str) -> bool:
        """Handle one input line; False when the user asked to quit."""
        line = line.strip()
        if not line:
            return True
        if not line.startswith("/"):
            self._show(self.user.say(line))
            return True
        try:
            parts = shlex.split(line)
        except ValueError:
            parts = line.split()
        cmd, args = parts[0].lower(), parts[1:]
        if cmd in ("/quit", "/exit", "/q"):
            return False
        if cmd == "/help":
            self.out(HELP)
        elif cmd == "/whoami":
            self.out(f"openid: {self.user.openid}  ({'安全模式 safe' if self.user.safe else '明文 plain'})")
        elif cmd == "/menu":
            for n, (label, key) in enumerate(buttons(MENU), 1):
                self.out(f"  {n}. {label}  ({key})")
        elif cmd == "/click" and args:
            keys = buttons(MENU)
            key = keys[int(args[0]) - 1][1] if args[0].isdigit() and 0 < int(args[0]) <= len(keys) else args[0]
            self._show(self.user.click(key))
        elif cmd == "/subscribe":
            self._show(self.user.subscribe(args[0] if args else None))
        elif cmd == "/unsubscribe":
            self._show(self.user.unsubscribe())
        elif cmd == "/scan" and args:
            self._show(self.user.scan(args[0]))
        elif cmd == "/voice":
            self._show(self.user.speak(" ".join(args) if args else None))
        elif cmd == "/image" and args:
            path = Path(args[0]).expanduser()
            if not path.is_file():
                self.out(f"找不到文件 no such file: {path}")
            else:
                mimetype = "image/png" if path.suffix.lower() == ".png" else "image/jpeg"
                self._show(self.user.send_image(path.read_bytes(), path.name, mimetype))
        else:
            self.out("未知命令 unknown command; /help")
        return True

    def _show(self, reply: dict[str, Any] | None) -> None:
        with self._lock:
            show_reply(reply, self.out)
        self.poll_once()

    def loop(self, read: Callable[[str], str] = input) -> None:
        self.out(f"微信模拟器 WeChat simulator → {self.user.base_url}/wechat  (openid {self.user.openid})")
        self.out(HELP)
        try:
            self.user.pushed()  # skip what was sent before this session
        except requests.RequestException as exc:
            self.out(f"无法连接服务器 cannot reach the server: {exc}\n请先运行 run first: flask court run")
            return
        poller = threading.Thread(target=self._poller, daemon=True)
        poller.start()
        try:
            while True:
                try:
                    line = read("我 > ")
                except EOFError:
                    break
                try:
                    if not self.run_command(line):
                        break
                except requests.RequestException as exc:
                    self.out(f"发送失败 request failed: {exc}")
        except KeyboardInterrupt:
            pass
        finally:
            self.stop.set()
