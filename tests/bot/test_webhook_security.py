"""The callback URL refuses what WeChat would never send, before acting on any of it."""
from __future__ import annotations

import time

import pytest
import xmltodict

from bot.security import sign
from bot.simulator.user import read_reply, sign_callback, text_xml
from wechat import settings as bot_settings

OPENID = "oSECaaaaaaaaaaaaaaaaaaaaaaaa"

# WeChat's own sample for message encryption (消息加解密, the WXBizMsgCrypt Sample.py)
SAMPLE = {
    "token": "spamtest",
    "aes_key": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
    "appid": "wx2c2769f8efd9abc2",
    "timestamp": "1409735669",
    "nonce": "1320562132",
    "msg_signature": "5d197aaffba7e9b25a30732f161a50dee96bd5fa",
    "body": (
        "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]>"
        "</FromUserName><CreateTime>1409735668</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[abcdteT]]>"
        "</Content><MsgId>6054768590064713728</MsgId><Encrypt><![CDATA[hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655"
        "HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZ"
        "kyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZ"
        "bGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSg"
        "M9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=]]></Encrypt></xml>"
    ),
}


def _post(client, xml: str, *, safe: bool = False, **param_overrides: str):  # type: ignore[no-untyped-def]
    signed = sign_callback(bot_settings.current(), xml, safe=safe)
    params = {**signed.params, **param_overrides}
    return client.post("/wechat", query_string=params, data=signed.body, content_type="text/xml")


def _signed_params(ts: str | None = None) -> dict[str, str]:
    ts = ts or str(int(time.time()))
    return {"signature": sign(bot_settings.current().token, ts, "n0nce"), "timestamp": ts, "nonce": "n0nce"}


def test_url_verification_echoes_only_when_signed(client):
    params = {**_signed_params(), "echostr": "5837412945198"}
    assert client.get("/wechat", query_string=params).get_data(as_text=True) == "5837412945198"
    params["signature"] = "0" * 40
    assert client.get("/wechat", query_string=params).status_code == 403
    assert client.get("/wechat", query_string={"echostr": "x"}).status_code == 403


def test_forged_signature_is_refused_before_parsing(client):
    res = client.post("/wechat", query_string={**_signed_params(), "signature": "f" * 40}, data=b"<not xml",
                      content_type="text/xml")
    assert res.status_code == 403
    res = client.post("/wechat", data=text_xml(OPENID, "帮助"), content_type="text/xml")
    assert res.status_code == 403


def test_stale_timestamp_is_refused(client):
    old = str(int(time.time()) - 3600)
    res = client.post("/wechat", query_string=_signed_params(old), data=text_xml(OPENID, "帮助"),
                      content_type="text/xml")
    assert res.status_code == 403


@pytest.mark.parametrize("body", [
    b"<xml><ToUserName>",  # truncated
    b"not xml at all",
    b"<xml><FromUserName><![CDATA[oX]]></FromUserName></xml>",  # no MsgType
    b"<other>1</other>",
    b"<xml></xml>",
    b"<xml><ToUserName>a</ToUserName><FromUserName>b c</FromUserName><CreateTime>x</CreateTime>"
    b"<MsgType>text</MsgType><Content>hi</Content><MsgId>1</MsgId></xml>",  # bad openid and time
    b"",
])
def test_bad_xml_gets_400(client, body):
    res = client.post("/wechat", query_string=_signed_params(), data=body, content_type="text/xml")
    assert res.status_code == 400


XXE = (b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
       b"<xml><ToUserName>a</ToUserName><FromUserName>oX</FromUserName><CreateTime>1</CreateTime>"
       b"<MsgType>text</MsgType><Content>&xxe;</Content><MsgId>1</MsgId></xml>")
LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          + b"".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode()
                     for i in range(1, 10))
          + b"]><xml><Content>&lol9;</Content></xml>")


@pytest.mark.parametrize("body", [XXE, LAUGHS])
def test_entities_are_refused_plain_and_encrypted(client, body):
    res = client.post("/wechat", query_string=_signed_params(), data=body, content_type="text/xml")
    assert res.status_code == 400
    res = _post(client, body.decode(), safe=True)
    assert res.status_code == 400


def test_huge_body_is_refused(client):
    big = text_xml(OPENID, "字" * 40000)
    res = _post(client, big)
    assert res.status_code == 413


