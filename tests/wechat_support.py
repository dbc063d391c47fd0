"""Shared helpers for tests/bot and tests/handlers.

- A ``requests`` transport that serves ``http://court.test`` from the Flask app, so the real
  wechatpy client, OAuth and the simulated user talk HTTP to the app's own WeChat simulator.
- A thin, temporary stand-in for ``identity`` used only while that package is not merged yet
  (the real modules win as soon as they exist); OTP sending and the face check itself are
  replaced in every run, because they need an SMS gateway and a face service.
"""
from __future__ import annotations

import importlib.util
import sys
import threading
import types
from datetime import timedelta
from typing import Any

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from court import db
from court.errors import DomainError

BASE = "http://court.test"
OTP_CODE = "246810"
GOOD_FACE = b"\xff\xd8\xff\xe0GOOD-FACE"


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


# --- identity stand-in (temporary, only while identity/ is not merged) -----------------------

def _standin_modules() -> dict[str, types.ModuleType]:
    from sqlalchemy import select

    from court import audit, crypto, idnumbers
    from court.models import Consent, Person

    registration = types.ModuleType("identity.registration")

    def register(s, *, real_name: str, id_number: str, phone: str):  # type: ignore[no-untyped-def]
        problem = idnumbers.problem(id_number)
        if problem:
            raise DomainError(problem, code="bad_id_number")
        value = idnumbers.normalize(id_number)
        if s.scalar(select(Person).where(Person.id_number_hash == crypto.lookup_hash(value))):
            raise DomainError("该身份证号码已注册", code="already_registered")
        person = Person(real_name=real_name, id_number_enc=crypto.encrypt(value),
                        id_number_hash=crypto.lookup_hash(value), id_number_masked=crypto.mask_id_number(value),
                        phone=phone, phone_verified_at=db.utcnow())
        s.add(person)
        s.flush()
        audit.record(s, "person.registered", actor=f"person:{person.id}", subject=f"person:{person.id}")
        return person

    registration.register = register  # type: ignore[attr-defined]

    otp = types.ModuleType("identity.otp")
    otp.send_code = lambda s, phone, purpose, *, person_id=None: None  # type: ignore[attr-defined]
    otp.verify_code = lambda s, phone, purpose, code: None  # type: ignore[attr-defined]

    face = types.ModuleType("identity.face")

    def is_fresh(person) -> bool:  # type: ignore[no-untyped-def]
        return person.face_verified_at is not None and db.utcnow() - person.face_verified_at < timedelta(minutes=10)

    def require_fresh(person) -> None:  # type: ignore[no-untyped-def]
        if not is_fresh(person):
            raise DomainError("请先完成人脸认证", code="face_check_needed")

    face.is_fresh = is_fresh  # type: ignore[attr-defined]
    face.require_fresh = require_fresh  # type: ignore[attr-defined]
    face.request_check = lambda s, person_id, image, *, reply_to=None: None  # type: ignore[attr-defined]

    consent = types.ModuleType("identity.consent")

    def consent_text(case, channels, locale) -> str:  # type: ignore[no-untyped-def]
        return f"【电子送达确认】案件 {case.number}：法院将通过 {'、'.join(channels)} 向您电子送达本案诉讼文书，送达即生效。"

    def give(s, person, case, *, channels, address, method):  # type: ignore[no-untyped-def]
        row = Consent(person_id=person.id, case_id=case.id, channels=list(channels), address=dict(address),
                      text_shown=consent_text(case, channels, "zh_Hans_CN"), method=method)
        s.add(row)
        s.flush()
        return row

    def has_consent(s, person_id: int, case_id: int) -> bool:  # type: ignore[no-untyped-def]
        return s.scalar(select(Consent).where(Consent.person_id == person_id, Consent.case_id == case_id,
                                              Consent.withdrawn_at.is_(None))) is not None

    consent.consent_text = consent_text  # type: ignore[attr-defined]
    consent.give = give  # type: ignore[attr-defined]
    consent.has_consent = has_consent  # type: ignore[attr-defined]
    return {"registration": registration, "otp": otp, "face": face, "consent": consent}


