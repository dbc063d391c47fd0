"""Shared helpers for tests/bot and tests/handlers.

- A ``requests`` transport that serves ``http://court.test`` from the Flask app, so the real
  wechatpy client, OAuth and the simulated user talk HTTP to the app's own WeChat simulator.
- The real identity services, observed (:class:`IdentityProbe`): codes go through the outbox,
  face checks run the development verifier in the job, exactly as in a running system.
"""
from __future__ import annotations

import threading
import types
from typing import Any

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from court import db

BASE = "http://court.test"
OTP_CODE = "246810"


class WSGIAdapter(BaseAdapter):
    """Send ``requests`` calls to a Flask app. Each call runs in its own thread, as a real server
    would, so the app's per-thread database session never mixes with the caller's."""

    def __init__(self, app):  # type: ignore[no-untyped-def]
        super().__init__()
        self.app = app

    def send(self, request, **kwargs):  # type: ignore[no-untyped-def]
        result: dict[str, Any] = {}

        def call() -> None:
            with self.app.test_client() as c:
                url = request.url[len(BASE):]
                result["r"] = c.open(url, method=request.method, headers=dict(request.headers), data=request.body)

        t = threading.Thread(target=call)
        t.start()
        t.join()
        flask_res = result["r"]
        res = requests.Response()
        res.status_code = flask_res.status_code
        res.headers = CaseInsensitiveDict(dict(flask_res.headers))
        res._content = flask_res.get_data()
        res.url = request.url
        res.request = request
        res.encoding = "utf-8"
        return res

    def close(self) -> None:
        pass


def session_for(app) -> requests.Session:  # type: ignore[no-untyped-def]
    http = requests.Session()
    http.mount(BASE, WSGIAdapter(app))
    return http


# --- the real identity services, observed -----------------------------------------------------

def good_face() -> bytes:
    """A portrait the development face verifier accepts."""
    from tests.support.identity import face_photo

    return face_photo("good")


class IdentityProbe:
    """Watches the real identity services while the conversation runs.

    One-time codes go through the real pipeline (hashed in Redis, limited, queued in the
    outbox); only the random draw is pinned to ``OTP_CODE`` so scripted users can type it.
    Face checks are the real job with the development verifier; ``checks`` records the calls.
    """

    def __init__(self, monkeypatch):  # type: ignore[no-untyped-def]
        from identity import face, otp

        self.checks: list[tuple[int, dict | None]] = []
        monkeypatch.setattr(otp, "secrets", types.SimpleNamespace(randbelow=lambda _n: int(OTP_CODE)))
        real_request = face.request_check

        def request_check(s, person_id, image, *, reply_to=None, **kw):  # type: ignore[no-untyped-def]
            self.checks.append((person_id, reply_to))
            return real_request(s, person_id, image, reply_to=reply_to, **kw)

        monkeypatch.setattr(face, "request_check", request_check)

    @property
    def sent(self) -> list[tuple[str, str]]:
        """(phone, template) of every SMS the outbox holds, oldest first."""
        from sqlalchemy import select

        from court.models import Notification

        s = db.session()
        rows = s.execute(select(Notification.address, Notification.template).where(Notification.channel == "sms")
                         .order_by(Notification.id)).all()
        s.rollback()
        return [tuple(r) for r in rows]


def face_checked_in_conversation(s, person, openid: str) -> None:  # type: ignore[no-untyped-def]
    """What a passed face check in this WeChat conversation leaves behind: a passed check owned by
    the conversation and the openid bound to the person on its strength."""
    from court.services import binding, identity_checks

    check = identity_checks.open_check(s, person_id=person.id, method="face", provider="development",
                                       channel="wechat", holder_id=identity_checks.holder("wechat", openid))
    identity_checks.decide(s, check, ok=True, result="pass")
    bound = binding.bind_verified(s, person, "wechat", openid, check)
    assert bound is not None and bound.verified_at is not None, "the openid was not bound on the passed check"


def age_identity_checks(s, person_id: int, at) -> None:  # type: ignore[no-untyped-def]
    """Move every decided identity check of the person back to ``at`` (a stale check)."""
    from sqlalchemy import update

    from court.models import IdentityCheck

    s.execute(update(IdentityCheck).where(IdentityCheck.person_id == person_id,
                                          IdentityCheck.decided_at.is_not(None)).values(decided_at=at))


# --- fixtures (imported by tests/bot/conftest.py and tests/handlers/conftest.py) ---------------

import pytest  # noqa: E402


@pytest.fixture
def wechat(app, monkeypatch):  # type: ignore[no-untyped-def]
    """The bot wired to the app's own WeChat simulator over (in-process) HTTP."""
    from bot import oauth
    from wechat import client

    client.reset_client()
    client.get_client()._http.mount(BASE, WSGIAdapter(app))
    monkeypatch.setattr(oauth, "http", session_for(app))
    yield app
    client.reset_client()


@pytest.fixture
def identity_services(app, monkeypatch):  # type: ignore[no-untyped-def]
    return IdentityProbe(monkeypatch)


@pytest.fixture
def make_user(wechat, identity_services):  # type: ignore[no-untyped-def]
    from bot.simulator.user import SimulatedUser
    from wechat import settings as bot_settings

    def make(openid: str = "oUSERaaaaaaaaaaaaaaaaaaaaaaa", *, safe: bool = True) -> SimulatedUser:
        return SimulatedUser(bot_settings.current(), openid, BASE, safe=safe, http=session_for(wechat))

    return make


@pytest.fixture
def court_case(app, s):  # type: ignore[no-untyped-def]
    """A case with a plaintiff 张三 and a defendant 李四; returns (case, {name: (party, code)})."""
    from court.models import PartyRole
    from court.services import cases, staff
    from tests.support.factories import id_number

    court = staff.create_court(s, "北京互联网法院（测试）", "京0491")
    case = cases.create_case(s, court, "（2026）京0491民初101号", "civil", "网络购物合同纠纷")
    parties = cases.add_parties(s, case, [
        cases.PartyInput(PartyRole.PLAINTIFF, "张三", id_number(), "13800000001"),
        cases.PartyInput(PartyRole.DEFENDANT, "李四", id_number(born="19850101", seq="456"), "13800000002"),
    ])
    s.commit()
    s.expunge_all()  # plain snapshots: tests read them freely while requests change the rows
    return case, {p.name: (p, code) for p, code in parties}
