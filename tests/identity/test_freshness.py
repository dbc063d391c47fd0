"""Signing and joining a case need a face check that passed within FACE_FRESH_MINUTES."""
from datetime import timedelta

import pytest

from court import db
from court.errors import DomainError
from identity import face, settings
from identity.face import base


def _passed(person, minutes_ago, provider="baidu"):
    person.face_result = base.PASS
    person.face_provider = provider
    person.face_verified_at = db.utcnow() - timedelta(minutes=minutes_ago)
    person.face_checked_at = person.face_verified_at


def test_never_checked_is_not_fresh(person):
    assert not face.is_fresh(person)
    with pytest.raises(DomainError) as err:
        face.require_fresh(person)
    assert err.value.code == "face_check_needed" and err.value.status == 403
    assert "10分钟内有效" in err.value.localized()
    assert "valid for 10 minutes" in err.value.localized("en")


def test_default_window_is_ten_minutes(person):
    _passed(person, 9.5)
    assert face.is_fresh(person)
    face.require_fresh(person)
    _passed(person, 10.5)
    assert not face.is_fresh(person)


def test_window_is_configurable_and_per_call(person):
    _passed(person, 20)
    assert face.is_fresh(person, minutes=30)
    settings.configure(face_fresh_minutes=30)
    assert face.is_fresh(person)
    face.require_fresh(person)


def test_latest_failure_revokes_freshness(person):
    _passed(person, 1)
    person.face_result = base.LIVENESS
    assert not face.is_fresh(person)


def test_development_passes_do_not_count_in_production(person):
    _passed(person, 1, provider="development")
    assert face.is_fresh(person)
    settings.configure(env="production")
    assert not face.is_fresh(person)
