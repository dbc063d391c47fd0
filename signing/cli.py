"""Operator commands: ``flask court stamp | stamp-batch | verify``."""
from __future__ import annotations

import json
import time
from pathlib import Path

import click
from flask import Flask
from sqlalchemy import select

from court import db
from court.errors import DomainError
from court.models import Court


def _court_name(court_id: int | None) -> str | None:
    try:
        with db.transaction() as s:
            q = select(Court).order_by(Court.id)
            if court_id is not None:
                q = select(Court).where(Court.id == court_id)
            court = s.scalar(q)
            return court.name if court is not None else None
    except Exception:  # no database yet: stamp with the generic seal
        return None


def _placement(page: int, x: float | None, y: float | None, size: float) -> object:
    from signing.engine import Placement

    return Placement(page, (x, y, size, size) if x is not None and y is not None else None)


@click.command("stamp")
@click.argument("src", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("dst", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--page", default=-1, show_default=True, help="seal page (1-based, -1 = last)")
@click.option("--x", type=float, default=None, help="seal position in points from the left (default: bottom right)")
@click.option("--y", type=float, default=None, help="seal position in points from the bottom")
@click.option("--size", type=float, default=120.0, show_default=True, help="seal diameter in points")
@click.option("--court-id", type=int, default=None, help="whose seal image (default: the first court)")
def stamp_command(src: Path, dst: Path, page: int, x: float | None, y: float | None, size: float,
                  court_id: int | None) -> None:
    """Stamp IN.pdf with the configured court seal into OUT.pdf."""
    from signing import codes, service

    try:
        result = service.stamp_bytes(src.read_bytes(), court_name=_court_name(court_id),
                                     placement=_placement(page, x, y, size))  # type: ignore[arg-type]
    except DomainError as exc:
        raise click.ClickException(exc.localized()) from exc
    _write(dst, result.pdf)
    from signing.settings import current

    click.echo(f"已签章 / stamped: {dst} ({result.pages} 页 / pages)")
    click.echo(f"防伪码 / anti-counterfeit code: {codes.format_code(result.code)}")
    click.echo(f"核验 / verify: {current().public_base_url}/verify/{result.code}")


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


@click.command("stamp-batch")
@click.argument("src_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("dst_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--court-id", type=int, default=None)
@click.option("--codes-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="write a CSV of file name → anti-counterfeit code")
def stamp_batch_command(src_dir: Path, dst_dir: Path, court_id: int | None, codes_file: Path | None) -> None:
    """Stamp every PDF in DIR into OUTDIR (same names), with a progress bar."""
    from signing import codes, service

    files = sorted(p for p in src_dir.iterdir() if p.is_file() and p.suffix.lower() == ".pdf")
    if not files:
        raise click.ClickException(f"{src_dir} 中没有 PDF 文件 / no PDF files")
    stamper = service.stamper(court_name=_court_name(court_id))
    from signing.settings import current

    settings = current()
    failures: list[tuple[str, str]] = []
    made: list[tuple[str, str]] = []
    started = time.perf_counter()
    with click.progressbar(files, label="签章 / stamping", show_pos=True, show_percent=True,
                           item_show_func=lambda p: p.name if p else "") as bar:
        for path in bar:
            try:
                code = codes.new_code()
                result = stamper.stamp(path.read_bytes(), code, max_bytes=settings.max_bytes,
                                       max_pages=settings.max_pages)
                _write(dst_dir / path.name, result.pdf)
                made.append((path.name, codes.format_code(code)))
            except DomainError as exc:
                failures.append((path.name, exc.localized()))
            except OSError as exc:
                failures.append((path.name, str(exc)))
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
