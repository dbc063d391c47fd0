"""``flask identity face-check IMAGE --name NAME --id-number ID``: one check with the configured
provider, so an operator can test their Baidu credentials. Nothing is recorded; the ID number
is only ever printed masked. The Face Recognition Measures (2025) apply here too: the command runs
only with ``--consented``, the operator's statement that the person pictured agreed separately
(use your own photo, or ``--against`` with two test photos)."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from court import crypto, idnumbers
from identity import settings
from identity.face import checks, registry

identity_cli = AppGroup("identity", help="实名认证与人脸识别 / identity and face verification")


@identity_cli.command("face-check")
@click.argument("image", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name", required=True, help="身份证上的姓名 / name as on the ID card")
@click.option("--id-number", "id_number", required=True, help="18位身份证号码 / 18-digit ID number")
@click.option("--against", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Compare IMAGE with this photo instead (face/v3/match): tests credentials without a real identity")
@click.option("--consented", is_flag=True,
              help="照片本人已单独同意处理其人脸信息 / the person pictured separately agreed to this face check")
def face_check_command(image: Path, name: str, id_number: str, against: Path | None, consented: bool) -> None:
    """Run one face check and print the outcome; exit status 1 when it does not pass."""
    if not consented:
        raise click.UsageError("人脸识别须取得照片本人的单独同意；确认已取得后加 --consented / "
                               "a face check needs the separate consent of the person pictured; "
                               "add --consented once you have it")
    reason = idnumbers.problem(id_number)
    if reason and against is None:
        raise click.BadParameter(reason, param_hint="--id-number")
    cfg = settings.current()
    provider = registry.get(settings.current())
    masked = crypto.mask_id_number(idnumbers.normalize(id_number))
    click.echo(f"提供方 / provider: {provider.name}{' (开发环境 / development)' if provider.development else ''}")
    click.echo(f"姓名 / name: {name}   身份证 / ID: {masked}")
    data = image.read_bytes()
    with click.progressbar(length=1, label="正在核验 / checking", file=sys.stderr) as bar:
        if against is not None:
            result = provider.compare(data, against.read_bytes())
        else:
            result = checks.check_now(None, data, name.strip(), idnumbers.normalize(id_number))
        bar.update(1)
    click.echo(f"结果 / result: {'通过 / PASS' if result.ok else '未通过 / FAIL'} ({result.code})")
    if result.score is not None:
        click.echo(f"分数 / score: {result.score:g} (通过线 / pass at {cfg.face_pass_score:g})")
    if result.log_id:
        click.echo(f"日志号 / log id: {result.log_id}")
    if result.provider_code:
        click.echo(f"提供方错误码 / provider code: {result.provider_code}")
    click.echo(f"提示 / message: {result.message_zh}")
    click.echo(f"           {result.message_en}")
    if result.detail:
        click.echo(f"详情 / detail: {result.detail}")
    if not result.ok:
        sys.exit(1)
