"""Operator commands: ``flask court init | demo | worker | run``.

Other folders add their own commands to the ``court`` group (or their own group) through
:func:`register`, so each command lives beside the code it drives.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from config import Config
from court import crypto, db, migrate, queue, redis_conn, runtime
from court import settings as court_settings
from court.models import Court, PartyRole, Staff, StaffRole
from court.services import cases
from court.services import staff as staff_service

court_cli = AppGroup("court", help="法院电子签章平台 / court platform commands")

DEMO_COURT = ("北京互联网法院（演示）", "京0491")


@court_cli.command("init")
@click.option("--court-name", default=DEMO_COURT[0], show_default=True)
@click.option("--court-code", default=DEMO_COURT[1], show_default=True)
def init_command(court_name: str, court_code: str) -> None:
    """Migrate the database; create the court, its admin (API key printed once) and dev keys.

    Safe on several hosts at once: everything runs under the release lock, so one host creates
    the court and the admin and the others find them.
    """
    with migrate.release_lock(court_settings.current().database_url):
        migrate.upgrade(court_settings.current().database_url)
        click.echo("数据库已迁移到最新版本 / database migrated")
        for hook in current_app.extensions.get("court_init_hooks", []):
            hook()
        _seed(court_name, court_code)


@court_cli.command("migrate")
def migrate_command() -> None:
    """Run the database migrations under the release lock (the Procfile's release step)."""
    migrate.upgrade_locked(court_settings.current().database_url)
    click.echo("数据库已迁移到最新版本 / database migrated")


def _seed(court_name: str, court_code: str) -> None:
    with db.transaction() as s:
        court = s.scalar(select(Court).where(Court.code == court_code))
        if court is None:
            court = staff_service.create_court(s, court_name, court_code)
            click.echo(f"已创建法院 / court created: {court.name} ({court.code})")
        admin = s.scalar(select(Staff).where(Staff.username == "admin"))
        if admin is None:
            admin, key = staff_service.create_staff(s, court, "admin", "系统管理员", StaffRole.ADMIN)
            password = crypto.random_token(12)
            staff_service.set_password(s, admin, password)
            click.echo("管理员 API 密钥（只显示一次）/ admin API key (shown once):")
            click.echo(f"  {key}")
            click.echo(f"管理员控制台登录 / console login: admin / {password}")
        else:
            click.echo("管理员已存在；如需新密钥请运行 flask court new-key admin / admin exists")


@court_cli.command("new-key")
@click.argument("username")
def new_key_command(username: str) -> None:
    """Issue a new API key for a staff member (the old one stops working)."""
    with db.transaction() as s:
        member = s.scalar(select(Staff).where(Staff.username == username))
        if member is None:
            raise click.ClickException(f"no staff member {username!r}")
        click.echo(staff_service.issue_api_key(s, member, actor="cli"))


@court_cli.command("set-password")
@click.argument("username")
@click.password_option()
def set_password_command(username: str, password: str) -> None:
    """Set a staff member's console password."""
    with db.transaction() as s:
        member = s.scalar(select(Staff).where(Staff.username == username))
        if member is None:
            raise click.ClickException(f"no staff member {username!r}")
        staff_service.set_password(s, member, password, actor="cli")
    click.echo("密码已设置 / password set")


@court_cli.command("gc-files")
@click.option("--dry-run", is_flag=True, help="Only list what would be removed.")
@click.option("--older-than-hours", default=6.0, show_default=True)
def gc_files_command(dry_run: bool, older_than_hours: float) -> None:
    """Remove stored blobs no document version refers to (left by a killed worker)."""
    from court.services import files

    with db.transaction() as s:
        orphans = files.collect_garbage(s, older_than=older_than_hours * 3600, dry_run=dry_run)
    verb = "would remove" if dry_run else "removed"
    click.echo(f"{len(orphans)} 个无引用文件 / unreferenced blobs {verb}")


@court_cli.command("purge-expired")
@click.option("--dry-run", is_flag=True, help="Only count what would be deleted or anonymised.")
def purge_expired_command(dry_run: bool) -> None:
    """Delete or anonymise personal data past its retention period (README: Privacy and retention)."""
    from court.services import retention as purge

    counts = purge.purge(dry_run=dry_run)
    verb = "将处理 / would purge" if dry_run else "已处理 / purged"
    for key, n in counts.items():
        click.echo(f"{key:28s} {n:8d}  {verb}")


@court_cli.command("rotate-data-key")
def rotate_data_key_command() -> None:
    """Re-encrypt personal data under the current DATA_KEY (old keys in DATA_KEYS_PREVIOUS)."""
    from court.services import datakeys

    s = db.session()
    with click.progressbar(length=datakeys.count(s), label=f"re-encrypting under {crypto.current_key_id()}") as bar:
        changed = datakeys.rotate(s, bar.update)
    click.echo(f"{changed} 个加密字段已换用新密钥 / values re-encrypted under key {crypto.current_key_id()}")


@court_cli.command("demo")
def demo_command() -> None:
    """Create a demo case with a plaintiff and a defendant; print their association codes."""
    with db.transaction() as s:
        court = s.scalar(select(Court).order_by(Court.id))
        if court is None:
            raise click.ClickException("run `flask court init` first")
        n = 1
        while True:
            number = f"（2026）{court.code}民初{100 + n}号"
            if not s.scalar(select(func.count()).select_from(cases.Case).where(cases.Case.number == number)):
                break
            n += 1
        case = cases.create_case(s, court, number, "civil", "网络购物合同纠纷（演示）", actor="cli")
        parties = cases.add_parties(s, case, [
            cases.PartyInput(PartyRole.PLAINTIFF, "张三", "110101199003074514", "13800000001"),
            cases.PartyInput(PartyRole.DEFENDANT, "李四", "11010519491231002X", "13800000002"),
        ], actor="cli")
        cases.add_event(s, case, "hearing", "开庭审理", db.utcnow() + timedelta(days=14), "第三法庭", actor="cli")
        click.echo(f"演示案件 / demo case: {case.number} (id {case.id})")
        for party, code in parties:
            click.echo(f"  {party.role.value:10s} {party.name}  关联码 / association code: {code}")


@court_cli.command("worker")
@click.option("--burst", is_flag=True, help="Run until the queues are empty, then exit.")
@click.option("--queues", default=",".join(queue.QUEUES), show_default=True)
def worker_command(burst: bool, queues: str) -> None:
    """Run an RQ worker on the project's queues, with the scheduler on."""
    from rq import SimpleWorker

    from court import periodic

    names = [q for q in queues.split(",") if q]
    hooks = current_app.extensions.get("court_worker_hooks", [])  # the periodic sweeps' chains
    for hook in hooks:
        hook()
    worker = SimpleWorker([queue.queue(n) for n in names], connection=redis_conn.client())
    if burst:
        worker.work(burst=True, with_scheduler=True, logging_level="INFO")
        return
    # the scheduler runs in this process (it dies with it); the sweeps' chains are re-checked
    # every few seconds so they come back soon after a Redis flush
    seen: dict[str, bool] = {}
    stop = periodic.keep_alive([*hooks, lambda: _still_registered(worker, seen)], every=10)
    periodic.scheduler_thread(names, stop)
    try:
        worker.work(burst=False, with_scheduler=False, logging_level="INFO")
    finally:
        stop.set()


def _still_registered(worker, seen: dict[str, bool]) -> None:  # type: ignore[no-untyped-def]
    """After a Redis flush a worker keeps working but is no longer listed (``/healthz`` and
    ``/metrics`` would show no workers): register it again, once it had registered itself."""
    from rq.worker_registration import REDIS_WORKER_KEYS

    if worker.connection.sismember(REDIS_WORKER_KEYS, worker.key):
        seen["registered"] = True
    elif seen.get("registered"):
        worker.connection.delete(worker.key)  # only a heartbeat field survived the flush
        worker.register_birth()


@court_cli.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--workers", default=1, show_default=True, help="RQ worker processes")
def run_command(host: str, port: int, workers: int) -> None:
    """Start web (gunicorn) + RQ workers on the configured or embedded Redis; Ctrl-C stops all."""
    base = f"http://{host}:{port}"
    env = dict(os.environ, REDIS_URL=runtime.current().redis_url)
    # links in messages, QR codes and the WeChat simulator's API base follow the address served
    env.setdefault("PUBLIC_BASE_URL", base)
    procs = [subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--no-control-socket", "-w", "2", "--threads", "4", "-b", f"{host}:{port}", "app:create_app()"],
        env=env)]
    for _ in range(workers):
        procs.append(subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "court", "worker"], env=env))
    public = env["PUBLIC_BASE_URL"].rstrip("/")
    click.echo("")
    click.echo("法院电子签章平台已启动 / the court platform is running:")
    click.echo(f"  健康检查 / health:            {public}/healthz")
    click.echo(f"  工作人员控制台 / staff console: {public}/console/")
    click.echo(f"  工作人员 API 文档 / staff API:  {public}/api/v1/docs")
    click.echo(f"  文书核验 / verify a document:   {public}/verify")
    if _config().notify.SMS_PROVIDER == "development":
        click.echo(f"  开发短信收件箱 / dev SMS inbox:  {public}/dev/phone")
    if _config().wechat.provider == "simulator":
        click.echo(f"  模拟微信用户 / play a WeChat user: flask --app app bot chat --url {public}")
    click.echo("  按 Ctrl-C 停止 / press Ctrl-C to stop")
    stop = False

    def _stop(*_args: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        while not stop and all(p.poll() is None for p in procs):
            time.sleep(0.5)
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        if not court_settings.current().redis_url:
            redis_conn.stop_embedded(court_settings.current().instance_path)


def _config() -> Config:
    config: Config = current_app.extensions["court_config"]
    return config


def register(app: Flask) -> None:
    for command in app.extensions.get("court_cli_commands", []):
        court_cli.add_command(command)  # commands other folders contribute (notify: push, notify-sweep)
    app.cli.add_command(court_cli)
