"""Issue 10, finding 1, from the attacker's side: a second WeChat user who knows the victim's name
and ID number registers with them (with their own phone and its real SMS code) and accepts the
terms. Knowing a name and an ID number must grant nothing (DESIGN: binding)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from court import db
from court.models import ChannelBinding, DocumentKind, Notification, Person, StepAction
from court.services import cases, flows
from tests.handlers.test_flows import ZHANG_ID, _text, register, verify_face
from tests.support.factories import pdf_bytes
from tests.support.identity import face_photo

VICTIM = "oVICTIMaaaaaaaaaaaaaaaaaaaaa"
ATTACKER = "oATTACKERaaaaaaaaaaaaaaaaaaa"
ATTACKER_PHONE = "13900000099"


def _victim_with_a_case(make_user, court_case, run_jobs, s):  # type: ignore[no-untyped-def]
    case, parties = court_case
    party, code = parties["张三"]
    victim = make_user(VICTIM)
    register(victim)
    verify_face(victim, run_jobs)
    assert "已成功关联案件" in _text(victim.say(f"绑定 {code}"))
    victim.say("同意")
    cases.add_event(s, s.merge(case), "hearing", "开庭审理", db.utcnow() + timedelta(days=14), "第三法庭")
    s.commit()
    return case, party


def test_name_and_id_number_do_not_take_over_a_wechat_identity(make_user, court_case, run_jobs, s):
    case, party = _victim_with_a_case(make_user, court_case, run_jobs, s)
    victim_person = s.scalars(select(Person)).one()
    victim_id, victim_phone = victim_person.id, victim_person.phone
    assert victim_person.phone_verified_at is not None
    s.rollback()

    attacker = make_user(ATTACKER)
    reply = register(attacker, "张三", ZHANG_ID, ATTACKER_PHONE)
    # the reply says plainly what is needed, and grants nothing meanwhile
    assert "已在本平台登记" in reply and "人脸" in reply
    # a failed face check (it is not the victim's face) changes nothing either
    texts = verify_face(attacker, run_jobs, image=face_photo("blank"))
    assert any("没有检测到人脸" in t for t in texts) and not any("验证通过" in t for t in texts)

    s.expire_all()
    assert s.scalars(select(Person)).all() == [s.get(Person, victim_id)]  # nobody new was created
    assert s.scalar(select(ChannelBinding).where(ChannelBinding.address == ATTACKER)) is None
    victim_person = s.get(Person, victim_id)
    assert victim_person.phone == victim_phone and victim_person.phone_verified_at is not None
    assert s.scalar(select(ChannelBinding).where(ChannelBinding.address == ATTACKER_PHONE)) is None
    s.rollback()

    for command in ("我的案件", "我的文书"):
        text = _text(attacker.say(command))
        assert case.number not in text and "开庭审理" not in text and "第三法庭" not in text
        assert "人脸认证" in text

    # the next notice for the victim goes to the victim's WeChat, never to the attacker's
    from court.services import documents

    doc = documents.upload(s, s.merge(case), DocumentKind.SUBPOENA, "传票", pdf_bytes(), max_bytes=10**6)
    flows.start_flow(s, doc, [flows.StepInput(StepAction.RECEIVE, party_id=party.id)])
    s.commit()
    run_jobs(("notify", "default"))
    s.expire_all()
    addresses = set(s.scalars(select(Notification.address).where(Notification.channel == "wechat")))
    assert ATTACKER not in addresses and VICTIM in addresses
    assert not any("传票" in t for t in _pushed_texts(attacker))


def _pushed_texts(user) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(e["payload"]) for e in user.pushed()]


def test_wrong_name_for_a_known_id_number_is_refused_clearly(make_user, court_case, run_jobs, s):
    _victim_with_a_case(make_user, court_case, run_jobs, s)
    attacker = make_user(ATTACKER)
    reply = register(attacker, "张山", ZHANG_ID, ATTACKER_PHONE)
    assert "姓名与身份证号码不一致" in reply
    s.expire_all()
    assert s.scalar(select(ChannelBinding).where(ChannelBinding.address == ATTACKER)) is None


def test_the_real_person_on_a_new_phone_proves_it_by_face_and_keeps_their_cases(make_user, court_case, run_jobs, s):
    """The same registration from the real person's new WeChat works once their face check passes
    here: the new openid is bound (verified) and the phone they proved replaces the old one."""
    case, _party = _victim_with_a_case(make_user, court_case, run_jobs, s)
    new_wechat = make_user("oVICTIMNEWaaaaaaaaaaaaaaaaaa")
    assert "已在本平台登记" in register(new_wechat, "张三", ZHANG_ID, "13700000077")
    assert any("验证通过" in t for t in verify_face(new_wechat, run_jobs))
    s.expire_all()
    bound = s.scalar(select(ChannelBinding).where(ChannelBinding.address == new_wechat.openid))
    assert bound is not None and bound.verified_at is not None
    person = s.get(Person, bound.person_id)
    assert person.phone == "13700000077" and person.phone_verified_at is not None
    s.rollback()
    assert case.number in _text(new_wechat.say("我的案件"))
