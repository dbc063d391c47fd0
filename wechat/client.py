"""The WeChat API client: wechatpy's ``WeChatClient`` with its access token kept in Redis.

Every process (web workers, RQ workers, CLI) shares one token: WeChat allows a limited number of
token fetches a day, and a new token invalidates the old one after a short overlap, so processes
refreshing on their own would keep knocking each other out. The token is stored with a TTL a few
minutes shorter than WeChat's and refreshed under a Redis lock; a process that finds WeChat
rejecting its token (40001/42001) refreshes only if nobody else already has.

The API base is configurable (``WECHAT_API_BASE``) so the same code talks to the local simulator.
``bot/`` answers and pushes through :func:`get_client`, ``notify/`` sends template messages
through it: one room below both (:mod:`wechat`), so neither imports the other.
"""
from __future__ import annotations

import json
import threading
from functools import lru_cache
from typing import Any
from urllib.parse import quote

import requests
from wechatpy.client import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session import SessionStorage

from court import redis_conn
from wechat import settings as bot_settings

TOKEN_ERRORS = frozenset({40001, 40014, 42001})  # invalid credential, invalid token, expired token
TOKEN_MARGIN = 300  # forget a token this many seconds before WeChat expires it
MAX_MEDIA_BYTES = 10 * 1024 * 1024  # WeChat's limit for an image is 10 MB
__all__ = [
    "CourtWeChatClient", "WeChatClientException", "bind_qrcode", "create_menu", "download_media", "get_client",
    "get_menu", "send_text",
]


_retry = threading.local()  # nesting of _handle_result in this thread (the retry runs inside it)


class RedisTokenStorage(SessionStorage):
    """wechatpy session storage in the shared Redis, with expiry a margin before WeChat's."""

    def __init__(self, prefix: str):
        self.prefix = prefix

    def _name(self, key: str) -> str:
        return f"{self.prefix}:{key}"

    def get(self, key: str, default: Any = None) -> Any:
        raw = redis_conn.client().get(self._name(key))
        return default if raw is None else json.loads(raw)

    def set(self, key: str, value: Any, ttl: int | None = None) -> None:
        if value is None:
            return
        ex = max(60, int(ttl) - TOKEN_MARGIN) if ttl else None
        redis_conn.client().set(self._name(key), json.dumps(value), ex=ex)

    def delete(self, key: str) -> None:
        redis_conn.client().delete(self._name(key))


class CourtWeChatClient(WeChatClient):
    """``WeChatClient`` on a configurable API base, sharing its token through Redis."""

    def __init__(self, settings: bot_settings.WeChatSettings):
        super().__init__(
            settings.appid, settings.secret, session=RedisTokenStorage(f"wechat:{settings.appid}"),
            timeout=settings.api_timeout,
        )
        self.API_BASE_URL = settings.api_base + "cgi-bin/"
        self.token_url = settings.api_base + "cgi-bin/token"
        self.mp_base = settings.mp_base
        self._last_token: str | None = None

    @property
    def access_token(self) -> str:  # type: ignore[override]
        token = self.session.get(self.access_token_key)
        if not token:
            self.fetch_access_token()
            token = self.session.get(self.access_token_key)
        self._last_token = token
        return token

    def fetch_access_token(self) -> dict[str, Any]:
        """Fetch a new token unless another process already replaced the one we last used."""
        lock = redis_conn.client().lock(f"wechat:{self.appid}:token-lock", timeout=30, blocking_timeout=15)
        with lock:
            current = self.session.get(self.access_token_key)
            if current and current != self._last_token:
                return {"access_token": current}
            return self._fetch_access_token(
                url=self.token_url,
                params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
            )

    def _handle_result(self, res, method=None, url=None, result_processor=None, **kwargs):  # type: ignore[no-untyped-def]
        """wechatpy refreshes the token and retries on a token error, and would do so for ever
        while WeChat kept refusing; here it refreshes once per call, then the error stands."""
        depth = getattr(_retry, "depth", 0)
        if depth:
            result = res if isinstance(res, dict) else self._decode_result(res)
            if isinstance(result, dict) and int(result.get("errcode") or 0) in TOKEN_ERRORS:
                raise WeChatClientException(int(result["errcode"]), result.get("errmsg", ""), client=self)
        _retry.depth = depth + 1
        try:
            return super()._handle_result(res, method, url, result_processor, **kwargs)
        finally:
            _retry.depth = depth


def get_client() -> CourtWeChatClient:
    """The process's client for the configured account (built once per settings object)."""
    return _client_for(bot_settings.current())


@lru_cache(maxsize=4)
def _client_for(settings: bot_settings.WeChatSettings) -> CourtWeChatClient:
    return CourtWeChatClient(settings)


def reset_client() -> None:
    """Forget built clients (tests mount a fresh in-process transport on the next one)."""
    _client_for.cache_clear()


def send_text(openid: str, text: str) -> None:
    """A customer-service text message (allowed within 48 hours of the user's last message)."""
    get_client().message.send_text(openid, text)


def download_media(media_id: str) -> bytes:
    """A temporary media file (the user's photo), refused when larger than WeChat allows."""
    res = get_client().media.download(media_id)
    if isinstance(res, dict):  # a JSON error body that carried errcode 0 is still not an image
        raise WeChatClientException(res.get("errcode"), res.get("errmsg", "media download failed"))
    if not isinstance(res, requests.Response):
        raise WeChatClientException(None, "unexpected media response")
    if len(res.content) > MAX_MEDIA_BYTES:
        raise WeChatClientException(None, "media too large")
    return res.content


def bind_qrcode(code: str, *, expire_seconds: int = 30 * 86400) -> tuple[str, str]:
    """A temporary parametric QR code whose scene carries an association code.

    Scanning it sends a SCAN (or subscribe with ``qrscene_``) event that starts joining the
    case. Returns (ticket, image URL)."""
    client = get_client()
    result = client.qrcode.create({
        "expire_seconds": min(expire_seconds, 30 * 86400),
        "action_name": "QR_STR_SCENE",
        "action_info": {"scene": {"scene_str": f"bind:{code}"}},
    })
    ticket = result["ticket"]
    return ticket, f"{client.mp_base}cgi-bin/showqrcode?ticket={quote(ticket)}"


def create_menu(menu: dict[str, Any]) -> None:
    get_client().menu.create(menu)


def get_menu() -> dict[str, Any]:
    return get_client().menu.get()
