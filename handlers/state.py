"""Where each user is in the conversation: a small JSON record in Redis, shared by every process.

A step waiting for the user's next message (say, the SMS code) lasts ``WECHAT_CONVERSATION_TTL``
seconds (:mod:`handlers.settings`). The record
itself is kept a day longer, so when the user comes back late we can tell them the half-finished
step expired instead of misreading their message. Personal data kept between steps (ID number,
phone) is stored encrypted with :mod:`court.crypto`, never in clear.
"""
from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass, field
from typing import Any

from court import crypto, redis_conn
from handlers import settings

IDLE = "idle"
_KEEP = 86400


@dataclass
class State:
    channel: str
    user: str
    step: str = IDLE
    data: dict[str, Any] = field(default_factory=dict)
    expires: float = 0.0
    locale: str | None = None  # the user's chosen language, kept apart from (and longer than) the step
    expired: bool = False  # set by load(): a step was abandoned and has been dropped
    _loaded: str = ""  # what load() read, so an unchanged state is not written back

    @property
    def key(self) -> str:
        return _key(self.channel, self.user)

    def clear(self, *, keep: tuple[str, ...] = ()) -> None:
        """Forget what the conversation kept, but ``keep``. The step is not changed here: a handler
        says where the conversation goes next by returning it (:mod:`handlers.conversation`)."""
        self.data = {k: v for k, v in self.data.items() if k in keep}

    def reset(self) -> None:
        """Back to the start (an expired step, the user unfollowing)."""
        self.step = IDLE
        self.clear()

    def put_secret(self, name: str, value: str) -> None:
        self.data[name] = base64.b64encode(crypto.encrypt(value)).decode()

    def secret(self, name: str) -> str | None:
        raw = self.data.get(name)
        return crypto.decrypt(base64.b64decode(raw)) if raw else None


def _key(channel: str, user: str) -> str:
    return f"conv:{channel}:{user}"


def _lang_key(channel: str, user: str) -> str:
    return f"conv-lang:{channel}:{user}"


def _snapshot(st: State) -> str:
    return json.dumps([st.step, st.data, st.locale], ensure_ascii=False, sort_keys=True)


def prefetch(pipe: Any, channel: str, user: str) -> None:
    """Queue the read :func:`load` does on a caller's Redis pipeline (see ``from_fetched``)."""
    pipe.mget(_key(channel, user), _lang_key(channel, user))


def load(channel: str, user: str, fetched: list[bytes | None] | None = None) -> State:
    """The user's state: one Redis round trip, or none when ``fetched`` holds what
    :func:`prefetch` read."""
    raw, lang = fetched if fetched is not None else redis_conn.client().mget(_key(channel, user), _lang_key(channel, user))
    st = State(channel, user, locale=lang.decode() if lang else None)
    if raw:
        doc = json.loads(raw)
        st.step, st.data, st.expires = doc.get("step", IDLE), doc.get("data", {}), doc.get("expires", 0.0)
    st._loaded = _snapshot(st)
    if st.step != IDLE and st.expires < time.time():
        st.reset()
        st.expired = True
    return st


def save(st: State) -> None:
    """Write the state back if it changed (a waiting step's time starts again from now)."""
    if _snapshot(st) == st._loaded and st.step == IDLE:
        return
    r = redis_conn.client()
    pipe = r.pipeline(transaction=False)
    if st.locale:
        pipe.set(_lang_key(st.channel, st.user), st.locale)
    if st.step == IDLE and not st.data:
        pipe.delete(st.key)
    else:
        ttl = settings.current().ttl
        st.expires = time.time() + ttl
        doc = {"step": st.step, "data": st.data, "expires": st.expires}
        pipe.set(st.key, json.dumps(doc, ensure_ascii=False), ex=ttl + _KEEP)
    pipe.execute()


def forget(channel: str, user: str) -> None:
    redis_conn.client().delete(_key(channel, user), _lang_key(channel, user))
