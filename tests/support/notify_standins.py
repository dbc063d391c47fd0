"""Local stand-ins for the providers' HTTP APIs, speaking their documented protocols, so the
real SDKs (Aliyun dysmsapi, Tencent Cloud SMS, wechatpy) run unchanged against loopback.

- Aliyun: RPC-style ``SendSms`` / ``SendBatchSms`` (action in ``x-acs-action``, parameters in the
  query string), requests signed ACS3-HMAC-SHA256, which the stand-in verifies; JSON answers
  ``{"Code", "Message", "BizId", "RequestId"}``.
- Tencent Cloud: ``SendSms`` (``X-TC-Action``, JSON body, TC3-HMAC-SHA256 authorization with the
  SecretId checked); answers ``{"Response": {"SendStatusSet": [...], "RequestId"}}``.
- WeChat: ``POST /cgi-bin/message/template/send`` answering ``{"errcode", "errmsg", "msgid"}``.
"""
from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

ALIYUN_AK, ALIYUN_SECRET = "LTAI-test-key-id", "aliyun-test-secret"
TENCENT_ID, TENCENT_KEY = "AKID-test-secret-id", "tencent-test-secret-key"


@dataclass
class StandIn:
    """What the stand-in received, and errors to answer with next (popped one per call)."""

    calls: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    counter: itertools.count = field(default_factory=lambda: itertools.count(1000))
    server: ThreadingHTTPServer | None = None

    @property
    def endpoint(self) -> str:
        host, port = self.server.server_address[:2]
        return f"{host}:{port}"


def _rfc3986(value: str) -> str:
    return quote(value, safe="-_.~")


def aliyun_signature_ok(method: str, path: str, query: list[tuple[str, str]], headers: dict[str, str]) -> bool:
    """Recompute the ACS3-HMAC-SHA256 signature from the request as documented by Aliyun."""
    auth = headers.get("authorization", "")
    if not auth.startswith("ACS3-HMAC-SHA256 "):
        return False
    parts = dict(p.split("=", 1) for p in auth[len("ACS3-HMAC-SHA256 "):].split(","))
    if parts.get("Credential") != ALIYUN_AK:
        return False
    signed = parts["SignedHeaders"].split(";")
    canonical_query = "&".join(f"{_rfc3986(k)}={_rfc3986(v)}" for k, v in sorted(query))
    canonical_headers = "".join(f"{h}:{headers.get(h, '').strip()}\n" for h in signed)
    request = "\n".join([method, path or "/", canonical_query, canonical_headers, ";".join(signed),
                         headers.get("x-acs-content-sha256", "")])
    to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(request.encode()).hexdigest()
    expected = hmac.new(ALIYUN_SECRET.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts.get("Signature", ""))


def _handler(kind: str, state: StandIn):  # type: ignore[no-untyped-def]
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: object) -> None:
            pass

        def _reply(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json" if kind == "tencent" else "application/json;charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            url = urlsplit(self.path)
            headers = {k.lower(): v for k, v in self.headers.items()}
            getattr(self, f"_{kind}")(url, headers, raw)

        def _aliyun(self, url, headers, raw) -> None:  # type: ignore[no-untyped-def]
            query = parse_qsl(url.query, keep_blank_values=True)
            params = dict(query) | dict(parse_qsl(raw.decode(), keep_blank_values=True))
            if hashlib.sha256(raw).hexdigest() != headers.get("x-acs-content-sha256"):
                self._reply(400, {"Code": "ContentSha256Mismatch", "Message": "body hash", "RequestId": "-"})
                return
            action = headers.get("x-acs-action")
            state.calls.append({"action": action, "params": params})
            if not aliyun_signature_ok("POST", url.path, query, headers):
                self._reply(400, {"Code": "SignatureDoesNotMatch", "Message": "signature mismatch",
                                  "RequestId": str(uuid.uuid4())})
                return
            if state.errors:
                code = state.errors.pop(0)
                self._reply(200, {"Code": code, "Message": "触发流控" if "LIMIT" in code else "错误",
                                  "RequestId": str(uuid.uuid4())})
                return
            self._reply(200, {"Code": "OK", "Message": "OK", "BizId": f"{next(state.counter)}^0",
                              "RequestId": str(uuid.uuid4())})

        def _tencent(self, url, headers, raw) -> None:  # type: ignore[no-untyped-def]
            body = json.loads(raw or b"{}")
            state.calls.append({"action": headers.get("x-tc-action"), "params": body})
            request_id = str(uuid.uuid4())
            if f"Credential={TENCENT_ID}/" not in headers.get("authorization", ""):
                self._reply(200, {"Response": {"Error": {"Code": "AuthFailure.SecretIdNotFound",
                                                         "Message": "secret id not found"}, "RequestId": request_id}})
                return
            if state.errors and state.errors[0].startswith("Response:"):
                code = state.errors.pop(0).split(":", 1)[1]
                self._reply(200, {"Response": {"Error": {"Code": code, "Message": code}, "RequestId": request_id}})
                return
            statuses = []
            for phone in body.get("PhoneNumberSet", []):
                code = state.errors.pop(0) if state.errors else "Ok"
                statuses.append({"SerialNo": f"2028:{next(state.counter)}", "PhoneNumber": phone, "Fee": 1,
                                 "SessionContext": body.get("SessionContext", ""), "Code": code,
                                 "Message": "send success" if code == "Ok" else code, "IsoCode": "CN"})
            self._reply(200, {"Response": {"SendStatusSet": statuses, "RequestId": request_id}})

        def _wechat(self, url, headers, raw) -> None:  # type: ignore[no-untyped-def]
            body = json.loads(raw or b"{}")
            state.calls.append({"path": url.path, "query": dict(parse_qsl(url.query)), "params": body})
            if state.errors:
                code = int(state.errors.pop(0))
                self._reply(200, {"errcode": code, "errmsg": "require subscribe" if code == 43004 else "error"})
                return
            self._reply(200, {"errcode": 0, "errmsg": "ok", "msgid": next(state.counter)})

    return Handler


def start(kind: str) -> StandIn:
    state = StandIn()
    assert kind in ("aliyun", "tencent", "wechat"), f"no stand-in speaks {kind!r}"
    state.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(kind, state))
    threading.Thread(target=state.server.serve_forever, daemon=True).start()
    return state


def stop(state: StandIn) -> None:
    state.server.shutdown()
    state.server.server_close()
