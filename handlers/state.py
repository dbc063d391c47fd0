"""Where each user is in the conversation: a small JSON record in Redis, shared by every process.

A step waiting for the user's next message (say, the SMS code) lasts ``ttl`` seconds. The record
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

IDLE = "idle"
DEFAULT_TTL = 1800
_KEEP = 86400
_settings: dict[str, int] = {"ttl": DEFAULT_TTL}


def configure(*, ttl: int) -> None:
    _settings["ttl"] = ttl


@dataclass
class State:
    channel: str
    user: str
    step: str = IDLE
    data: dict[str, Any] = field(default_factory=dict)
    expires: float = 0.0
    locale: str | None = None
    expired: bool = False  # set by load(): a step was abandoned and has been dropped

    @property
    def key(self) -> str:
        return _key(self.channel, self.user)

    def go(self, step: str, **data: Any) -> None:
        """Move to ``step``, adding ``data`` to what the conversation keeps."""
        self.step = step
        self.data.update(data)

    def reset(self, *, keep: tuple[str, ...] = ()) -> None:
        self.step = IDLE
        self.data = {k: v for k, v in self.data.items() if k in keep}

    def put_secret(self, name: str, value: str) -> None:
        self.data[name] = base64.b64encode(crypto.encrypt(value)).decode()

    def secret(self, name: str) -> str | None:
        raw = self.data.get(name)
        return crypto.decrypt(base64.b64decode(raw)) if raw else None


def _key(channel: str, user: str) -> str:
    return f"conv:{channel}:{user}"


def load(channel: str, user: str) -> State:
    raw = redis_conn.client().get(_key(channel, user))
    if not raw:
        return State(channel, user)
    doc = json.loads(raw)
    st = State(channel, user, doc.get("step", IDLE), doc.get("data", {}), doc.get("expires", 0.0), doc.get("locale"))
    if st.step != IDLE and st.expires < time.time():
        st.reset()
        st.expired = True
    return st


def save(st: State) -> None:
    r = redis_conn.client()
    if st.step == IDLE and not st.data and not st.locale:
        r.delete(st.key)
        return
    st.expires = time.time() + _settings["ttl"]
    doc = {"step": st.step, "data": st.data, "expires": st.expires, "locale": st.locale}
    r.set(st.key, json.dumps(doc, ensure_ascii=False), ex=_settings["ttl"] + _KEEP)


def forget(channel: str, user: str) -> None:
    redis_conn.client().delete(_key(channel, user))
