"""Shared fixtures.

The suite runs on the embedded defaults (SQLite file + embedded Redis) unless
``TEST_DATABASE_URL`` / ``TEST_REDIS_URL`` point at real servers; ``.ci/run`` runs it both ways.
Each test gets an empty database and an empty Redis database.
"""
from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from config import Config
from court import db, migrate, redis_conn

pytest_plugins = ("tests.support.receiver", "tests.support.console")  # shared stand-ins that are fixtures

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "")


@pytest.fixture(scope="session", autouse=True)
def _collect_between_tests_only() -> Iterator[None]:
    """On PostgreSQL, garbage is collected between tests, never at a moment the collector picks.

    ``_truncate_pg`` ends sessions a test's request thread left open; their pooled connections are
    finalized whenever the collector next runs, and a finalizer that runs Python code inside
    ``ast.parse`` (Werkzeug compiles each URL rule with it; our layering tests read the source
    with it) trips CPython 3.11's "AST constructor recursion depth mismatch" (cpython#106905):
    two CI runs failed on it, in different tests. Automatic collection is off for the PostgreSQL
    pass and :func:`app` collects before each test and after emptying the tables.
    """
    if not TEST_DATABASE_URL:
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@pytest.fixture(scope="session")
def session_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("court")


@pytest.fixture(scope="session")
def redis_url(session_dir: Path) -> Iterator[str]:
    if TEST_REDIS_URL:
        yield TEST_REDIS_URL
        return
    instance = session_dir / "redis-instance"
    url = redis_conn.embedded_url(str(instance))
    yield url
    redis_conn.stop_embedded(str(instance))


@pytest.fixture(scope="session")
def s3_server(session_dir: Path):
    """A real S3-protocol server on loopback (moto's standalone server); skips if moto is missing."""
    from tests.support.s3 import running_s3

    with running_s3(session_dir) as server:
        yield server


@pytest.fixture(scope="session")
def _pg_migrated() -> Iterator[None]:
    if TEST_DATABASE_URL:
        engine = db.make_engine(TEST_DATABASE_URL)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        migrate.upgrade(TEST_DATABASE_URL)
    yield


def _truncate_pg() -> None:
    """Empty every table. A transaction a previous test left open (a request thread's session, a
    server subprocess) would block TRUNCATE for ever, so such sessions are ended first."""
    with db.engine().begin() as conn:
        conn.execute(text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'"))
        conn.execute(text("SET LOCAL lock_timeout = '20s'"))
        tables = [r[0] for r in conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname='public' AND tablename <> 'alembic_version'"))]
        if tables:
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))


@pytest.fixture
def config(tmp_path: Path, redis_url: str, _pg_migrated: None) -> Config:
    instance = tmp_path / "instance"
    instance.mkdir()
    database_url = TEST_DATABASE_URL or f"sqlite:///{instance / 'court.db'}"
    return Config(
        ENV="testing", TESTING=True, INSTANCE_PATH=str(instance), SECRET_KEY="test-secret-key",
        DATABASE_URL=database_url, REDIS_URL=redis_url, STORAGE_DIR=str(instance / "files"),
        PUBLIC_BASE_URL="http://court.test", MAX_UPLOAD_BYTES=2 * 1024 * 1024, JOB_RETRY_INTERVALS=[],
        DEPLOYMENT_CHECKS=False,  # the embedded test servers stand in for shared ones (ENV=production tests)
        WEBHOOK_ALLOW_LOOPBACK=True,  # the court-system receiver of the webhook tests is on loopback
    )


@pytest.fixture
def app(config: Config):
    from app import create_app

    if TEST_DATABASE_URL:
        gc.collect()  # the previous tests' garbage, while its database sessions are still alive
    application = create_app(config)
    if TEST_DATABASE_URL:
        _truncate_pg()
        gc.collect()  # connections whose sessions were just ended are finalized here, not mid-parse
    else:
        migrate.upgrade(config.DATABASE_URL)
    redis_conn.client().flushdb()
    redis_conn.cache().flushdb()
    with application.app_context():
        yield application
    db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def s(app):
    """The database session, as services use it."""
    return db.session()


@pytest.fixture
def run_jobs(app):
    """Run every queued job now, in this process, like a worker would; returns the jobs run."""
    from rq import SimpleWorker

    from court import queue

    def _run(queues: tuple[str, ...] = queue.QUEUES) -> int:
        db.session.remove()
        worker = SimpleWorker([queue.queue(n) for n in queues], connection=redis_conn.client())
        count = 0
        while worker.work(burst=True, max_jobs=100):
            count += 1
        db.session.remove()
        return count

    return _run


@pytest.fixture
def court_setup(app):
    """A court with one staff member of each role; returns (court, {role: (staff, api_key)})."""
    from court.models import StaffRole
    from court.services import staff as staff_service

    s = db.session()
    court = staff_service.create_court(s, "北京互联网法院", "京0491")
    members = {}
    for role in StaffRole:
        member, key = staff_service.create_staff(s, court, f"{role.value}1", f"{role.value} 一号", role)
        members[role.value] = (member, key)
    s.commit()
    return court, members


@pytest.fixture
def api(client, court_setup):
    """Call the staff API as a given role: ``api("post", "/cases", role="clerk", json=...)``."""
    _court, members = court_setup

    def call(method: str, path: str, *, role: str = "clerk", **kwargs):
        headers = kwargs.pop("headers", {})
        headers.setdefault("Authorization", f"Bearer {members[role][1]}")
        return getattr(client, method)(f"/api/v1{path}", headers=headers, **kwargs)

    call.members = members
    return call


@pytest.fixture
def production_config(config):
    """``config`` with ENV=production and real-looking provider settings every area accepts;
    a test then breaks one of them to see the app refuse to start."""
    config.ENV = "production"
    config.WECHAT_PROVIDER = "wechat"
    config.WECHAT_APPID = "wx0123456789abcdef"
    config.WECHAT_TOKEN = "prod-token-0123456789"
    config.WECHAT_AES_KEY = "ProdAesKey0123456789abcdefghijklmnopqrstuvw"
    config.WECHAT_SECRET = "prod-secret-0123456789abcdef"
    config.FACE_PROVIDER = "baidu"
    config.BAIDU_APP_ID, config.BAIDU_API_KEY, config.BAIDU_SECRET_KEY = "12345678", "prod-api-key", "prod-secret-key"
    config.SMS_PROVIDER = "aliyun"
    config.ALIYUN_ACCESS_KEY_ID, config.ALIYUN_ACCESS_KEY_SECRET = "prod-key-id", "prod-key-secret"
    config.MAIL_PROVIDER = "smtp"
    config.WECHAT_REQUIRE_ENCRYPTION = True
    config.AUDIT_KEY = "prod-audit-key-0123456789abcdef0123456789"
    config.WEBHOOK_ALLOW_LOOPBACK = False  # the tests' receiver on loopback is a development convenience
    return config
