"""``flask court push`` (a staff push with a progress bar) and ``flask court notify-sweep``."""
from __future__ import annotations

import time

import click
from sqlalchemy import or_, select

from court import casenumbers, db
from court.errors import DomainError
from court.models import Case, Court, NoticePush, Staff
from notify import messages
from notify import push as pushes


def _case_ids(s, court: Court, refs: tuple[str, ...]) -> list[int]:  # type: ignore[no-untyped-def]
    ids: list[int] = []
    for ref in refs:
        cond = Case.number == casenumbers.normalize(ref)
        if ref.isdigit():
            cond = or_(cond, Case.id == int(ref))
        case_id = s.scalar(select(Case.id).where(Case.court_id == court.id, cond))
        if case_id is None:
            raise click.ClickException(f"案件不存在 / no such case: {ref}")
        ids.append(case_id)
    return ids


def _fields(pairs: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise click.BadParameter(f"expected NAME=VALUE, got {pair!r}", param_hint="--field")
        k, v = pair.split("=", 1)
        out[k.strip()] = v
    return out


@click.command("push")
@click.option("--case", "cases", multiple=True, required=True, help="Case number or id (repeatable).")
@click.option("--template", required=True,
              type=click.Choice(sorted(n for n, t in messages.TEMPLATES.items() if t.pushable)))
@click.option("--field", "field_pairs", multiple=True, help="Template field NAME=VALUE (repeatable).")
@click.option("--all", "to_all", is_flag=True, help="Every party of the cases.")
@click.option("--role", "roles", multiple=True, help="Parties with this role (repeatable).")
@click.option("--party", "party_ids", multiple=True, type=int, help="This party id (repeatable).")
@click.option("--court", "court_code", default=None, help="Court code (default: the first court).")
@click.option("--as", "username", default=None, help="Staff username recorded as the sender.")
@click.option("--inline", is_flag=True, help="Do the work in this process instead of waiting for a worker.")
@click.option("--no-wait", is_flag=True, help="Return after queueing; print the push id.")
def push_command(cases: tuple[str, ...], template: str, field_pairs: tuple[str, ...], to_all: bool,
                 roles: tuple[str, ...], party_ids: tuple[int, ...], court_code: str | None, username: str | None,
                 inline: bool, no_wait: bool) -> None:
    """Push a notice (开庭通知 / 传票 / 通知) to the parties of one or more cases."""
    recipients: dict[str, object] = {"all": True} if to_all else {"roles": list(roles)} if roles else \
        {"party_ids": list(party_ids)} if party_ids else {}
    try:
        with db.transaction() as s:
            court = s.scalar(select(Court).where(Court.code == court_code) if court_code
                             else select(Court).order_by(Court.id))
            if court is None:
                raise click.ClickException("没有法院，请先运行 flask court init / no court")
            actor = "cli"
            if username:
                staff = s.scalar(select(Staff).where(Staff.username == username))
                if staff is None:
                    raise click.ClickException(f"no staff member {username!r}")
                actor = f"staff:{staff.id}"
            p = pushes.start_push(s, court_id=court.id, case_ids=_case_ids(s, court, cases), recipients=recipients,
                                  template=template, fields=_fields(field_pairs), actor=actor)
            push_id, total = p.id, p.total
    except DomainError as exc:
        raise click.ClickException(exc.localized()) from None
    click.echo(f"推送已创建 / push {push_id}: {total} 位当事人 / parties")
    if no_wait:
        return
    if inline:
        _run_inline(push_id)
    _watch(push_id, total)


def _run_inline(push_id: int) -> None:
    from rq import SimpleWorker

    from court import queue, redis_conn

    worker = SimpleWorker([queue.queue("notify")], connection=redis_conn.client())
    worker.work(burst=True, logging_level="WARNING")


def _watch(push_id: int, total: int) -> None:
    shown = 0
    with click.progressbar(length=total, label="发送中 / sending", show_pos=True, show_percent=True) as bar:
        while True:
            db.session.remove()
            with db.transaction() as s:
                st = pushes.status(s, s.get(NoticePush, push_id))
            bar.update(st["processed"] - shown)
            shown = st["processed"]
            if st["status"] in ("done", "failed"):
                break
            time.sleep(0.5)
    c = st["counts"]
    click.echo(f"完成 / done: 已送达 delivered {c['delivered'] + c['opened']}, 已发送 sent {c['sent']}, "
               f"失败 failed {c['failed']}")


@click.command("notify-sweep")
def sweep_command() -> None:
    """Run the outbox sweep once (for cron, or after an outage)."""
    from notify import sweep

    click.echo(sweep.run())


COMMANDS = [push_command, sweep_command]