def test_safe_mode_checks_the_body_signature_and_app_id(client, app):
    res = _post(client, text_xml(OPENID, "帮助"), safe=True, msg_signature="0" * 40)
    assert res.status_code == 403
    # encrypted for another official account: signature fine, app id wrong
    from wechatpy.crypto import WeChatCrypto

    cfg = bot_settings.current()
    other = WeChatCrypto(cfg.token, cfg.aes_key, "wxsomeoneelse0000")
    ts, nonce = str(int(time.time())), "777"
    envelope = xmltodict.parse(other.encrypt_message(text_xml(OPENID, "帮助"), nonce, ts))["xml"]
    body = f"<xml><ToUserName><![CDATA[gh_x]]></ToUserName><Encrypt><![CDATA[{envelope['Encrypt']}]]></Encrypt></xml>"
    params = {"signature": sign(cfg.token, ts, nonce), "timestamp": ts, "nonce": nonce, "encrypt_type": "aes",
              "msg_signature": envelope["MsgSignature"]}
    assert client.post("/wechat", query_string=params, data=body, content_type="text/xml").status_code == 403
    # garbage ciphertext, correctly signed
    junk = "AAAA" * 10
    params["msg_signature"] = sign(cfg.token, ts, nonce, junk)
    body = f"<xml><Encrypt><![CDATA[{junk}]]></Encrypt></xml>"
    assert client.post("/wechat", query_string=params, data=body, content_type="text/xml").status_code == 400


def test_plain_mode_can_be_switched_off(config, request):
    config.WECHAT_REQUIRE_ENCRYPTION = True
    c = request.getfixturevalue("client")
    assert _post(c, text_xml(OPENID, "帮助")).status_code == 403
    assert _post(c, text_xml(OPENID, "帮助"), safe=True).status_code == 200


def test_wechat_published_sample_decrypts_with_installed_crypto():
    from wechatpy.crypto import WeChatCrypto

    crypto = WeChatCrypto(SAMPLE["token"], SAMPLE["aes_key"], SAMPLE["appid"])
    xml = crypto.decrypt_message(SAMPLE["body"], SAMPLE["msg_signature"], SAMPLE["timestamp"], SAMPLE["nonce"])
    msg = xmltodict.parse(xml)["xml"]
    assert msg["Content"] == "abcdteT" and msg["FromUserName"] == "oyORnuP8q7ou2gfYjqLzSIWZf0rs"


def test_wechat_published_sample_through_the_endpoint(config, request):
    """The sample message from WeChat's docs, posted as WeChat would, gets an encrypted answer
    that WeChat's own algorithm decrypts."""
    config.WECHAT_TOKEN, config.WECHAT_AES_KEY, config.WECHAT_APPID = SAMPLE["token"], SAMPLE["aes_key"], SAMPLE["appid"]
    config.WECHAT_TIMESTAMP_SKEW = 0  # the sample is from 2014
    c = request.getfixturevalue("client")
    params = {"signature": sign(SAMPLE["token"], SAMPLE["timestamp"], SAMPLE["nonce"]), "timestamp": SAMPLE["timestamp"],
              "nonce": SAMPLE["nonce"], "encrypt_type": "aes", "msg_signature": SAMPLE["msg_signature"],
              "openid": "oyORnuP8q7ou2gfYjqLzSIWZf0rs"}
    res = c.post("/wechat", query_string=params, data=SAMPLE["body"], content_type="text/xml")
    assert res.status_code == 200
    reply = read_reply(bot_settings.current(), res.get_data(), safe=True)
    assert reply["ToUserName"] == "oyORnuP8q7ou2gfYjqLzSIWZf0rs" and reply["FromUserName"] == "gh_10f6c3c3ac5a"
    assert reply["MsgType"] == "text" and "没有理解" in reply["Content"]


def test_captured_plain_mode_url_cannot_carry_another_body(client):
    """Plain mode signs only the URL: an attacker who captured one signed callback URL posts it
    again with a body of their own inside the timestamp window; it is refused, while WeChat's
    own retry of the same message (same URL, same body) is still answered."""
    signed = sign_callback(bot_settings.current(), text_xml(OPENID, "帮助"), safe=False)
    first = client.post("/wechat", query_string=signed.params, data=signed.body, content_type="text/xml")
    assert first.status_code == 200 and read_reply(bot_settings.current(), first.get_data(), safe=False)
    retry = client.post("/wechat", query_string=signed.params, data=signed.body, content_type="text/xml")
    assert retry.status_code == 200 and retry.get_data() == first.get_data()
    forged = text_xml(OPENID, "我的案件", msg_id=987654321)
    replayed = client.post("/wechat", query_string=signed.params, data=forged.encode(), content_type="text/xml")
    assert replayed.status_code == 403 and b"replayed" in replayed.get_data()


def test_a_nonce_serves_one_message_in_safe_mode_too(client):
    """Safe mode signs the body as well; the store still never lets one nonce carry two messages."""
    settings = bot_settings.current()
    signed = sign_callback(settings, text_xml(OPENID, "帮助"), safe=True)
    assert client.post("/wechat", query_string=signed.params, data=signed.body, content_type="text/xml").status_code == 200
    other = sign_callback(settings, text_xml(OPENID, "我的案件", msg_id=55), safe=True,
                          timestamp=signed.params["timestamp"], nonce=signed.params["nonce"])
    res = client.post("/wechat", query_string=other.params, data=other.body, content_type="text/xml")
    assert res.status_code == 403


def test_production_refuses_plain_mode(production_config):
    from app import create_app

    production_config.WECHAT_REQUIRE_ENCRYPTION = False
    with pytest.raises(RuntimeError, match="WECHAT_REQUIRE_ENCRYPTION"):
        create_app(production_config)
