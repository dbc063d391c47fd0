"""A simulated WeChat user: builds the callbacks WeChat's servers would send for a user's actions
(text, photo, subscribe, QR scan, menu click, delivery report), signs and — in safe mode —
encrypts them exactly as WeChat does, posts them to ``/wechat``, and reads back the passive
reply and the messages the server pushed through the (simulated) API.

Used by ``flask bot chat``, the webhook benchmark and the tests.
"""
from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

import requests
import xmltodict

from bot.security import sign
from wechat.settings import SIMULATOR_PREFIX, WeChatSettings

ACCOUNT = "gh_c0de00sim0001"


def _cdata(value: str) -> str:
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def message_xml(openid: str, msg_type: str, fields: dict[str, Any], *, to: str = ACCOUNT,
                create_time: int | None = None) -> str:
    """A callback body as WeChat sends it (strings in CDATA, numbers bare)."""
    parts = [f"<ToUserName>{_cdata(to)}</ToUserName>", f"<FromUserName>{_cdata(openid)}</FromUserName>",
             f"<CreateTime>{create_time or int(time.time())}</CreateTime>", f"<MsgType>{_cdata(msg_type)}</MsgType>"]
    for name, value in fields.items():
        parts.append(f"<{name}>{value}</{name}>" if isinstance(value, int) else f"<{name}>{_cdata(str(value))}</{name}>")
    return "<xml>" + "".join(parts) + "</xml>"


def text_xml(openid: str, content: str, msg_id: int | None = None, **kw: Any) -> str:
    return message_xml(openid, "text", {"Content": content, "MsgId": msg_id or _msg_id()}, **kw)


def image_xml(openid: str, media_id: str, pic_url: str = "", msg_id: int | None = None, **kw: Any) -> str:
    return message_xml(openid, "image", {"PicUrl": pic_url or f"http://mmbiz.qpic.cn/sim/{media_id[:12]}",
                                         "MediaId": media_id, "MsgId": msg_id or _msg_id()}, **kw)


def voice_xml(openid: str, media_id: str, recognition: str | None = None, msg_id: int | None = None,
              **kw: Any) -> str:
    """A voice message; with the account's speech recognition on WeChat adds ``Recognition``."""
    fields: dict[str, Any] = {"MediaId": media_id, "Format": "amr"}
    if recognition is not None:
        fields["Recognition"] = recognition
    fields["MsgId"] = msg_id or _msg_id()
    return message_xml(openid, "voice", fields, **kw)


def event_xml(openid: str, event: str, key: str | None = None, **extra: Any) -> str:
    fields: dict[str, Any] = {"Event": event}
    if key is not None:
        fields["EventKey"] = key
    create_time = extra.pop("create_time", None)
    fields.update(extra)
    return message_xml(openid, "event", fields, create_time=create_time)


def _msg_id() -> int:
    return secrets.randbits(62) + 1


@dataclass
class Signed:
    """A ready-to-post callback: query parameters and body."""

    params: dict[str, str]
    body: bytes


