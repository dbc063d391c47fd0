"""Baidu AI face verification through the official ``baidu-aip`` SDK (``aip.AipFace``).

``verify`` is Baidu's person verification (``face/v3/person/verify``): the selfie is compared
with the public-security photo for the name and ID number, with liveness and quality control
on; a score at or above ``FACE_PASS_SCORE`` passes. ``compare`` is ``face/v3/match`` (two
photos), which lets an operator test credentials without a real identity.

The SDK has traps this module closes:

* its package ``__init__`` imports ``aip.nlp``, which imports ``chardet`` without declaring it:
  ``chardet`` is pinned in requirements.txt and a missing one is reported by name at start-up;
* it passes ``verify=False`` on every request and silences urllib3's warning: the client's
  HTTP session here overrides ``verify`` on every call (``BAIDU_CA_BUNDLE`` or the default
  trust store) and the warning filter is restored;
* its timeouts are 60 s: every call here uses ``FACE_CONNECT_TIMEOUT_SECONDS`` /
  ``FACE_TIMEOUT_SECONDS``;
* a failed token request makes it silently switch to cloud-IAM request signing for the rest
  of the process: a token answer without ``access_token`` is raised as a configuration error
  and the client's auth state is reset;
* it only catches timeouts: connection, TLS and non-JSON answers are caught here;
* its endpoints are hard-coded: they follow ``BAIDU_API_BASE`` (tests use a local stand-in).

Every Baidu error code maps to an outcome whose message the person can act on.
"""
from __future__ import annotations

import base64
import logging
import re
import threading
import warnings
from collections.abc import Callable
from typing import Any

import requests

from identity.face import base
from identity.face.base import FaceResult
from identity.settings import IdentitySettings

log = logging.getLogger(__name__)

NAME = "baidu"
CONTROLS = ("NONE", "LOW", "NORMAL", "HIGH")

# Baidu error_code -> outcome. Source: Baidu AI face recognition error code table.
ERRORS: dict[int | str, str] = {
    # picture and quality
    222202: base.NO_FACE,  # pic not has face
    222203: base.NO_FACE,  # image check fail
    223113: base.COVERED,  # face is covered
    **{code: base.COVERED for code in range(223121, 223128)},  # eye/cheek/chin/nose/mouth occlusion too high
    223114: base.BLURRY,  # face is fuzzy
    223115: base.POOR_LIGHT,  # face light is not good
    223116: base.POSE,  # incomplete face
    223129: base.POSE,  # face is not facing forward
    222356: base.BLURRY,  # face image quality does not meet the requirement
    216201: base.BAD_IMAGE,  # image format error
    216202: base.BAD_IMAGE,  # image size error
    222304: base.BAD_IMAGE,  # image size is too large
    222013: base.BAD_IMAGE,  # param[image] format error
    # liveness
    223120: base.LIVENESS,  # liveness check fail
    223131: base.LIVENESS,  # synthetic image detected
    # identity (public security source)
    222351: base.MISMATCH,  # id number and name not match or id number not exist
    216600: base.MISMATCH,  # id number format error
    216601: base.MISMATCH,  # id number and name not match
    222354: base.MISMATCH,  # id number does not exist in the public security database
    222350: base.NO_RECORD,  # police picture does not exist or is of low quality
    222355: base.NO_RECORD,  # id number is right but no picture on file
    222360: base.LOW_SCORE,  # identity verification failed
    # load and limits: try again later
    4: base.BUSY,  # cluster request limit reached
    17: base.BUSY,  # daily request limit reached
    18: base.BUSY,  # QPS request limit reached
    19: base.BUSY,  # total request limit reached
    216400: base.BUSY,  # backend error
    222361: base.BUSY,  # public security service connection failed
    "SDK108": base.BUSY,  # the SDK's own "connection or read data timeout"
    # configuration: the operator must act
    6: base.UNAVAILABLE,  # no permission to access data
    14: base.UNAVAILABLE,  # IAM certification failed
    100: base.UNAVAILABLE,  # invalid access_token parameter
    110: base.UNAVAILABLE,  # access token invalid
    111: base.UNAVAILABLE,  # access token expired
    216100: base.UNAVAILABLE,  # invalid param
}
TOKEN_ERRORS = {110, 111}
SECRET_QUERY = re.compile(r"(access_token|client_secret|client_id)=[^&\s\"']+")


class BaiduAuthError(Exception):
    """The token endpoint refused the credentials (or gave a token without face scope)."""


class _VerifiedSession(requests.Session):
    """A session that ignores the SDK's ``verify=False`` and 60-second timeouts."""

    def __init__(self, verify: bool | str, timeout: tuple[float, float]):
        super().__init__()
        self.court_verify = verify
        self.court_timeout = timeout

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs["verify"] = self.court_verify
        kwargs["timeout"] = self.court_timeout
        return super().request(method, url, *args, **kwargs)


