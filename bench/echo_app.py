"""The yardstick for ``bench/webhook.py``: the least a WeChat safe-mode endpoint can do with
wechatpy and Flask — check the signature, decrypt, parse, echo the text back, encrypt."""
from __future__ import annotations

import os
import secrets
import time

from flask import Flask, Response, request
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.replies import TextReply
from wechatpy.utils import check_signature


def create_app() -> Flask:
    app = Flask(__name__)
    token = os.environ["WECHAT_TOKEN"]
    crypto = WeChatCrypto(token, os.environ["WECHAT_AES_KEY"], os.environ["WECHAT_APPID"])

    @app.post("/wechat")
    def wechat() -> Response:
        args = request.args
        check_signature(token, args["signature"], args["timestamp"], args["nonce"])
        xml = crypto.decrypt_message(request.get_data(), args["msg_signature"], args["timestamp"], args["nonce"])
        msg = parse_message(xml)
        reply = TextReply(message=msg, content=getattr(msg, "content", "")).render()
        return Response(crypto.encrypt_message(reply, secrets.token_hex(8), str(int(time.time()))),
                        mimetype="application/xml")

    return app
