"""The WeChat API client against the app's own simulator, over HTTP."""
from __future__ import annotations

import pytest

from bot import oauth
from bot.simulator import state as sim
from court import redis_conn
from tests.support.wechat import WSGIAdapter
from wechat import client
from wechat import settings as bot_settings

OPENID = "oCLIENTaaaaaaaaaaaaaaaaaaaaa"


@pytest.fixture(autouse=True)
def user_wrote_recently(wechat):  # type: ignore[no-untyped-def]
    """Customer messages reach only a user who wrote within 48 hours (the simulator checks)."""
    sim.user_acted(OPENID, "text")


def _token_fetches() -> int:
    return len(redis_conn.client().keys("sim:token:*"))


def test_token_is_fetched_once_and_shared_by_processes(wechat):
    client.send_text(OPENID, "一")
    assert _token_fetches() == 1
    # another process: a fresh client object, same Redis
    other = client.CourtWeChatClient(bot_settings.current())
    other._http.mount("http://court.test", WSGIAdapter(wechat))
    other.message.send_text(OPENID, "二")
    assert _token_fetches() == 1
    assert [e["payload"]["text"]["content"] for e in sim.outbox(OPENID)] == ["一", "二"]


def test_rejected_token_is_refreshed_once_and_the_call_retried(wechat):
    client.send_text(OPENID, "一")
    redis_conn.client().delete(*redis_conn.client().keys("sim:token:*"))  # WeChat invalidated it
    client.send_text(OPENID, "二")
    assert _token_fetches() == 1
    assert len(sim.outbox(OPENID)) == 2


def test_wrong_secret_is_a_clear_error(wechat):
    settings = bot_settings.current()
    wrong = client.CourtWeChatClient(settings.changed(secret="nope", appid="wxother"))
    wrong._http.mount("http://court.test", WSGIAdapter(wechat))
    with pytest.raises(client.WeChatClientException) as exc:
        wrong.message.send_text(OPENID, "x")
    assert exc.value.errcode == 40013


def test_template_message_returns_msgid_and_is_recorded(wechat):
    data = {"first": {"value": "您有一份法院文书待签收"}, "keyword1": {"value": "（2026）京0491民初101号"}}
    res = client.get_client().message.send_template(OPENID, "dev-tpl-document_ready", data,
                                                    url="http://court.test/m/documents/1")
    entry = sim.outbox(OPENID)[-1]
    assert entry["kind"] == "template" and entry["payload"]["msgid"] == res["msgid"]
    assert entry["payload"]["template_id"] == "dev-tpl-document_ready"
    assert entry["payload"]["data"]["keyword1"] == {"value": "（2026）京0491民初101号"}


def test_bind_qrcode_image(wechat):
    ticket, url = client.bind_qrcode("ABCD-EFGH-JKMN", expire_seconds=3600)
    assert url.startswith("http://court.test/dev/wechat/cgi-bin/showqrcode?ticket=")
    res = wechat.test_client().get(url[len("http://court.test"):])
    assert res.status_code == 200 and res.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert redis_conn.client().get(f"sim:qr:{ticket}") == b"bind:ABCD-EFGH-JKMN"


def test_media_download(wechat):
    c = wechat.test_client()
    media_id = c.post("/dev/wechat/_sim/media", data={"media": (__import__("io").BytesIO(b"JPEGDATA"), "a.jpg")}).json["media_id"]
    assert client.download_media(media_id) == b"JPEGDATA"
    with pytest.raises(client.WeChatClientException):
        client.download_media("no-such-media")


def test_menu_command_installs_the_menu(wechat):
    result = wechat.test_cli_runner().invoke(args=["bot", "menu"])
    assert result.exit_code == 0, result.output
    assert "我的文书" in result.output
    assert client.get_menu()["menu"]["button"][1]["sub_button"][1]["key"] == "MY_DOCUMENTS"


def test_oauth_code_gives_the_openid_once(wechat):
    url = oauth.document_url(42)
    assert url.startswith("http://court.test/dev/wechat/connect/oauth2/authorize?appid=")
    assert "scope=snsapi_base" in url and url.endswith("#wechat_redirect")
    c = wechat.test_client()
    path = url[len("http://court.test"):].split("#")[0]
    page = c.get(path)
    assert page.status_code == 200 and "openid" in page.get_data(as_text=True)
    res = c.get(path + f"&sim_openid={OPENID}")
    assert res.status_code == 302
    target = res.headers["Location"]
    assert target.startswith("http://court.test/m/documents/42?code=") and "state=doc42" in target
    code = target.split("code=")[1].split("&")[0]
    assert oauth.openid_from_code(code) == OPENID
    with pytest.raises(oauth.OAuthError):
        oauth.openid_from_code(code)


def test_production_refuses_the_simulator(config):
    config.ENV = "production"
    assert any("simulator" in p for p in config.wechat.production_problems())
    config.WECHAT_PROVIDER = "wechat"
    assert any("WECHAT_TOKEN" in p for p in config.wechat.production_problems())
    config.WECHAT_TOKEN, config.WECHAT_AES_KEY = "real-token", "R" * 43
    assert any("WECHAT_REQUIRE_ENCRYPTION" in p for p in config.wechat.production_problems())  # plain mode
    config.WECHAT_REQUIRE_ENCRYPTION = True
    assert config.wechat.production_problems() == []
    assert config.wechat.api_base == "https://api.weixin.qq.com/"
