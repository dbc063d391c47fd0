"""Operator commands: ``flask court stamp | stamp-batch | verify``."""
from __future__ import annotations

import getpass
import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path

import click
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from court import db
from court.errors import DomainError
from court.models import Court, Document, SealUse, Staff

CHUNK = 200  # register rows written per transaction by stamp-batch


def _court(s: Session, court_id: int | None) -> Court | None:
    if court_id is not None:
        court = s.get(Court, court_id)
        if court is None:
            raise click.ClickException(f"法院 {court_id} 不存在 / no such court")
        return court
    return s.scalar(select(Court).order_by(Court.id))


def _operator(s: Session, username: str | None) -> str:
    """Who is using the seal: a staff account named with --operator, else the OS user."""
    if username:
        staff = s.scalar(select(Staff).where(Staff.username == username, Staff.active.is_(True)))
        if staff is None:
            raise click.ClickException(f"工作人员 {username} 不存在 / no such staff member")
        return f"staff:{staff.id}"
    try:
        return f"cli:{getpass.getuser()}"[:64]
    except Exception:  # no user name in this environment
        return "cli:unknown"


def _unique_code(s: Session, taken: set[str]) -> str:
    """A code used by no document and no register row (the astronomically rare collision retried)."""
    from signing import codes

    for _ in range(5):
        code = codes.new_code()
        if code in taken:
            continue
        if s.scalar(select(Document.id).where(Document.verify_code == code)) is None and \
                s.scalar(select(SealUse.id).where(SealUse.code == code)) is None:
            taken.add(code)
            return code
    raise click.ClickException("无法分配防伪码 / could not allocate a code")


def _placement(page: int, x: float | None, y: float | None, size: float) -> object:
    from signing.pagegeometry import Placement

    return Placement(page, (x, y, size, size) if x is not None and y is not None else None)


@dataclass
class _Pending:
    """A stamped file waiting for its register row to commit before it is put in place."""

    tmp: Path
    dst: Path
    use: object


def _register_and_place(pending: list[_Pending], *, one_audit_row: bool = False) -> None:
    """Write the register rows (and audit rows) in one transaction, then move the files into place:
    a file is never handed out whose seal use is not on the register."""
    from signing import seals

    if not pending:
        return
    try:
        with db.transaction() as s:
            seals.record(s, [p.use for p in pending], one_audit_row=one_audit_row)  # type: ignore[misc]
    except Exception:
        for p in pending:
            p.tmp.unlink(missing_ok=True)
        raise
    for p in pending:
        p.tmp.replace(p.dst)
    pending.clear()


def _tmp_write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    return tmp


def _open_db() -> Session:
    try:
        s = db.session()
        s.execute(select(1))
        return s
    except Exception as exc:
        raise click.ClickException("印章使用须登记在用印登记簿中，但数据库不可用 / the seal register "
                                   f"needs the database: {type(exc).__name__}") from exc


def _seal_for(s: Session, court: Court | None, seal_id: int | None):  # type: ignore[no-untyped-def]
    from signing import seals

    if court is None:
        if seal_id is not None:
            raise click.ClickException("尚无法院，不能指定印章 / no court yet, no seal to choose")
        return None
    try:
        return seals.resolve(s, court, seal_id)
    except DomainError as exc:
        raise click.ClickException(exc.localized()) from exc


