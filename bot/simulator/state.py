"""What the simulated WeChat keeps, in Redis: the messages it delivered, each user's last
interaction and following, and the errors a developer asked it to play next.

Kept apart from the HTTP endpoints (:mod:`bot.simulator.api`) so tests and ``flask bot chat``
can set the stand-in up and read what a phone would show without going through HTTP, and so the
one place that knows the ``sim:*`` keys is this module.
"""
from __future__ import annotations

import json
import time
from typing import Any

from court import redis_conn
from wechat import rules as wechat_rules

KEEP = 3 * 86400  # WeChat keeps temporary media three days
OUTBOX_MAX = 500

# WeChat's wording for the errors a developer can ask the simulator to play (``fail_next``)
ERRMSG = {
    -1: "system error", 40001: "invalid credential, access_token is invalid or not latest",
    40003: "invalid openid", 42001: "access_token expired", 43004: "require subscribe",
    45009: "reach max api daily quota limit", 45015: "response out of time limit or subscription is canceled",
    45047: "out of response count limit",
}


def client():  # type: ignore[no-untyped-def]
    """The Redis the stand-in keeps its state in (the app's own, so one reset clears both)."""
    return redis_conn.client()


def fail_next(*errcodes: int, api: str | None = None) -> None:
    """Answer the next API calls (one per code, in order; only calls to ``api`` such as
    ``message/custom/send`` when given) with these errcodes, as WeChat would when a token
    expires, the daily quota runs out, an openid is wrong …"""
    if errcodes:
        client().rpush(f"sim:fail:{api}" if api else "sim:fail", *[str(code) for code in errcodes])


def injected_failure(api: str) -> int | None:
    """The errcode a developer asked the next call to ``api`` to fail with, if any (used once)."""
    r = client()
    injected = r.lpop(f"sim:fail:{api}") or r.lpop("sim:fail")
    return None if injected is None else int(injected)


def record(openid: str, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Keep one outbound message (what the user's phone would show)."""
    r = client()
    entry = {"seq": int(r.incr("sim:seq")), "at": time.time(), "openid": openid, "kind": kind, "payload": payload}
    raw = json.dumps(entry, ensure_ascii=False)
    pipe = r.pipeline()
    pipe.rpush(f"sim:outbox:{openid}", raw)
    pipe.ltrim(f"sim:outbox:{openid}", -OUTBOX_MAX, -1)
    pipe.expire(f"sim:outbox:{openid}", KEEP)
    pipe.rpush("sim:outbox", raw)
    pipe.ltrim("sim:outbox", -OUTBOX_MAX, -1)
    pipe.execute()
    return entry


def outbox(openid: str | None = None, after: int = 0) -> list[dict[str, Any]]:
    """The messages delivered (to one user, or to all), oldest first, after sequence ``after``."""
    key = f"sim:outbox:{openid}" if openid else "sim:outbox"
    entries = [json.loads(raw) for raw in client().lrange(key, 0, -1)]
    return [e for e in entries if e["seq"] > after]


# --- what WeChat knows about each user: last interaction (the 48-hour window) and following ---

def user_acted(openid: str, msg_type: str, event: str | None = None, at: float | None = None) -> None:
    """The simulated user did something WeChat sees (sent a message, followed, clicked …)."""
    ev = (event or "").lower()
    if msg_type == "event" and ev in ("subscribe", "unsubscribe"):
        client().set(f"sim:following:{openid}", "1" if ev == "subscribe" else "0", ex=KEEP * 30)
    if wechat_rules.counts_as_interaction(msg_type, event):
        client().set(f"sim:acted:{openid}", f"{at or time.time():.0f}", ex=KEEP * 30)


def in_window(openid: str, now: float | None = None) -> bool:
    """Whether a customer message may still reach the user (48 hours since their last act)."""
    raw = client().get(f"sim:acted:{openid}")
    return raw is not None and (now or time.time()) - float(raw) < wechat_rules.CUSTOMER_WINDOW_SECONDS


def unfollowed(openid: str) -> bool:
    """Only a user seen unfollowing counts as not following (users made up by tests follow)."""
    return client().get(f"sim:following:{openid}") == b"0"
