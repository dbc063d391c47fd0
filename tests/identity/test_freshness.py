"""Signing and joining a case need an identity check that passed within FACE_FRESH_MINUTES *in the
same conversation or session* (holder): a pass elsewhere unlocks nothing here."""
from datetime import timedelta

import pytest

from court import db
from court.errors import DomainError
from court.services import identity_checks
from identity import face, settings


def here() -> str:
    return identity_checks.holder("web", "this-session")


def elsewhere() -> str:
    return identity_checks.holder("web", "another-session")


def _passed(s, person, minutes_ago, provider="baidu", holder=None, method="face"):
    check = identity_checks.open_check(s, person_id=person.id, method=method, provider=provider, channel="web",
                                       holder_id=holder or here())
    identity_checks.decide(s, check, ok=True, result="pass")
    check.decided_at = db.utcnow() - timedelta(minutes=minutes_ago)
    s.flush()
    return check


def test_never_checked_is_not_fresh(s, person):
    assert face.fresh(s, person.id, here()) is None
    with pytest.raises(DomainError) as err:
        face.require_fresh(s, person.id, here())
    assert err.value.code == "face_check_needed" and err.value.status == 403
    assert "10分钟内有效" in err.value.localized()
    assert "valid for 10 minutes" in err.value.localized("en")


def test_default_window_is_ten_minutes(s, person):
    check = _passed(s, person, 9.5)
    assert face.require_fresh(s, person.id, here()) == check
    check.decided_at = db.utcnow() - timedelta(minutes=10.5)
    s.flush()
    assert face.fresh(s, person.id, here()) is None


def test_window_is_configurable(s, person):
    _passed(s, person, 20)
    assert face.fresh(s, person.id, here()) is None
    settings.configure(face_fresh_minutes=30)
    assert face.fresh(s, person.id, here()) is not None


def test_a_pass_in_another_session_does_not_count_here(s, person):
    _passed(s, person, 1, holder=elsewhere())
    assert face.fresh(s, person.id, here()) is None
    assert face.fresh(s, person.id, elsewhere()) is not None


def test_any_method_counts(s, person):
    _passed(s, person, 1, provider="staff", method="staff")
    assert face.fresh(s, person.id, here()).method == "staff"


def test_development_passes_do_not_count_in_production(s, person):
    _passed(s, person, 1, provider="development")
    assert face.fresh(s, person.id, here()) is not None
    settings.configure(env="production")
    assert face.fresh(s, person.id, here()) is None