class _RequestsShim:
    """Replaces the ``requests`` module the SDK calls directly (token fetch, 110 retry)."""

    def __init__(self, session: _VerifiedSession):
        self._session = session

    def get(self, url: str, **kwargs: Any) -> requests.Response:
        return self._session.get(url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> requests.Response:
        return self._session.post(url, **kwargs)

    def session(self) -> _VerifiedSession:
        return self._session


class _RedactSecrets(logging.Filter):
    """urllib3 logs request URLs at DEBUG; the SDK puts the token and API secret in them."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if SECRET_QUERY.search(message):
            record.msg, record.args = SECRET_QUERY.sub(r"\1=***", message), ()
        return True


def _install_log_redaction() -> None:
    logger = logging.getLogger("urllib3.connectionpool")
    if not any(isinstance(f, _RedactSecrets) for f in logger.filters):
        logger.addFilter(_RedactSecrets())


def _aip_face_class() -> type:
    """Import the SDK (explaining its undeclared ``chardet`` dependency) and subclass it."""
    try:
        from aip import AipFace
    except ModuleNotFoundError as exc:
        if exc.name == "chardet":
            raise RuntimeError(
                "baidu-aip imports chardet but does not declare it: install it "
                "(`pip install -r requirements.txt`)"
            ) from exc
        raise RuntimeError("FACE_PROVIDER=baidu needs the baidu-aip package (`pip install -r requirements.txt`)") from exc
    # importing aip silenced urllib3's InsecureRequestWarning for the whole process; restore it
    warnings.filterwarnings("default", category=requests.packages.urllib3.exceptions.InsecureRequestWarning)  # type: ignore[attr-defined]
    for attr in ("_AipBase__accessTokenUrl", "_AipFace__personVerifyUrl", "_AipFace__matchUrl"):
        if not hasattr(AipFace, attr):
            raise RuntimeError(f"baidu-aip changed ({attr} is gone): check the pinned version before upgrading")

    class CourtAipFace(AipFace):  # type: ignore[misc, valid-type]
        def _auth(self, refresh: bool = False) -> dict[str, Any]:
            obj: dict[str, Any] = super()._auth(refresh)
            if "access_token" not in obj or self._isCloudUser:
                reason = obj.get("error") or "no face scope"
                description = obj.get("error_description") or "token lacks brain_all_scope"
                self._authObj, self._isCloudUser = {}, None
                raise BaiduAuthError(f"{reason}: {description}")
            return obj

    return CourtAipFace


class BaiduFaceVerifier:
    name = NAME
    development = False

    def __init__(self, cfg: IdentitySettings):
        self.cfg = cfg
        self._lock = threading.Lock()
        self._client = self._make_client()

    def _make_client(self) -> Any:
        cfg = self.cfg
        client = _aip_face_class()(cfg.baidu_app_id, cfg.baidu_api_key, cfg.baidu_secret_key)
        session = _VerifiedSession(
            cfg.baidu_ca_bundle or True, (cfg.face_connect_timeout_seconds, cfg.face_timeout_seconds)
        )
        client.s = session
        client._AipBase__client = _RequestsShim(session)
        client.setConnectionTimeoutInMillis(int(cfg.face_connect_timeout_seconds * 1000))
        client.setSocketTimeoutInMillis(int(cfg.face_timeout_seconds * 1000))
        api = cfg.baidu_api_base.rstrip("/")
        client._AipBase__accessTokenUrl = f"{api}/oauth/2.0/token"
        client._AipFace__personVerifyUrl = f"{api}/rest/2.0/face/v3/person/verify"
        client._AipFace__matchUrl = f"{api}/rest/2.0/face/v3/match"
        return client

    # -- the two checks ------------------------------------------------------------------------
    def verify(self, image: bytes, *, name: str, id_number: str) -> FaceResult:
        if base.sniff_image(image) is None:
            return self._result(base.BAD_IMAGE, detail="not a JPEG, PNG or BMP file")
        options = {
            "liveness_control": self.cfg.baidu_liveness_control,
            "quality_control": self.cfg.baidu_quality_control,
        }
        encoded = base64.b64encode(image).decode()
        return self._call(
            "person/verify", lambda c: c.personVerify(encoded, "BASE64", id_number, name, options)
        )

    def compare(self, image: bytes, reference: bytes) -> FaceResult:
        if base.sniff_image(image) is None or base.sniff_image(reference) is None:
            return self._result(base.BAD_IMAGE, detail="not a JPEG, PNG or BMP file")
        images = [
            {"image": base64.b64encode(image).decode(), "image_type": "BASE64", "face_type": "LIVE",
             "quality_control": self.cfg.baidu_quality_control, "liveness_control": self.cfg.baidu_liveness_control},
            {"image": base64.b64encode(reference).decode(), "image_type": "BASE64", "face_type": "LIVE",
             "quality_control": self.cfg.baidu_quality_control, "liveness_control": "NONE"},
        ]
        return self._call("match", lambda c: c.match(images))

    # -- plumbing ------------------------------------------------------------------------------
    def _call(self, op: str, fn: Callable[[Any], dict[str, Any]]) -> FaceResult:
        try:
            with self._lock:
                answer = fn(self._client)
                if answer.get("error_code") in TOKEN_ERRORS:  # the SDK refreshes on 110 only
                    self._client._authObj = {}
                    answer = fn(self._client)
        except BaiduAuthError as exc:
            log.error("baidu face %s: the token endpoint refused the credentials (%s)", op, exc)
            return self._result(base.UNAVAILABLE, detail=f"token refused: {exc}")
        except requests.exceptions.SSLError as exc:
            log.error("baidu face %s: TLS certificate verification failed: %s", op, type(exc).__name__)
            return self._result(base.UNAVAILABLE, detail="TLS certificate verification failed")
        except requests.exceptions.Timeout:
            log.warning("baidu face %s: timed out", op)
            return self._result(base.BUSY, provider_code="timeout", detail="timed out")
        except requests.exceptions.ConnectionError as exc:
            log.error("baidu face %s: cannot connect (%s)", op, type(exc).__name__)
            return self._result(base.UNAVAILABLE, detail="cannot connect to the Baidu API")
        except (requests.exceptions.RequestException, ValueError) as exc:
            log.error("baidu face %s: unusable answer (%s)", op, type(exc).__name__)
            return self._result(base.UNAVAILABLE, detail=f"unusable answer: {type(exc).__name__}")
        return self._interpret(op, answer)

    def _interpret(self, op: str, answer: dict[str, Any]) -> FaceResult:
        code = answer.get("error_code", 0)
        log_id = str(answer["log_id"]) if answer.get("log_id") is not None else None
        if code in (0, "0"):
            try:
                score = float((answer.get("result") or {})["score"])
            except (KeyError, TypeError, ValueError):
                log.error("baidu face %s: success without a score (log_id %s)", op, log_id)
                return self._result(base.UNAVAILABLE, log_id=log_id, detail="success answer without a score")
            ok = score >= self.cfg.face_pass_score
            return self._result(
                base.PASS if ok else base.LOW_SCORE, ok=ok, score=round(score, 2), log_id=log_id,
                detail=f"score {score:.2f}, pass at {self.cfg.face_pass_score:g}",
            )
        outcome = ERRORS.get(code, base.UNAVAILABLE)
        message = str(answer.get("error_msg", ""))[:200]
        level = logging.ERROR if outcome == base.UNAVAILABLE else logging.INFO
        log.log(level, "baidu face %s: error_code %s (%s), log_id %s -> %s", op, code, message, log_id, outcome)
        return self._result(outcome, log_id=log_id, provider_code=str(code), detail=f"{code}: {message}")

    def _result(self, code: str, *, ok: bool = False, score: float | None = None, log_id: str | None = None,
                provider_code: str | None = None, detail: str = "") -> FaceResult:
        return FaceResult(ok=ok, code=code, provider=NAME, score=score, log_id=log_id,
                          provider_code=provider_code, detail=detail)


def problems(cfg: IdentitySettings) -> list[str]:
    found = [f"{key} is not set (FACE_PROVIDER=baidu)" for key, value in (
        ("BAIDU_APP_ID", cfg.baidu_app_id), ("BAIDU_API_KEY", cfg.baidu_api_key),
        ("BAIDU_SECRET_KEY", cfg.baidu_secret_key), ("BAIDU_API_BASE", cfg.baidu_api_base)) if not value]
    if cfg.is_production and not cfg.baidu_api_base.startswith("https://"):
        found.append("BAIDU_API_BASE must be an https:// URL in production")
    for key, value in (("BAIDU_LIVENESS_CONTROL", cfg.baidu_liveness_control),
                       ("BAIDU_QUALITY_CONTROL", cfg.baidu_quality_control)):
        if value not in CONTROLS:
            found.append(f"{key} must be one of {', '.join(CONTROLS)}")
    if cfg.is_production and cfg.baidu_liveness_control == "NONE":
        found.append("BAIDU_LIVENESS_CONTROL=NONE turns liveness off; not allowed in production")
    try:
        _aip_face_class()
    except RuntimeError as exc:
        found.append(str(exc))
    return found


def build(cfg: IdentitySettings) -> BaiduFaceVerifier:
    _install_log_redaction()
    return BaiduFaceVerifier(cfg)
