"""A stand-in for WeChat's servers, served by this app under ``/dev/wechat`` (development only).

It speaks the same HTTP + JSON as ``api.weixin.qq.com`` for what the platform uses — access
token, customer and template messages, parametric QR codes, temporary media, the menu, and web
OAuth (snsapi_base) — checks app id, secret and token like WeChat does, and records every
message the server sends in Redis, so ``flask bot chat`` and the page at ``/dev/wechat/`` can
show what a user would have received. It is registered only when ``WECHAT_PROVIDER=simulator``
and never with ``ENV=production``.
"""
from __future__ import annotations

import io
import json
import secrets
import time
from functools import wraps
from html import escape
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, Response, jsonify, redirect, request

from bot import settings as bot_settings
from court import redis_conn

bp = Blueprint("wechat_simulator", __name__, url_prefix=bot_settings.SIMULATOR_PREFIX)
KEEP = 3 * 86400  # WeChat keeps temporary media three days
OUTBOX_MAX = 500
MAX_UPLOAD = 10 * 1024 * 1024


def _err(code: int, msg: str) -> Response:
    return jsonify(errcode=code, errmsg=msg)


def _ok(**extra: Any) -> Response:
    return jsonify(errcode=0, errmsg="ok", **extra)


def _r():  # type: ignore[no-untyped-def]
    return redis_conn.client()


