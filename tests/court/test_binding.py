"""The binding rules (court.services.binding): only a check that passed for this person, in this
conversation or session, binds anything or changes a verified phone."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from court import crypto, db
from court.errors import DomainError
from court.models import ChannelBinding, Party, PartyRole, Person
from court.services import binding, cases, identity_checks, staff
from tests.support.factories import id_number

OPENID = "oBINDaaaaaaaaaaaaaaaaaaaaaaa"


def _person(s, name: str = "张三", idn: str | None = None, phone: str | None = "13800000001") -> Person:
    idn = idn or id_number()
    p = Person(real_name=name, id_number_enc=crypto.encrypt(idn), id_number_hash=crypto.lookup_hash(idn),
               id_number_masked=crypto.mask_id_number(idn), phone=phone, phone_verified_at=db.utcnow())
    s.add(p)
    s.flush()
    return p


def _check(s, person: Person, holder_id: str, ok: bool = True):  # type: ignore[no-untyped-def]
    check = identity_checks.open_check(s, person_id=person.id, method="face", provider="development",
                                       channel="wechat", holder_id=holder_id)
    return identity_checks.decide(s, check, ok=ok, result="pass" if ok else "low_score")


def test_only_a_passed_check_in_this_conversation_binds(s, app):
    person = _person(s)
    here = identity_checks.holder("wechat", OPENID)
    elsewhere = identity_checks.holder("wechat", "oSOMEONEELSEaaaaaaaaaaaaaaa")
    for check in (None, _check(s, person, here, ok=False), _check(s, person, elsewhere)):
        with pytest.raises(DomainError) as err:
            binding.bind_verified(s, person, "wechat", OPENID, check)
        assert err.value.code == "identity_check_needed"
    assert s.scalar(select(ChannelBinding).where(ChannelBinding.address == OPENID)) is None
    assert binding.person_for(s, "wechat", OPENID) is None

    check = _check(s, person, here)
    bound = binding.bind_verified(s, person, "wechat", OPENID, check)
    assert bound.verified_at is not None and bound.verified_by_check_id == check.id
    assert binding.person_for(s, "wechat", OPENID) == person


def test_a_check_of_another_person_binds_nothing(s, app):
    person, other = _person(s), _person(s, "李四", id_number(seq="456"), "13800000002")
    check = _check(s, other, identity_checks.holder("wechat", OPENID))
    with pytest.raises(DomainError):
        binding.bind_verified(s, person, "wechat", OPENID, check)


def test_a_verified_phone_changes_only_with_a_check_here(s, app):
    person = _person(s)
    here = identity_checks.holder("web", "session-token")
    assert binding.phone_proven(s, person, "13900000009") is False
    assert person.phone == "13800000001"
    assert binding.phone_proven(s, person, "13900000009", check=_check(s, person, "web:elsewhere"),
                                holder_id=here) is False
    assert binding.phone_proven(s, person, "13900000009", check=_check(s, person, here), holder_id=here) is True
    assert person.phone == "13900000009" and person.phone_verified_at is not None
    phone = s.scalar(select(ChannelBinding).where(ChannelBinding.channel == "phone",
                                                  ChannelBinding.address == "13900000009"))
    assert phone.person_id == person.id and phone.verified_at is not None


def test_sms_link_join_needs_name_and_id_number_to_match(s, app):
    court = staff.create_court(s, "北京互联网法院", "京0491")
    case = cases.create_case(s, court, "（2026）京0491民初7号", "civil")
    idn = id_number(seq="777")
    [(right, _c1)] = cases.add_parties(s, case, [cases.PartyInput(PartyRole.PLAINTIFF, "王五", idn, "13800000005")])
    other = cases.create_case(s, court, "（2026）京0491民初8号", "civil")  # one person is one party per case
    [(wrong_name, _c2)] = cases.add_parties(s, other, [
        cases.PartyInput(PartyRole.DEFENDANT, "王六", idn, "13800000006")])
    person = _person(s, "王五", idn)
    holder_id = identity_checks.holder("web", "t")
    joined = binding.join_parties(s, person, [right.id, wrong_name.id], _check(s, person, holder_id),
                                  holder_id=holder_id, via="web_sms")
    assert [p.id for p in joined] == [right.id]
    assert s.get(Party, wrong_name.id).person_id is None
