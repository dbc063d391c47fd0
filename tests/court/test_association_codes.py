"""Association codes: only a hash is stored; they expire; they work once; identity must match."""
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from court import crypto, db
from court.errors import DomainError
from court.models import Party, PartyRole, Person
from court.services import cases
from tests.support.factories import id_number


@pytest.fixture
def case(s, court_setup):
    court, _ = court_setup
    c = cases.create_case(s, court, "（2026）京0491民初123号", "civil")
    s.commit()
    return c


def _person(s, name, idn):
    p = Person(real_name=name, id_number_enc=crypto.encrypt(idn), id_number_hash=crypto.lookup_hash(idn),
               id_number_masked=crypto.mask_id_number(idn), face_verified_at=db.utcnow())
    s.add(p)
    s.flush()
    return p


def test_code_is_stored_only_as_hash(s, case):
    [(party, code)] = cases.add_parties(s, case, [cases.PartyInput(PartyRole.DEFENDANT, "李四", id_number())])
    s.commit()
    raw = code.replace("-", "")
    assert len(raw) == 12 and code.count("-") == 2
    dump = "\n".join(str(row) for row in s.execute(text("SELECT * FROM party")))
    assert raw not in dump and code not in dump
    assert party.code_hash == cases.code_hash(code)


def test_code_binds_matching_person_once(s, case):
    idn = id_number()
    [(party, code)] = cases.add_parties(s, case, [cases.PartyInput(PartyRole.DEFENDANT, "李四", idn)])
    person = _person(s, "李四", idn)
    bound = cases.redeem_code(s, code.lower().replace("-", " "), person)
    assert bound.id == party.id and bound.person_id == person.id and bound.code_used_at is not None
    other = _person(s, "李四", id_number(seq="456"))
    with pytest.raises(DomainError) as err:
        cases.redeem_code(s, code, other)
    assert err.value.code == "code_used"


def test_expired_code_is_refused(s, case):
    idn = id_number()
    [(_party, code)] = cases.add_parties(s, case, [cases.PartyInput(PartyRole.DEFENDANT, "李四", idn)], ttl_days=1)
    person = _person(s, "李四", idn)
    with pytest.raises(DomainError) as err:
        cases.redeem_code(s, code, person, now=db.utcnow() + timedelta(days=2))
    assert err.value.code == "code_expired"


def test_identity_mismatch_is_refused_and_audited(s, case):
    [(_party, code)] = cases.add_parties(s, case, [cases.PartyInput(PartyRole.DEFENDANT, "李四", id_number())])
    stranger = _person(s, "王五", id_number(seq="789"))
    with pytest.raises(DomainError) as err:
        cases.redeem_code(s, code, stranger)
    assert err.value.code == "identity_mismatch" and err.value.status == 403
    assert s.scalar(select(Party).where(Party.person_id == stranger.id)) is None


def test_wrong_code_is_refused(s, case):
    cases.add_parties(s, case, [cases.PartyInput(PartyRole.DEFENDANT, "李四", id_number())])
    with pytest.raises(DomainError) as err:
        cases.redeem_code(s, "ABCD-EFGH-JKMN", _person(s, "李四", id_number()))
    assert err.value.code == "code_invalid"


def test_regenerated_code_replaces_the_old_one(s, case):
    idn = id_number()
    [(party, old)] = cases.add_parties(s, case, [cases.PartyInput(PartyRole.DEFENDANT, "李四", idn)])
    new = cases.regenerate_code(s, party)
    assert new != old
    person = _person(s, "李四", idn)
    with pytest.raises(DomainError):
        cases.redeem_code(s, old, person)
    assert cases.redeem_code(s, new, person).id == party.id