def ensure_identity() -> None:
    """Make ``identity.registration/otp/face/consent`` importable (real ones when present)."""
    import identity

    modules = None
    for name in ("registration", "otp", "face", "consent"):
        if f"identity.{name}" in sys.modules or importlib.util.find_spec(f"identity.{name}") is not None:
            continue
        modules = modules or _standin_modules()
        sys.modules[f"identity.{name}"] = modules[name]
        setattr(identity, name, modules[name])


class FakeIdentityServices:
    """Replaces the parts of identity that need outside services: SMS sending and the face check.

    The face check answers like identity's job does: it enqueues ``reply_to['job']`` with an
    outcome (ok for ``GOOD_FACE`` images) and marks the person verified when ok."""

    def __init__(self, monkeypatch):  # type: ignore[no-untyped-def]
        from identity import face, otp

        self.sent: list[tuple[str, str]] = []
        self.checks: list[tuple[int, bytes, dict]] = []
        monkeypatch.setattr(otp, "send_code", self.send_code)
        monkeypatch.setattr(otp, "verify_code", self.verify_code)
        monkeypatch.setattr(face, "request_check", self.request_check)

    def send_code(self, s, phone: str, purpose: str, *, person_id=None) -> None:  # type: ignore[no-untyped-def]
        self.sent.append((phone, purpose))

    def verify_code(self, s, phone: str, purpose: str, code: str) -> None:  # type: ignore[no-untyped-def]
        if code != OTP_CODE:
            raise DomainError("验证码不正确", code="otp_wrong")

    def request_check(self, s, person_id: int, image: bytes, *, reply_to=None) -> None:  # type: ignore[no-untyped-def]
        from court import queue
        from court.models import Person

        self.checks.append((person_id, image, reply_to))
        ok = image == GOOD_FACE
        if ok:
            s.get(Person, person_id).face_verified_at = db.utcnow()
        outcome = {"ok": ok, "message_zh": "人脸核验通过" if ok else "未检测到人脸，请正对镜头重新拍摄",
                   "message_en": "Face check passed" if ok else "No face found", "score": 95.0 if ok else 0.0,
                   "development": True}
        queue.enqueue(reply_to["job"], reply_to, outcome, session=s)


# --- fixtures (imported by tests/bot/conftest.py and tests/handlers/conftest.py) ---------------

import pytest  # noqa: E402


@pytest.fixture
def wechat(app, monkeypatch):  # type: ignore[no-untyped-def]
    """The bot wired to the app's own WeChat simulator over (in-process) HTTP."""
    from bot import client, oauth

    client.reset_client()
    client.get_client()._http.mount(BASE, WSGIAdapter(app))
    monkeypatch.setattr(oauth, "http", session_for(app))
    yield app
    client.reset_client()


@pytest.fixture
def identity_services(app, monkeypatch):  # type: ignore[no-untyped-def]
    ensure_identity()
    return FakeIdentityServices(monkeypatch)


@pytest.fixture
def make_user(wechat, identity_services):  # type: ignore[no-untyped-def]
    from bot import settings as bot_settings
    from bot.simulator.user import SimulatedUser

    def make(openid: str = "oUSERaaaaaaaaaaaaaaaaaaaaaaa", *, safe: bool = True) -> SimulatedUser:
        return SimulatedUser(bot_settings.current(), openid, BASE, safe=safe, http=session_for(wechat))

    return make


@pytest.fixture
def court_case(app, s):  # type: ignore[no-untyped-def]
    """A case with a plaintiff 张三 and a defendant 李四; returns (case, {name: (party, code)})."""
    from court.models import PartyRole
    from court.services import cases, staff
    from tests.factories import id_number

    court = staff.create_court(s, "北京互联网法院（测试）", "京0491")
    case = cases.create_case(s, court, "（2026）京0491民初101号", "civil", "网络购物合同纠纷")
    parties = cases.add_parties(s, case, [
        cases.PartyInput(PartyRole.PLAINTIFF, "张三", id_number(), "13800000001"),
        cases.PartyInput(PartyRole.DEFENDANT, "李四", id_number(born="19850101", seq="456"), "13800000002"),
    ])
    s.commit()
    s.expunge_all()  # plain snapshots: tests read them freely while requests change the rows
    return case, {p.name: (p, code) for p, code in parties}