def _json_body() -> dict[str, Any]:
    try:
        data = json.loads(request.get_data() or b"{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def needs_token(fn):  # type: ignore[no-untyped-def]
    @wraps(fn)
    def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
        token = request.args.get("access_token", "")
        if not token or not _r().exists(f"sim:token:{token}"):
            return _err(40001, "invalid credential, access_token is invalid or not latest")
        return fn(*args, **kwargs)

    return wrapper


def record(openid: str, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Keep one outbound message (what the user's phone would show)."""
    r = _r()
    entry = {"seq": int(r.incr("sim:seq")), "at": time.time(), "openid": openid, "kind": kind, "payload": payload}
    raw = json.dumps(entry, ensure_ascii=False)
    pipe = r.pipeline()
    pipe.rpush(f"sim:outbox:{openid}", raw)
    pipe.ltrim(f"sim:outbox:{openid}", -OUTBOX_MAX, -1)
    pipe.expire(f"sim:outbox:{openid}", KEEP)
    pipe.rpush("sim:outbox", raw)
    pipe.ltrim("sim:outbox", -OUTBOX_MAX, -1)
    pipe.execute()
    return entry


def outbox(openid: str | None = None, after: int = 0) -> list[dict[str, Any]]:
    key = f"sim:outbox:{openid}" if openid else "sim:outbox"
    entries = [json.loads(raw) for raw in _r().lrange(key, 0, -1)]
    return [e for e in entries if e["seq"] > after]


@bp.get("/cgi-bin/token")
def token() -> Response:
    settings = bot_settings.current()
    if request.args.get("grant_type") != "client_credential":
        return _err(40002, "invalid grant_type")
    if request.args.get("appid") != settings.appid:
        return _err(40013, "invalid appid")
    if not secrets.compare_digest(request.args.get("secret", ""), settings.secret):
        return _err(40125, "invalid appsecret")
    value = secrets.token_urlsafe(48)
    _r().set(f"sim:token:{value}", 1, ex=7200)
    return jsonify(access_token=value, expires_in=7200)


@bp.post("/cgi-bin/message/custom/send")
@needs_token
def custom_send() -> Response:
    data = _json_body()
    openid, kind = data.get("touser"), data.get("msgtype")
    if not openid or not kind or kind not in data:
        return _err(44002, "empty post data")
    record(openid, "custom", {"msgtype": kind, kind: data[kind]})
    return _ok()


@bp.post("/cgi-bin/message/template/send")
@needs_token
def template_send() -> Response:
    data = _json_body()
    if not data.get("touser") or not data.get("template_id"):
        return _err(40037, "invalid template_id")
    msgid = int(_r().incr("sim:msgid")) + 1_000_000_000
    record(data["touser"], "template", {"msgid": msgid, "template_id": data["template_id"],
                                       "url": data.get("url"), "data": data.get("data", {})})
    return _ok(msgid=msgid)


@bp.post("/cgi-bin/qrcode/create")
@needs_token
def qrcode_create() -> Response:
    data = _json_body()
    scene = (data.get("action_info") or {}).get("scene") or {}
    value = scene.get("scene_str") or scene.get("scene_id")
    if value is None:
        return _err(40053, "invalid action info")
    ticket = secrets.token_urlsafe(24)
    expire = int(data.get("expire_seconds") or 0) or None
    _r().set(f"sim:qr:{ticket}", str(value), ex=expire or 365 * 86400)
    return jsonify(ticket=ticket, expire_seconds=expire, url=f"http://weixin.qq.com/q/sim-{ticket}")


@bp.get("/cgi-bin/showqrcode")
def showqrcode() -> Response:
    import qrcode

    ticket = request.args.get("ticket", "")
    scene = _r().get(f"sim:qr:{ticket}")
    if scene is None:
        return Response("unknown ticket", status=404)
    img = qrcode.make(f"http://weixin.qq.com/q/sim-{ticket}#scene={scene.decode()}")
    out = io.BytesIO()
    img.save(out)
    return Response(out.getvalue(), mimetype="image/png")


@bp.get("/cgi-bin/media/get")
@needs_token
def media_get() -> Response:
    media_id = request.args.get("media_id", "")
    data = _r().get(f"sim:media:{media_id}")
    if data is None:
        return _err(40007, "invalid media_id")
    kind = (_r().get(f"sim:media:{media_id}:type") or b"image/jpeg").decode()
    return Response(data, mimetype=kind, headers={"Content-Disposition": f'attachment; filename="{media_id}.jpg"'})


@bp.post("/_sim/media")
def media_upload() -> Response:
    """The simulated user's phone uploading a photo to WeChat: returns the MediaId WeChat would
    put in the image message."""
    upload = request.files.get("media")
    data = upload.read(MAX_UPLOAD + 1) if upload else b""
    if not data or len(data) > MAX_UPLOAD:
        return _err(40005, "invalid file")
    media_id = secrets.token_urlsafe(32)
    pipe = _r().pipeline()
    pipe.set(f"sim:media:{media_id}", data, ex=KEEP)
    pipe.set(f"sim:media:{media_id}:type", upload.mimetype or "image/jpeg", ex=KEEP)
    pipe.execute()
    return jsonify(media_id=media_id)


@bp.post("/cgi-bin/menu/create")
@needs_token
def menu_create() -> Response:
    data = _json_body()
    if not isinstance(data.get("button"), list) or not data["button"]:
        return _err(40016, "invalid button size")
    _r().set("sim:menu", json.dumps(data, ensure_ascii=False))
    return _ok()


@bp.get("/cgi-bin/menu/get")
@needs_token
def menu_get() -> Response:
    raw = _r().get("sim:menu")
    if raw is None:
        return _err(46003, "menu no exist")
    return jsonify(menu=json.loads(raw))


@bp.route("/connect/oauth2/authorize", methods=["GET", "POST"])
def authorize() -> Response:
    """WeChat's silent authorisation: here a tiny page asks which simulated user is browsing."""
    settings = bot_settings.current()
    args = request.values
    if args.get("appid") != settings.appid or args.get("scope") not in ("snsapi_base", "snsapi_userinfo"):
        return Response("appid or scope invalid", status=400)
    target = args.get("redirect_uri", "")
    if urlsplit(target).scheme not in ("http", "https"):
        return Response("redirect_uri invalid", status=400)
    openid = request.form.get("openid") or request.args.get("sim_openid") or request.cookies.get("sim_openid")
    if request.method == "GET" and not request.args.get("sim_openid"):
        hidden = "".join(f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">'
                         for k, v in request.args.items() if k != "sim_openid")
        page = (
            '<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width">'
            "<title>微信授权（模拟）</title><h3>微信网页授权（本地模拟器）</h3>"
            f'<form method="post">{hidden}<label>以哪个微信用户打开（openid）<br>'
            f'<input name="openid" value="{escape(openid or "")}" size="32"></label> '
            "<button>继续</button></form>"
        )
        return Response(page, mimetype="text/html")
    if not openid:
        return Response("openid required", status=400)
    code = secrets.token_urlsafe(24)
    _r().set(f"sim:oauth:{code}", openid, ex=300)
    sep = "&" if "?" in target else "?"
    resp = redirect(f"{target}{sep}{urlencode({'code': code, 'state': args.get('state', '')})}")
    resp.set_cookie("sim_openid", openid, httponly=True, samesite="Lax")
    return resp


@bp.get("/sns/oauth2/access_token")
def oauth_access_token() -> Response:
    settings = bot_settings.current()
    if request.args.get("appid") != settings.appid:
        return _err(40013, "invalid appid")
    if not secrets.compare_digest(request.args.get("secret", ""), settings.secret):
        return _err(40125, "invalid appsecret")
    code = request.args.get("code", "")
    openid = _r().getdel(f"sim:oauth:{code}") if code else None
    if openid is None:
        return _err(40029, "invalid code")
    return jsonify(access_token=secrets.token_urlsafe(32), expires_in=7200, refresh_token=secrets.token_urlsafe(32),
                   openid=openid.decode(), scope="snsapi_base")


@bp.get("/_sim/outbox")
def outbox_json() -> Response:
    return jsonify(messages=outbox(request.args.get("openid") or None, request.args.get("after", 0, type=int)))


@bp.get("/")
def index() -> Response:
    rows = []
    for e in reversed(outbox()[-100:]):
        when = time.strftime("%m-%d %H:%M:%S", time.localtime(e["at"]))
        rows.append(f"<tr><td>{when}</td><td>{escape(e['openid'])}</td><td>{escape(e['kind'])}</td>"
                    f"<td><pre>{escape(json.dumps(e['payload'], ensure_ascii=False, indent=1))}</pre></td></tr>")
    page = (
        '<!doctype html><meta charset="utf-8"><title>微信模拟器：已发送消息</title>'
        "<h2>微信模拟器：服务器发出的消息</h2><p>用 <code>flask bot chat</code> 扮演微信用户。</p>"
        "<table border=1 cellpadding=4><tr><th>时间</th><th>openid</th><th>类型</th><th>内容</th></tr>"
        + "".join(rows) + "</table>"
    )
    return Response(page, mimetype="text/html")
