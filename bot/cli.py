"""``flask bot menu | chat | qrcode``: operator commands for the official account."""
from __future__ import annotations

import getpass
import hashlib

import click
from flask.cli import AppGroup

from wechat import settings as bot_settings

bot_cli = AppGroup("bot", help="微信服务号 / WeChat official account commands")


@bot_cli.command("menu")
def menu_command() -> None:
    """Install the custom menu (按钮) on the account through the WeChat API."""
    from bot.menu import MENU, buttons
    from wechat import client

    try:
        client.create_menu(MENU)
    except client.WeChatClientException as exc:
        raise click.ClickException(f"WeChat refused the menu: {exc}") from None
    click.echo("菜单已创建 / menu installed:")
    for label, key in buttons(MENU):
        click.echo(f"  {label}  ({key})")


def default_openid() -> str:
    """A stable openid for this terminal's user, shaped like WeChat's (28 characters)."""
    settings = bot_settings.current()
    return "oSIM" + hashlib.sha256(f"{getpass.getuser()}:{settings.appid}".encode()).hexdigest()[:24]


@bot_cli.command("chat")
@click.option("--openid", help="Play this user (default: one stable openid per terminal user).")
@click.option("--plain", is_flag=True, help="Plain mode instead of safe mode (AES).")
@click.option("--url", "base_url", help="Server base URL (default: PUBLIC_BASE_URL).")
def chat_command(openid: str | None, plain: bool, base_url: str | None) -> None:
    """Chat with the running server as a WeChat user (needs `flask court run`)."""
    from bot.simulator.chat import Chat
    from bot.simulator.user import SimulatedUser

    settings = bot_settings.current()
    if settings.provider != "simulator":
        click.echo("注意：WECHAT_PROVIDER 不是 simulator，推送的消息不会显示在这里。", err=True)
    user = SimulatedUser(settings, openid or default_openid(), base_url or settings.public_base_url,
                         safe=not plain)
    Chat(user, click.echo).loop()


@bot_cli.command("qrcode")
@click.argument("code")
@click.option("--days", default=30, show_default=True, help="Validity (WeChat allows at most 30 days).")
def qrcode_command(code: str, days: int) -> None:
    """Create a QR code that joins the case of association code CODE when scanned."""
    from court.services.cases import format_code, normalize_code
    from wechat import client

    _ticket, url = client.bind_qrcode(format_code(normalize_code(code)), expire_seconds=days * 86400)
    click.echo(url)