def sign_callback(settings: WeChatSettings, xml: str, *, safe: bool, timestamp: str | None = None,
                  nonce: str | None = None) -> Signed:
    timestamp = timestamp or str(int(time.time()))
    nonce = nonce or str(secrets.randbelow(10**10))
    params = {"signature": sign(settings.token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce,
              "openid": _openid_of(xml)}
    if not safe:
        return Signed(params, xml.encode())
    envelope = settings.crypto.encrypt_message(xml, nonce, timestamp)
    doc = xmltodict.parse(envelope)["xml"]
    body = f"<xml><ToUserName>{_cdata(ACCOUNT)}</ToUserName><Encrypt>{_cdata(doc['Encrypt'])}</Encrypt></xml>"
    params.update(encrypt_type="aes", msg_signature=doc["MsgSignature"])
    return Signed(params, body.encode())


def _openid_of(xml: str) -> str:
    start = xml.find("<FromUserName><![CDATA[") + len("<FromUserName><![CDATA[")
    return xml[start:xml.find("]]>", start)]


def read_reply(settings: WeChatSettings, body: bytes, *, safe: bool) -> dict[str, Any] | None:
    """The passive reply as a dict (``MsgType``, ``Content``…), decrypted and its signature
    checked in safe mode; None for WeChat's "no reply" (``success`` or empty)."""
    text = body.decode()
    if not text or text == "success":
        return None
    if safe:
        doc = xmltodict.parse(text)["xml"]
        text = settings.crypto.decrypt_message(
            {"Encrypt": doc["Encrypt"]}, doc["MsgSignature"], doc["TimeStamp"], doc["Nonce"])
    return dict(xmltodict.parse(text)["xml"])


class SimulatedUser:
    """One WeChat user talking to the server at ``base_url``."""

    def __init__(self, settings: WeChatSettings, openid: str, base_url: str, *, safe: bool = True,
                 http: requests.Session | None = None):
        self.settings = settings
        self.openid = openid
        self.base_url = base_url.rstrip("/")
        self.safe = safe
        self.http = http or requests.Session()
        self.seen = 0  # last outbox sequence number shown

    def post(self, xml: str, *, timeout: float = 15) -> dict[str, Any] | None:
        self._acted(xml)
        signed = sign_callback(self.settings, xml, safe=self.safe)
        res = self.http.post(f"{self.base_url}/wechat", params=signed.params, data=signed.body,
                             headers={"Content-Type": "text/xml"}, timeout=timeout)
        res.raise_for_status()
        return read_reply(self.settings, res.content, safe=self.safe)

    def _acted(self, xml: str) -> None:
        """Tell WeChat's side (the simulator) what the user did: it keeps the 48-hour window."""
        doc = xmltodict.parse(xml)["xml"]
        self.http.post(f"{self.base_url}{SIMULATOR_PREFIX}/_sim/acted", timeout=10, json={
            "openid": self.openid, "msg_type": doc.get("MsgType"), "event": doc.get("Event"),
            "at": int(doc.get("CreateTime") or time.time())}).raise_for_status()

    def say(self, text: str) -> dict[str, Any] | None:
        return self.post(text_xml(self.openid, text))

    def speak(self, recognition: str | None) -> dict[str, Any] | None:
        """A voice message; ``recognition`` is WeChat's speech-to-text (None: recognition off)."""
        return self.post(voice_xml(self.openid, secrets.token_urlsafe(32), recognition))

    def subscribe(self, scene: str | None = None) -> dict[str, Any] | None:
        if scene:
            return self.post(event_xml(self.openid, "subscribe", f"qrscene_{scene}", Ticket=secrets.token_urlsafe(16)))
        return self.post(event_xml(self.openid, "subscribe", ""))

    def unsubscribe(self) -> dict[str, Any] | None:
        return self.post(event_xml(self.openid, "unsubscribe", ""))

    def scan(self, scene: str) -> dict[str, Any] | None:
        return self.post(event_xml(self.openid, "SCAN", scene, Ticket=secrets.token_urlsafe(16)))

    def click(self, key: str) -> dict[str, Any] | None:
        return self.post(event_xml(self.openid, "CLICK", key))

    def send_image(self, data: bytes, filename: str = "selfie.jpg", mimetype: str = "image/jpeg") -> dict[str, Any] | None:
        res = self.http.post(f"{self.base_url}{SIMULATOR_PREFIX}/_sim/media",
                             files={"media": (filename, data, mimetype)}, timeout=15)
        res.raise_for_status()
        media_id = res.json()["media_id"]
        return self.post(image_xml(self.openid, media_id))

    def delivered(self, msgid: int | str, status: str = "success") -> dict[str, Any] | None:
        """What WeChat sends once a template message reached (or failed to reach) the phone."""
        return self.post(event_xml(self.openid, "TEMPLATESENDJOBFINISH", None, MsgID=int(msgid), Status=status))

    def pushed(self) -> list[dict[str, Any]]:
        """Messages the server sent this user through the API since the last call."""
        res = self.http.get(f"{self.base_url}{SIMULATOR_PREFIX}/_sim/outbox",
                            params={"openid": self.openid, "after": self.seen}, timeout=10)
        res.raise_for_status()
        messages = res.json()["messages"]
        if messages:
            self.seen = messages[-1]["seq"]
        return messages


def describe(entry: dict[str, Any]) -> str:
    """A pushed message as the user would read it."""
    payload = entry["payload"]
    if entry["kind"] == "template":
        shown = payload.get("shown") or {"title": payload.get("template_id"), "fields": []}
        lines = [f"[模板消息 template] {shown['title']}"]
        lines.extend(f"  {label}：{text}" for label, text in shown["fields"])
        if payload.get("url"):
            lines.append(f"  查看详情 › {payload['url']}")
        return "\n".join(lines)
    kind = payload.get("msgtype")
    if kind == "text":
        return "[客服消息 message] " + payload["text"].get("content", "")
    return f"[客服消息 {kind}] {payload.get(kind)}"
