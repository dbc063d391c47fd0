"""Production refuses to start without its own audit key (the development key is derived from
SECRET_KEY, which the web servers hold anyway)."""
from __future__ import annotations

import pytest


def test_production_refuses_to_start_without_audit_key(production_config):
    from app import create_app

    production_config.AUDIT_KEY = ""
    with pytest.raises(RuntimeError, match="AUDIT_KEY"):
        create_app(production_config)


def test_production_refuses_audit_key_equal_to_secret_key(production_config):
    from app import create_app

    production_config.AUDIT_KEY = production_config.SECRET_KEY
    with pytest.raises(RuntimeError, match="AUDIT_KEY must differ"):
        create_app(production_config)


def test_the_audit_key_seals_rows(production_config):
    """Rows sealed under the production key do not verify under the development fallback."""
    from app import create_app
    from court import audit, audit_chain, db

    app = create_app(production_config)
    with app.app_context():
        from court import migrate

        migrate.upgrade(production_config.DATABASE_URL)
        s = db.session()
        audit.record(s, "test.event")
        s.commit()
        assert audit_chain.verify(s).ok
        audit.configure(None, production_config.SECRET_KEY)
        assert [p["problem"] for p in audit_chain.verify(s).problems] == ["unknown_key"]
        db.session.remove()


def test_production_with_a_real_tsa_needs_its_roots(production_config):
    """Anchors from a real timestamp authority can only be checked against its root."""
    from app import create_app

    production_config.TSA_URL = "https://tsa.example.test/tsr"
    with pytest.raises(RuntimeError, match="TSA_TRUST_ROOTS_PATH"):
        create_app(production_config)
