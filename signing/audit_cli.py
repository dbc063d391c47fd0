"""``flask court audit verify | rekey | anchor``: the operator's view of the audit chain.

``verify`` checks every row and every timestamp anchor with a progress bar and ends with one
verdict naming the first broken row (exit status 1 when broken); a clean run moves the
verified checkpoint, so page views afterwards check only newer rows.
"""
from __future__ import annotations

import click

from court import audit, audit_chain, db
from court.services import service_date

audit_cli = click.Group("audit", help="审计日志哈希链 / the audit log's chain: verify, rekey, anchor")


def _describe(problem: dict[str, object]) -> str:
    return f"#{problem['id']} {problem['problem']}: {problem['detail']}"


@audit_cli.command("verify")
@click.option("--all-problems", is_flag=True, help="List every problem, not only the first ten.")
def verify_command(all_problems: bool) -> None:
    """Check the whole chain and every anchor; exit 1 if anything was changed or removed."""
    with db.transaction() as s:
        total = audit_chain.count(s)
        with click.progressbar(length=total, label="校验审计日志 / verifying audit log",
                               show_pos=True) as bar:
            report = audit_chain.verify(s, progress=bar.update)
        if report.ok:
            audit_chain.save_checkpoint(s, report)
        dates = service_date.unattested_records(s)
    for rec_id, why in dates:  # a date of service edited in the database, outside the chain
        click.echo(f"送达日期与审计记录不符 / date of service not borne out by the audit log: "
                   f"service record {rec_id} ({why})", err=True)
    anchored = (f"；已由时间戳锚定至第 {report.anchored_id} 条（{report.anchored_at:%Y-%m-%d %H:%M} UTC）/ anchored up to "
                f"row {report.anchored_id}" if report.anchored_id else "；尚无时间戳锚点 / no timestamp anchor yet")
    if report.ok:
        click.echo(f"审计日志完整 / audit chain intact: {report.checked} 条记录 rows{anchored}")
        if dates:
            raise SystemExit(1)
        return
    first = report.first_broken or {}
    click.echo(f"审计日志已被篡改 / audit chain BROKEN: 第一处问题在第 {first.get('id')} 条 / first broken row "
               f"{first.get('id')} ({first.get('problem')}: {first.get('detail')})", err=True)
    shown = report.problems if all_problems else report.problems[:10]
    for p in shown:
        click.echo("  " + _describe(p), err=True)
    if len(shown) < len(report.problems):
        click.echo(f"  … {len(report.problems) - len(shown)} more (--all-problems)", err=True)
    raise SystemExit(1)


@audit_cli.command("rekey")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def rekey_command(yes: bool) -> None:
    """Once, after upgrading: re-seal rows written before keyed sealing with AUDIT_KEY.

    Refuses when the chain does not verify under its old seals, or when timestamp anchors exist
    (rotate keys by moving the old key to AUDIT_RETIRED_KEYS instead)."""
    if not yes:
        click.confirm("用当前 AUDIT_KEY 重新封存整条审计链？/ re-seal the whole chain with the current AUDIT_KEY?",
                      abort=True)
    try:
        with db.transaction() as s:
            total = audit_chain.count(s)
            with click.progressbar(length=total, label="重新封存 / re-sealing") as bar:
                done = audit_chain.rekey(s, progress=bar.update)
    except audit_chain.RekeyRefused as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"已重新封存 {done} 条记录 / {done} rows re-sealed with key {audit.current_key_id()}")


@audit_cli.command("anchor")
def anchor_command() -> None:
    """Timestamp the chain's head now (RFC 3161; needs TSA_URL)."""
    from signing.audit_anchor import ChainBroken, anchor_head

    try:
        anchor = anchor_head()
    except ChainBroken as exc:
        raise click.ClickException(str(exc)) from None
    if anchor is None:
        click.echo("未锚定：未配置 TSA_URL，或链头已锚定 / nothing anchored: no TSA_URL, or the head is already anchored")
        return
    click.echo(f"已锚定第 {anchor.last_id} 条 / anchored row {anchor.last_id} at {anchor.gen_time:%Y-%m-%d %H:%M:%S} UTC "
               f"({anchor.tsa})")