@click.command("stamp")
@click.argument("src", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("dst", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--page", default=-1, show_default=True, help="seal page (1-based, -1 = last)")
@click.option("--x", type=float, default=None, help="seal position in points from the left (default: bottom right)")
@click.option("--y", type=float, default=None, help="seal position in points from the bottom")
@click.option("--size", type=float, default=120.0, show_default=True, help="seal diameter in points")
@click.option("--court-id", type=int, default=None, help="whose seal (default: the first court)")
@click.option("--seal-id", type=int, default=None, help="which of the court's seals (default: the court seal)")
@click.option("--operator", default=None, help="staff username recorded in the seal register (default: OS user)")
def stamp_command(src: Path, dst: Path, page: int, x: float | None, y: float | None, size: float,
                  court_id: int | None, seal_id: int | None, operator: str | None) -> None:
    """Stamp IN.pdf with the court seal into OUT.pdf; the use goes on the seal register."""
    from signing import codes, seals, service
    from signing.settings import current

    settings = current()
    s = _open_db()
    court = _court(s, court_id)
    seal = _seal_for(s, court, seal_id)
    actor = _operator(s, operator)
    code = _unique_code(s, set())
    data = src.read_bytes()
    try:
        result = service.stamper(settings, court=court, seal=seal).stamp(
            data, code, placement=_placement(page, x, y, size), max_bytes=settings.max_bytes,  # type: ignore[arg-type]
            max_pages=settings.max_pages)
        cert = seals.fingerprint(seal, settings)
    except DomainError as exc:
        raise click.ClickException(exc.localized()) from exc
    s.commit()
    use = seals.Use("cli", actor=actor, code=code, source_sha256=hashlib.sha256(data).hexdigest(), pdf=result.pdf,
                    pages=result.pages, cert_fingerprint=cert, seal=seal, court_id=court.id if court else None,
                    seal_name=seal.name if seal else "法院电子印章", filename=src.name)
    _register_and_place([_Pending(_tmp_write(dst, result.pdf), dst, use)])
    click.echo(f"已签章 / stamped: {dst} ({result.pages} 页 / pages)")
    click.echo(f"防伪码 / anti-counterfeit code: {codes.format_code(result.code)}")
    click.echo(f"核验 / verify: {settings.public_base_url}/verify/{result.code}")


def _write(path: Path, data: bytes) -> None:
    _tmp_write(path, data).replace(path)


@click.command("stamp-batch")
@click.argument("src_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("dst_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--court-id", type=int, default=None)
@click.option("--seal-id", type=int, default=None, help="which of the court's seals (default: the court seal)")
@click.option("--operator", default=None, help="staff username recorded in the seal register (default: OS user)")
@click.option("--codes-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="write a CSV of file name → anti-counterfeit code")
def stamp_batch_command(src_dir: Path, dst_dir: Path, court_id: int | None, seal_id: int | None,
                        operator: str | None, codes_file: Path | None) -> None:
    """Stamp every PDF in DIR into OUTDIR (same names), with a progress bar; every file goes on
    the seal register (rows written in chunks, each file put in place once its row commits)."""
    from signing import codes, seals, service
    from signing.settings import current

    files = sorted(p for p in src_dir.iterdir() if p.is_file() and p.suffix.lower() == ".pdf")
    if not files:
        raise click.ClickException(f"{src_dir} 中没有 PDF 文件 / no PDF files")
    settings = current()
    s = _open_db()
    court = _court(s, court_id)
    seal = _seal_for(s, court, seal_id)
    actor = _operator(s, operator)
    try:
        stamper = service.stamper(settings, court=court, seal=seal)
        cert = seals.fingerprint(seal, settings)
    except DomainError as exc:
        raise click.ClickException(exc.localized()) from exc
    court_ref = court.id if court else None
    seal_name = seal.name if seal else "法院电子印章"
    s.commit()
    failures: list[tuple[str, str]] = []
    made: list[tuple[str, str]] = []
    pending: list[_Pending] = []
    taken: set[str] = set()
    started = time.perf_counter()
    with click.progressbar(files, label="签章 / stamping", show_pos=True, show_percent=True,
                           item_show_func=lambda p: p.name if p else "") as bar:
        for path in bar:
            try:
                code = codes.new_code()
                while code in taken:
                    code = codes.new_code()
                taken.add(code)
                data = path.read_bytes()
                result = stamper.stamp(data, code, max_bytes=settings.max_bytes, max_pages=settings.max_pages)
                pending.append(_Pending(_tmp_write(dst_dir / path.name, result.pdf), dst_dir / path.name, seals.Use(
                    "batch", actor=actor, code=code, source_sha256=hashlib.sha256(data).hexdigest(), pdf=result.pdf,
                    pages=result.pages, cert_fingerprint=cert, seal=seal, court_id=court_ref, seal_name=seal_name,
                    filename=path.name)))
                made.append((path.name, codes.format_code(code)))
            except DomainError as exc:
                failures.append((path.name, exc.localized()))
            except OSError as exc:
                failures.append((path.name, str(exc)))
            if len(pending) >= CHUNK:
                _register_and_place(pending, one_audit_row=True)
    _register_and_place(pending, one_audit_row=True)
    elapsed = time.perf_counter() - started
    if codes_file is not None:
        _write(codes_file, ("file,code\n" + "".join(f"{n},{c}\n" for n, c in made)).encode())
    click.echo(f"完成 / done: {len(made)} 份成功 / stamped, {len(failures)} 份失败 / failed, "
               f"{elapsed:.1f}s ({len(made) / elapsed if elapsed else 0:.0f}/s)")
    for name, why in failures:
        click.echo(f"  失败 / failed: {name}: {why}", err=True)
    if failures:
        raise SystemExit(1)


@click.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="print the report as JSON")
def verify_command(file: Path, as_json: bool) -> None:
    """Verify every signature of FILE.pdf; exit 0 only if all are valid and trusted."""
    from signing.verification import render, verify

    try:
        s = db.session()
        report = verify(file.read_bytes(), session=s)
    except Exception:
        report = verify(file.read_bytes())
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, default=str, indent=2))
    else:
        click.echo(render(report))
    raise SystemExit(0 if report.ok else 1)


def register(app: Flask) -> None:
    """Offer the commands to the ``flask court`` group, which cli.py owns and fills at start-up
    (signing/ sits below cli.py, so it hands its commands up rather than importing the group)."""
    app.extensions.setdefault("court_cli_commands", []).extend(
        [stamp_command, stamp_batch_command, verify_command])
