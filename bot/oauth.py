"""WeChat web authorisation (snsapi_base): learn which follower opened a page, silently.

``web_sign/`` links its pages through :func:`authorize_url`; WeChat sends the browser back to
``redirect_uri?code=…&state=…`` and the page calls :func:`openid_from_code`. snsapi_base asks
the user nothing and yields only the openid, which is all the signing pages need: the openid is
looked up in ``ChannelBinding`` and the person still proves themselves with a fresh face check
before signing. The code is single-use and expires in five minutes (WeChat's rules).
"""
from __future__ import annotations

from urllib.parse import quote

import requests

from wechat import settings as bot_settings

http = requests.Session()  # module-level so tests can mount a transport on it


class OAuthError(Exception):
    """The code was refused (expired, used, forged) or WeChat could not be reached."""


def authorize_url(redirect_uri: str, state: str = "") -> str:
    """Where to send the browser so WeChat comes back to ``redirect_uri`` with a code.

    ``redirect_uri`` must be on the domain set as 网页授权域名 in the WeChat console; ``state``
    (at most 128 letters/digits) comes back unchanged."""
    settings = bot_settings.current()
    query = (
        f"appid={settings.appid}&redirect_uri={quote(redirect_uri, safe='')}"
        f"&response_type=code&scope=snsapi_base&state={quote(state[:128], safe='')}"
    )
    return f"{settings.oauth_base}connect/oauth2/authorize?{query}#wechat_redirect"


def document_url(document_id: int) -> str:
    """The WeChat link to a document's mobile signing page (``/m/documents/<id>``)."""
    settings = bot_settings.current()
    return authorize_url(f"{settings.public_base_url}/m/documents/{document_id}", state=f"doc{document_id}")


def openid_from_code(code: str) -> str:
    """Exchange the code WeChat appended to the redirect for the user's openid."""
    settings = bot_settings.current()
    if not code or len(code) > 128:
        raise OAuthError("missing or malformed code")
    try:
        res = http.get(
            f"{settings.api_base}sns/oauth2/access_token",
            params={"appid": settings.appid, "secret": settings.secret, "code": code,
                    "grant_type": "authorization_code"},
            timeout=settings.api_timeout,
        )
        res.raise_for_status()
        data = res.json()
    except (requests.RequestException, ValueError) as exc:
        raise OAuthError(f"WeChat OAuth unreachable: {type(exc).__name__}") from None
    if data.get("errcode") or not data.get("openid"):
        raise OAuthError(f"WeChat refused the code: {data.get('errcode')} {data.get('errmsg', '')}".strip())
    return str(data["openid"])
