"""A stand-in for WeChat's servers, served by this app under ``/dev/wechat`` (development only).

It speaks the same HTTP + JSON as ``api.weixin.qq.com`` for what the platform uses — access
token, customer and template messages, parametric QR codes, temporary media, the menu, and web
OAuth (snsapi_base) — checks app id, secret and token like WeChat does, and records every
message the server sends in Redis, so ``flask bot chat`` and the page at ``/dev/wechat/`` can
show what a user would have received.

It applies WeChat's rules as the platform does (:mod:`wechat.rules`, the module the sender
checks with): a template id the account does not have is 40037; a category-template value that
breaks its type's rule is refused with 47003; ``first``/``remark`` and colours are dropped, emoji
shown as □ and keyword fields cut at 20 characters, and the page shows the card as the phone
would. Customer messages are refused with 45015 outside 48 hours of the user's last message or
event, and both kinds with 43004 once the user has unfollowed (the simulated user reports what
it does through ``/_sim/acted``, as WeChat itself would know). It is registered only when ``WECHAT_PROVIDER=simulator``
and never with ``ENV=production``.

This module is the HTTP face only: what the stand-in keeps is in :mod:`bot.simulator.state`, and
the page drawing each user's phone in :mod:`bot.simulator.phone`.
"""
from __future__ import annotations

import io
import json
import secrets
from functools import wraps
from html import escape
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, Response, jsonify, redirect, request

from bot.simulator import phone, state
from bot.simulator.state import ERRMSG, KEEP, client, in_window, outbox, record, unfollowed, user_acted
from wechat import rules as wechat_rules
from wechat import settings as bot_settings

bp = Blueprint("wechat_simulator", __name__, url_prefix=bot_settings.SIMULATOR_PREFIX)
MAX_UPLOAD = 10 * 1024 * 1024


def _err(code: int, msg: str) -> Response:
    return jsonify(errcode=code, errmsg=msg)


def _ok(**extra: Any) -> Response:
    return jsonify(errcode=0, errmsg="ok", **extra)


def _json_body() -> dict[str, Any]:
    try:
        data = json.loads(request.get_data() or b"{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def needs_token(fn):  # type: ignore[no-untyped-def]
    """Check the access token as WeChat does, after playing any failure a developer asked for."""
    @wraps(fn)
    def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
        code = state.injected_failure(request.path.removeprefix(f"{bot_settings.SIMULATOR_PREFIX}/cgi-bin/"))
        if code is not None:
            return _err(code, ERRMSG.get(code, "error"))
        token = request.args.get("access_token", "")
        if not token or not client().exists(f"sim:token:{token}"):
            return _err(40001, "invalid credential, access_token is invalid or not latest")
        return fn(*args, **kwargs)

    return wrapper


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
    client().set(f"sim:token:{value}", 1, ex=7200)
    return jsonify(access_token=value, expires_in=7200)


@bp.post("/_sim/acted")
def acted() -> Response:
    data = _json_body()
    if not data.get("openid") or not data.get("msg_type"):
        return _err(44002, "empty post data")
    user_acted(str(data["openid"]), str(data["msg_type"]), data.get("event"), data.get("at"))
    return _ok()


@bp.post("/cgi-bin/message/custom/send")
@needs_token
def custom_send() -> Response:
    data = _json_body()
    openid, kind = data.get("touser"), data.get("msgtype")
    if not openid or not kind or kind not in data:
        return _err(44002, "empty post data")
    if unfollowed(openid):
        return _err(43004, "require subscribe")
    if not in_window(openid):
        return _err(wechat_rules.ERR_OUT_OF_WINDOW, "response out of time limit or subscription is canceled")
    record(openid, "custom", {"msgtype": kind, kind: data[kind]})
    return _ok()


def _library() -> dict[str, tuple[str, dict[str, str]]]:
    """The account's templates as configured: id -> (title, field key -> label)."""
    from wechat.templates import WECHAT_LAYOUTS, template_specs

    out: dict[str, tuple[str, dict[str, str]]] = {}
    for name, spec in template_specs(bot_settings.current()).items():
        layout = WECHAT_LAYOUTS.get(name)
        if layout is None:
            continue
        labels = {spec.fields[slot.name]: slot.label for slot in layout.slots if slot.name in spec.fields}
        out[spec.template_id] = (layout.title, labels)
    return out


@bp.post("/cgi-bin/message/template/send")
@needs_token
def template_send() -> Response:
    data = _json_body()
    openid, template_id = data.get("touser"), data.get("template_id")
    library = _library()
    if not openid or not template_id or template_id not in library:
        return _err(40037, "invalid template_id")
    if unfollowed(openid):
        return _err(43004, "require subscribe")
    fields = data.get("data") if isinstance(data.get("data"), dict) else {}
    result = wechat_rules.shown(fields)
    if result.errcode:
        return _err(result.errcode, result.errmsg)
    title, labels = library[template_id]
    msgid = int(client().incr("sim:msgid")) + 1_000_000_000
    phone = {"title": title, "fields": [[labels.get(key, key), text] for key, text in result.fields]}
    record(openid, "template", {"msgid": msgid, "template_id": template_id, "url": data.get("url"),
                                "data": fields, "shown": phone})
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
    client().set(f"sim:qr:{ticket}", str(value), ex=expire or 365 * 86400)
    return jsonify(ticket=ticket, expire_seconds=expire, url=f"http://weixin.qq.com/q/sim-{ticket}")


@bp.get("/cgi-bin/showqrcode")
def showqrcode() -> Response:
    import qrcode

    ticket = request.args.get("ticket", "")
    scene = client().get(f"sim:qr:{ticket}")
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
    data = client().get(f"sim:media:{media_id}")
    if data is None:
        return _err(40007, "invalid media_id")
    kind = (client().get(f"sim:media:{media_id}:type") or b"image/jpeg").decode()
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
    pipe = client().pipeline()
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
    client().set("sim:menu", json.dumps(data, ensure_ascii=False))
    return _ok()


@bp.get("/cgi-bin/menu/get")
@needs_token
def menu_get() -> Response:
    raw = client().get("sim:menu")
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
    client().set(f"sim:oauth:{code}", openid, ex=300)
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
    openid = client().getdel(f"sim:oauth:{code}") if code else None
    if openid is None:
        return _err(40029, "invalid code")
    return jsonify(access_token=secrets.token_urlsafe(32), expires_in=7200, refresh_token=secrets.token_urlsafe(32),
                   openid=openid.decode(), scope="snsapi_base")


@bp.get("/_sim/outbox")
def outbox_json() -> Response:
    return jsonify(messages=outbox(request.args.get("openid") or None, request.args.get("after", 0, type=int)))


@bp.get("/")
def index() -> Response:
    """What each simulated user's phone shows of the messages the server pushed, newest users first."""
    return Response(phone.page(outbox()[-200:]), mimetype="text/html")
