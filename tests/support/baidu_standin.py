"""A local stand-in for Baidu AI's face API, speaking its HTTP protocol on loopback.

It serves the token endpoint (``/oauth/2.0/token``), person verification
(``/rest/2.0/face/v3/person/verify``) and face match (``/rest/2.0/face/v3/match``) with
answers shaped like Baidu's documented ones (``error_code``, ``error_msg``, ``log_id``,
``timestamp``, ``cached``, ``result``), including its error codes. Tests script the next
answers, make it slow, or expire its tokens; it records what it was asked (never the image).
"""
from __future__ import annotations

import json
import ssl
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

APP_ID = "28350001"
API_KEY = "standinApiKey0123456789ab"
SECRET_KEY = "standinSecretKey0123456789abcdef"

# error_msg texts as Baidu's error code table gives them
ERROR_MSG = {
    4: "Open api request limit reached",
    6: "no permission to access data",
    17: "Open api daily request limit reached",
    18: "Open api qps request limit reached",
    110: "Access token invalid or no longer valid",
    111: "Access token expired",
    216201: "image format error",
    222001: "param[] is null",
    222202: "pic not has face",
    222350: "police picture is not exist",
    222351: "id number and name not match or id number not exist",
    222355: "police picture is not exist",
    222361: "network not available",
    223113: "face is covered",
    223114: "face is fuzzy",
    223115: "face light is not good",
    223116: "incomplete face",
    223120: "liveness check fail",
    223121: "left eye occlusion is too high",
    223125: "chin contour occlusion is too high",
}


class BaiduStandIn:
    def __init__(self, tls: ssl.SSLContext | None = None):
        self.tls = tls
        self.answers: deque[dict[str, Any]] = deque()
        self.score = 93.46
        self.delay = 0.0
        self.tokens: set[str] = set()
        self.expired: set[str] = set()
        self.calls: list[dict[str, Any]] = []
        self._log_id = 1349004812288524000
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # -- scripting -----------------------------------------------------------------------------
    def next_error(self, code: int) -> None:
        assert code in ERROR_MSG, f"Baidu error code {code} is not in the documented list"
        self.answers.append({"error_code": code, "error_msg": ERROR_MSG.get(code, "error")})

    def next_score(self, score: float) -> None:
        self.answers.append({"score": score})

    def expire_tokens(self) -> None:
        self.expired |= self.tokens

    def paths(self) -> list[str]:
        return [c["path"] for c in self.calls]

    # -- answers -------------------------------------------------------------------------------
    def _envelope(self, error_code: int = 0, error_msg: str = "SUCCESS", result: Any = None) -> dict[str, Any]:
        with self._lock:
            self._log_id += 1
            log_id = self._log_id
        return {"error_code": error_code, "error_msg": error_msg, "log_id": log_id,
                "timestamp": int(time.time()), "cached": 0, "result": result}

    def token(self, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if query.get("grant_type") != "client_credentials":
            return 400, {"error": "unsupported_grant_type", "error_description": "The authorization grant type is not supported"}
        if query.get("client_id") != API_KEY:
            return 401, {"error": "invalid_client", "error_description": "unknown client id"}
        if query.get("client_secret") != SECRET_KEY:
            return 401, {"error": "invalid_client", "error_description": "Client authentication failed"}
        stamp = int(time.time())
        token = f"24.{len(self.tokens):04x}{stamp:x}.2592000.{stamp + 2592000}.282335-{APP_ID}"
        self.tokens.add(token)
        return 200, {
            "refresh_token": token.replace("24.", "25.", 1), "expires_in": 2592000,
            "session_key": "9mzdDZXu3dENdFZQurfg0Vz8slgSgvvOAUebNFzyzcpQ5EnbxbF+hfG9DQkpUVQdh4p6HbQcAiz5RmuBAja1JJGgIdJI",
            "access_token": token,
            "scope": "public brain_all_scope vis-faceverify_faceverify_h5-face-liveness vis-faceverify_FACE_V3 wise_adapt",
            "session_secret": "2ca66d464545c77a4767f709873be4",
        }

    def face(self, kind: str, query: dict[str, str], body: Any) -> dict[str, Any]:
        token = query.get("access_token")
        if token in self.expired:
            return self._envelope(111, ERROR_MSG[111])
        if token not in self.tokens:
            return self._envelope(110, ERROR_MSG[110])
        if kind == "verify":
            required = ("image", "image_type", "id_card_number", "name")
            if not isinstance(body, dict) or any(not body.get(k) for k in required):
                return self._envelope(222001, ERROR_MSG[222001])
        elif not (isinstance(body, list) and len(body) == 2 and all(i.get("image") for i in body)):
            return self._envelope(222001, ERROR_MSG[222001])
        answer = self.answers.popleft() if self.answers else {"score": self.score}
        if "error_code" in answer:
            return self._envelope(answer["error_code"], answer["error_msg"])
        if kind == "verify":
            return self._envelope(result={"score": answer["score"]})
        return self._envelope(result={"score": answer["score"], "face_list": [
            {"face_token": "fe3f6e8ab7a6d1e5bf6b7c4fbc5a1d2e"}, {"face_token": "a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5"}]})

    # -- server --------------------------------------------------------------------------------
    def start(self) -> str:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence stderr
                return

            def _reply(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json;charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _handle(self) -> None:
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = None
                record = {"path": url.path, "method": self.command,
                          "has_token": "access_token" in query, "bce_signed": "authorization" in {
                              h.lower() for h in self.headers.keys()}}
                if isinstance(body, dict):
                    record["options"] = {k: body.get(k) for k in ("image_type", "liveness_control", "quality_control")}
                standin.calls.append(record)
                if url.path == "/oauth/2.0/token":
                    self._reply(*standin.token(query))
                    return
                kinds = {"/rest/2.0/face/v3/person/verify": "verify", "/rest/2.0/face/v3/match": "match"}
                if url.path not in kinds:
                    self._reply(404, {"error_code": 3, "error_msg": "Unsupported openapi method"})
                    return
                if standin.delay:
                    time.sleep(standin.delay)
                try:
                    self._reply(200, standin.face(kinds[url.path], query, body))
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = _handle  # noqa: N815
            do_POST = _handle  # noqa: N815

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        if self.tls is not None:
            self._server.socket = self.tls.wrap_socket(self._server.socket, server_side=True)
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        scheme = "https" if self.tls is not None else "http"
        return f"{scheme}://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
