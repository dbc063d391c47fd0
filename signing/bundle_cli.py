"""``flask court export CASE_NUMBER OUT.zip`` and ``flask court verify-bundle FILE.zip``."""
from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from sqlalchemy import select

from court import casenumbers, db
from court.models import Case


@click.command("export")
@click.argument("case_number")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--document-id", type=int, default=None, help="export one document of the case only")
def export_command(case_number: str, out: Path, document_id: int | None) -> None:
    """Export a case's electronic file and evidence bundle (ZIP, manifest signed by the court seal)."""
    from signing import bundle

    number = casenumbers.normalize(case_number)
    with db.transaction() as s:
        case = s.scalar(select(Case).where(Case.number == number))
        if case is None:
            raise click.ClickException(f"案件不存在 / no such case: {number}")
        with click.progressbar(length=1, label="导出 / exporting") as bar:
            def progress(done: int, total: int) -> None:
                bar.length = max(total, 1)
                bar.update(done - bar.pos)

            summary = bundle.export_to_path(s, case, out, document_id=document_id, exported_by="cli",
                                            progress=progress)
    click.echo(f"已导出 / exported: {out} ({summary['documents']} 份文书 / documents, "
               f"{summary['versions']} 个版本 / versions, {summary['files']} 个文件 / files)")


@click.command("verify-bundle")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def verify_bundle_command(file: Path) -> None:
    """Check an exported bundle offline; exit 0 only if everything in it holds."""
    from signing import bundle_verify

    report = bundle_verify.verify_bundle(file)
    click.echo(report.render())
    raise SystemExit(0 if report.ok else 1)


def register(app: Flask) -> None:
    app.extensions.setdefault("court_cli_commands", []).extend([export_command, verify_bundle_command])
