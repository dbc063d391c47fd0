"""Migrations run down to nothing and back up on the configured database (SQLite or PostgreSQL)."""
from sqlalchemy import inspect

from court import db, migrate


def test_migrations_down_and_up(app, config):
    db.session.remove()
    migrate.downgrade(config.DATABASE_URL, "base")
    assert set(inspect(db.engine()).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(config.DATABASE_URL, "head")
    tables = set(inspect(db.engine()).get_table_names())
    assert {"case", "party", "document", "document_version", "audit_event", "notification", "service_record"} <= tables
    db.engine().dispose()
