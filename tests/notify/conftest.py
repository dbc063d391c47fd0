"""Fixtures for notify/: courts, cases with parties, documents in flows, provider stand-ins."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from court import db
from court.models import ChannelBinding, Notification, Party, PartyRole, Person, StepAction
from court.services import cases, documents, flows, outbox
from court.services import staff as staff_service
from notify.providers import registry
from tests.support import notify_standins
from tests.support.factories import id_number, pdf_bytes


@pytest.fixture
def court(app):
    s = db.session()
    c = staff_service.create_court(s, "北京互联网法院", "京0491")
    s.commit()
    return c


@pytest.fixture
def make_case(court):
    counter = iter(range(100, 10_000))

    def _make(parties: list[dict] | None = None):  # type: ignore[no-untyped-def]
        s = db.session()
        case = cases.create_case(s, court, f"（2026）京0491民初{next(counter)}号", "civil", "网络购物合同纠纷")
        specs = parties if parties is not None else [
            {"role": PartyRole.PLAINTIFF, "name": "张三", "phone": "13800000001"},
            {"role": PartyRole.DEFENDANT, "name": "李四", "phone": "13800000002"},
        ]
        added = cases.add_parties(s, case, [cases.PartyInput(**spec) for spec in specs])
        s.commit()
        return case, [p for p, _code in added]

    return _make


def bind_wechat(party: Party, openid: str = "oWECHAT-openid-1") -> Person:
    s = db.session()
    from court import crypto

    number = id_number(seq=f"{party.id % 1000:03d}")
    person = Person(real_name=party.name, id_number_enc=crypto.encrypt(number),
                    id_number_hash=crypto.lookup_hash(number), id_number_masked=crypto.mask_id_number(number))
    s.add(person)
    s.flush()
    # a binding proven by an identity check (the only kind notices go to)
    s.add(ChannelBinding(person_id=person.id, channel="wechat", address=openid, verified_at=db.utcnow()))
    party.person_id = person.id
    s.commit()
    return person


def consent_for(party: Party, channels: tuple[str, ...] = ("sms",), address: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    """The party's consent to electronic service in its case, entered by staff (default: the
    court-entered phone, now confirmed by the party)."""
    from court.services import consent

    s = db.session()
    party = s.get(Party, party.id)
    row = consent.give(s, None, party.case, channels=list(channels), address=address or {"sms": party.phone},
                       method="staff", party=party, recorded_by="staff:test")
    s.commit()
    return row


def bulk_consent(case_id: int) -> None:
    """Consent (entered by staff) for every party of a case that has a phone, in one insert."""
    from sqlalchemy import insert, select

    from court.models import Consent

    s = db.session()
    rows = s.execute(select(Party.id, Party.phone).where(Party.case_id == case_id, Party.phone.is_not(None))).all()
    now = db.utcnow()
    s.execute(insert(Consent), [{"party_id": pid, "case_id": case_id, "decision": "given", "channels": ["sms"],
                                 "address": {"sms": phone}, "text_shown": "电子送达确认书", "method": "staff",
                                 "recorded_by": "staff:test", "given_at": now} for pid, phone in rows])
    s.commit()


def china(at) -> str:  # type: ignore[no-untyped-def]
    """A time as the SMS providers report it (Beijing time, no zone)."""
    from datetime import timedelta, timezone

    return at.astimezone(timezone(timedelta(hours=8))).strftime("%Y-%m-%d %H:%M:%S")


def aliyun_report(n, at, *, phone: str | None = None, sms_size: str = "1",  # type: ignore[no-untyped-def]
                  with_out_id: bool = True) -> dict[str, Any]:
    """One Aliyun SmsReport entry for notification ``n``, delivered at ``at``, as the provider posts
    it (a list of these is the body). ``with_out_id=False``: a batch send, whose reports carry none."""
    return {"phone_number": phone or n.address, "send_time": china(n.sent_at), "report_time": china(at),
            "success": True, "err_code": "DELIVERED", "err_msg": "用户接收成功", "sms_size": sms_size,
            "biz_id": n.provider_id, "out_id": str(n.id) if with_out_id else ""}


@pytest.fixture
def serve_document(make_case):
    """Upload a judgment and start a RECEIVE flow for the given parties (default: all)."""

    def _serve(case=None, parties=None, action=StepAction.RECEIVE, ordered=False):  # type: ignore[no-untyped-def]
        if case is None:
            case, parties = make_case()
        s = db.session()
        doc = documents.upload(s, case, documents.DocumentKind.JUDGMENT, "民事判决书", pdf_bytes(),
                               max_bytes=2 * 1024 * 1024)
        flow = flows.start_flow(s, doc, [flows.StepInput(action, party_id=p.id) for p in parties], ordered=ordered)
        s.commit()
        return case, parties, doc, flow

    return _serve


def notifications(**filters) -> list[Notification]:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    s = db.session()
    s.expire_all()
    stmt = select(Notification).order_by(Notification.id)
    for k, v in filters.items():
        stmt = stmt.where(getattr(Notification, k) == v)
    rows = list(s.scalars(stmt))
    s.commit()  # end the read: on SQLite every transaction holds the write lock
    return rows


def read(stmt):  # type: ignore[no-untyped-def]
    """Run a query on a fresh session and end its transaction; returns all rows/scalars."""
    s = db.session()
    s.expire_all()
    rows = list(s.scalars(stmt))
    s.commit()
    return rows


def use_settings(app, **values) -> None:  # type: ignore[no-untyped-def]
    """Change settings for this test, the one way the app offers (each room's ``configure``)."""
    from notify import settings
    from wechat import settings as wechat_settings

    wechat_values = {k: values.pop(k) for k in list(values) if k in wechat_settings.WeChatSettings.env_names()}
    if wechat_values:
        wechat_settings.configure(**wechat_values)
    settings.configure(**values)


def queue_otp(s, phone: str = "13900000009", *, code: str) -> Notification:  # type: ignore[no-untyped-def]
    """A one-time code SMS in the outbox, committed (the jobs that send it are not run)."""
    n = outbox.add(s, channel="sms", address=phone, template="otp", params={"code": code, "minutes": 5})
    s.commit()
    return n


def _sms_standin(app, kind: str, settings: Callable[[str], dict[str, Any]]) -> Iterator[notify_standins.StandIn]:  # type: ignore[no-untyped-def]
    """An SMS provider's stand-in running, the app sending through it (``settings`` of its endpoint)."""
    st = notify_standins.start(kind)
    use_settings(app, SMS_PROVIDER=kind, SMS_TEMPLATE_CODES=TEMPLATE_CODES, NOTIFY_BACKOFF_SECONDS=[0],
                 **settings(st.endpoint))
    yield st
    notify_standins.stop(st)
    registry.reset()


@pytest.fixture
def aliyun(app) -> Iterator[notify_standins.StandIn]:
    yield from _sms_standin(app, "aliyun", lambda endpoint: {
        "ALIYUN_ACCESS_KEY_ID": notify_standins.ALIYUN_AK, "ALIYUN_ACCESS_KEY_SECRET": notify_standins.ALIYUN_SECRET,
        "ALIYUN_SMS_ENDPOINT": endpoint, "ALIYUN_SMS_PROTOCOL": "http"})


@pytest.fixture
def tencent(app) -> Iterator[notify_standins.StandIn]:
    yield from _sms_standin(app, "tencent", lambda endpoint: {
        "TENCENT_SECRET_ID": notify_standins.TENCENT_ID, "TENCENT_SECRET_KEY": notify_standins.TENCENT_KEY,
        "TENCENT_SMS_APP_ID": "1400000001", "TENCENT_SMS_ENDPOINT": endpoint, "TENCENT_SMS_PROTOCOL": "http"})


@pytest.fixture
def wechat(app) -> Iterator[notify_standins.StandIn]:
    from wechatpy import WeChatClient

    from notify.providers import wechat as wechat_provider

    st = notify_standins.start("wechat")

    def factory() -> WeChatClient:
        client = WeChatClient("wx-test-appid", "wx-test-secret", access_token="test-access-token")
        client.API_BASE_URL = f"http://{st.endpoint}/cgi-bin/"
        return client

    wechat_provider.set_client_factory(factory)
    use_settings(app, WECHAT_TEMPLATE_IDS={name: f"TPL-{name}" for name in TEMPLATE_CODES})
    yield st
    wechat_provider.set_client_factory(None)
    notify_standins.stop(st)


TEMPLATE_CODES = {"otp": "SMS_100001", "document_ready": "SMS_100002", "sign_request": "SMS_100003",
                  "hearing_notice": "SMS_100004", "summons": "SMS_100005", "general_notice": "SMS_100006",
                  "flow_finished": "SMS_100007"}
