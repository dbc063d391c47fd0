"""The external identity authority (national network identity service 网号/网证): only a clearly
labelled development stand-in exists, it behaves as documented, and production refuses it."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from court import db
from court.errors import DomainError
from court.models import AuditEvent, IdentityCheck
from court.services import identity_checks
from identity import authority, settings
from identity.authority import registry
from identity.authority.development import DevelopmentAuthority
from tests.support.factories import id_number

NUMBER = id_number()
HOLDER = "web:authority-test"


@pytest.fixture
def dev_authority(app):
    settings.configure(identity_authority="development")
    yield
    settings.configure(identity_authority="")


@pytest.mark.parametrize(("params", "ok", "code"), [
    ({"decision": "authorize", "name": "张三", "id_number": NUMBER}, True, "pass"),
    ({"decision": "authorize", "name": "张三", "id_number": NUMBER.lower()}, True, "pass"),
    ({"decision": "authorize", "name": "李四", "id_number": NUMBER}, False, "mismatch"),
    ({"decision": "authorize", "name": "张三", "id_number": id_number(seq="999")}, False, "mismatch"),
    ({"decision": "decline", "name": "张三", "id_number": NUMBER}, False, "declined"),
    ({}, False, "declined"),
])
def test_the_development_authority_passes_and_fails_as_documented(params, ok, code):
    result = DevelopmentAuthority().finish(params, name="张三", id_number=NUMBER)
    assert (result.ok, result.code, result.development) == (ok, code, True)
    assert result.provider == "netid-development" and result.ref and result.ref.startswith("devnetid-")


def test_a_pass_is_a_fresh_identity_check_in_that_holder_only(dev_authority, person):
    s = db.session()
    check = authority.verify(s, person, {"decision": "authorize", "name": "张三", "id_number": NUMBER},
                             holder_id=HOLDER, channel="web")
    s.commit()
    assert (check.method, check.provider, check.status) == ("authority", "netid-development", "pass")
    assert identity_checks.fresh(s, person_id=person.id, holder_id=HOLDER, minutes=10).id == check.id
    assert identity_checks.fresh(s, person_id=person.id, holder_id="web:someone-else", minutes=10) is None
    assert s.scalar(select(AuditEvent).where(AuditEvent.action == "identity.check_decided")).details["ok"] is True


def test_a_failure_is_recorded_and_counts_for_nothing(dev_authority, person):
    s = db.session()
    check = authority.verify(s, person, {"decision": "authorize", "name": "李四", "id_number": NUMBER},
                             holder_id=HOLDER, channel="web")
    assert (check.status, check.result) == ("fail", "mismatch")
    assert identity_checks.fresh(s, person_id=person.id, holder_id=HOLDER, minutes=10) is None


def test_without_a_configured_authority_nothing_is_offered(app, person):
    assert not authority.available()
    with pytest.raises(DomainError) as err:
        authority.verify(db.session(), person, {"decision": "authorize"}, holder_id=HOLDER, channel="web")
    assert err.value.code == "authority_unavailable"
    assert db.session().scalars(select(IdentityCheck)).first() is None


def test_production_refuses_the_development_authority_and_unknown_ones():
    prod = settings.IdentitySettings(env="production", identity_authority="development")
    assert any("ENV=production" in p for p in registry.problems(prod))
    assert any("not known" in p for p in registry.problems(settings.IdentitySettings(identity_authority="netid")))
    assert registry.problems(settings.IdentitySettings(env="production")) == []


def test_the_app_refuses_to_start_with_the_development_authority_in_production(config):
    from app import create_app
    from config import StartupRefused

    config.ENV = "production"
    config.IDENTITY_AUTHORITY = "development"
    with pytest.raises(StartupRefused) as err:
        create_app(config)
    assert "IDENTITY_AUTHORITY" in str(err.value)
