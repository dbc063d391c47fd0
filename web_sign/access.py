"""Who this browser may act for, and which documents that lets it see.

Every page that shows or changes a document goes through :func:`party_document`, which
answers 404 for anything outside the session's own parties, so ids typed into a URL reveal
nothing (not even whether the document exists).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps
from typing import Any

from flask import abort, current_app, jsonify, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session
from werkzeug.utils import import_string

from court import db
from court.i18n import _
from court.models import (
    Document,
    Party,
    PartySession,
    Person,
)
from court.services import binding, identity_checks, party_documents, party_sessions
from court.services import consent as consent_rules
from web_sign.replies import problem

LINK_KEYS = ("sms_link",)  # written by notify's landing (notify.views.LINK_SESSION_KEY)
SESSION_KEY = "m_sid"  # the cookie's only identity content: an opaque token of a server-side PartySession
_CACHE = "court.party_session"


def link() -> dict[str, Any] | None:
    """The SMS link (or desktop hand-off) this browser came in by, if any."""
    for key in LINK_KEYS:
        value = session.get(key)
        if isinstance(value, dict) and isinstance(value.get("party_id"), int):
            return value
    return None


def _minutes() -> int:
    """A party session's idle lifetime: the app's session lifetime (``SESSION_MINUTES``)."""
    return int(current_app.permanent_session_lifetime.total_seconds() // 60)


def current() -> PartySession | None:
    """This browser's live server-side session (looked up once per request), or None: never
    signed in, logged out, ended by a face check elsewhere, revoked by staff, or expired."""
    cache = request.environ  # per request (an app context, and so ``g``, can outlive one request)
    if _CACHE not in cache:
        cache[_CACHE] = party_sessions.find(db.session(), session.get(SESSION_KEY))
    return cache[_CACHE]


def holder() -> str | None:
    """This session as the owner of identity checks (None when not signed in)."""
    token = session.get(SESSION_KEY)
    return party_sessions.holder_id(token) if current() is not None and token else None


def signed_in() -> tuple[PartySession, str]:
    """This browser's live session and its holder id, for a form only a signed-in session may
    post (the face photo, the answer to the face notice); 403 otherwise."""
    row, h = current(), holder()
    if row is None or h is None:
        abort(403)
    return row, h


def auth() -> dict[str, Any] | None:
    """What the session may act for, read from the server: person, parties, how it came in."""
    row = current()
    if row is None:
        return None
    return {"person_id": row.person_id, "party_ids": list(row.party_ids or []), "via": row.via}


def set_auth(person: Person, party_ids: list[int], via: str, *, proven_phone: str | None = None) -> PartySession:
    """Start a new server-side session for ``person`` (ending this browser's previous one)."""
    s = db.session()
    old = current()
    if old is not None:
        party_sessions.end(s, old, party_sessions.REPLACED)
    token, row = party_sessions.start(s, person, party_ids, via=via, minutes=_minutes(), proven_phone=proven_phone)
    session.permanent = True
    session[SESSION_KEY] = token
    request.environ[_CACHE] = row
    return row


def sign_out(reason: str = party_sessions.LOGOUT) -> None:
    """End this browser's session on the server too: a copy of the cookie dies with it."""
    row = current()
    if row is not None:
        party_sessions.end(db.session(), row, reason)
    session.pop(SESSION_KEY, None)
    request.environ[_CACHE] = None


def forget() -> None:
    """Drop this browser's token without touching the server (its session was rolled back)."""
    session.pop(SESSION_KEY, None)
    request.environ[_CACHE] = None


def face_done() -> bool:
    """A face (or other identity) check passed in *this* session for its person."""
    row, h = current(), holder()
    return bool(row and h and identity_checks.latest_pass(db.session(), person_id=row.person_id, holder_id=h))


def may_read(document_id: int | None = None) -> bool:
    """May this session read (the list, or one document) without a face check now? The rule is
    :func:`court.services.party_sessions.may_read`; this only finds its arguments."""
    row, h = current(), holder()
    if row is None or h is None:
        return False
    s = db.session()
    parties = [p for p in (s.get(Party, i) for i in row.party_ids or []) if p is not None]
    doc = s.get(Document, document_id) if document_id is not None else None
    if document_id is not None:
        if doc is None:
            return face_done()
        visible = party_documents.visible_party(s, doc, {p.id for p in parties})
        parties = [visible] if visible is not None else []
    return party_sessions.may_read(s, row, h, parties, doc)


def person(s: Session) -> Person | None:
    row = current()
    return s.get(Person, row.person_id) if row else None


def party_ids() -> set[int]:
    """The parties this session acts for now (:func:`court.services.party_sessions.acting_for`,
    asked on every request, so a revoked or expired agent's authority stops at once)."""
    row = current()
    if row is None:
        return set()
    return party_sessions.acting_for(db.session(), row)


@dataclass
class Access:
    document: Document
    party: Party


def party_document(document_id: int) -> Access:
    """The document and the session's party on it, or 404 (or 403 for a signed-out session on
    a document outside its link). Callers have already required an identified session."""
    s = db.session()
    doc = s.get(Document, document_id)
    parties = party_ids()
    party = party_documents.visible_party(s, doc, parties) if doc is not None else None
    if doc is None or party is None:
        abort(404)
    return Access(doc, party)


# ---- the gate every party page goes through ------------------------------------------------------
def gate(next_url: str, *, need_face: bool = True, document_id: int | None = None) -> ResponseReturnValue | None:
    """The step this browser still has to do (a response), or None when it may go on.

    No session and no link: a clear 403 page. A link but no session: the SMS-code page. A session
    that may not read without one (:func:`may_read`: no face check passed *in this session*, and
    not a returning party re-reading what was served on her): the face page. A new link for a
    party this session does not act for ends the session (prove it again)."""
    data = link()
    if data is not None and current() is not None and data["party_id"] not in {*(current().party_ids or []), *party_ids()}:
        sign_out(party_sessions.REPLACED)
        db.session().commit()
    row = current()
    if row is None:
        if data is None:
            return problem(_("请从法院发送的短信或微信消息进入"),
                           _("本页面需要通过法院发送给您的短信链接或微信公众号消息打开。如果链接已失效，请联系承办法院重新发送。"),
                           403)
        return redirect(url_for("party.identity", next=next_url))
    if need_face and not may_read(document_id):
        return redirect(url_for("party.face", next=next_url))
    if row.expires_at is not None and row.expires_at - db.utcnow() < timedelta(minutes=_minutes() / 2):
        party_sessions.touch(row, minutes=_minutes())  # an active party is not signed out mid-reading
        db.session().commit()
    return None


def consent_gate(view_args: dict[str, Any]) -> ResponseReturnValue | None:
    """The consent rule for every gated page about a document (DESIGN.md: consent gate): the
    consent service in ``court/services/consent.py`` decides; without consent in force the
    document page sends the party to the consent page, and every other page (images, the file,
    signing, refusing, progress) is refused with 403: nothing is read, downloaded, signed or refused
    without consent, by any request. None lets the page go on; pages without a document (home,
    the consent page itself) are not gated here."""
    document_id = view_args.get("document_id")
    if document_id is None:
        return None
    acc = party_document(int(document_id))
    if consent_rules.may_serve(db.session(), acc.party):
        return None
    if request.method != "GET" or request.endpoint != "party.document":
        return problem(_("尚未同意电子送达"), _("请先同意电子送达，再查看或签收本案文书。"), 403)
    return redirect(url_for("party.consent_page", case_id=acc.document.case_id,
                            next=url_for("party.document", document_id=acc.document.id)))


def wechat_landing(exchange_path: str) -> ResponseReturnValue | None:
    """``?code=…&state=doc…`` from WeChat's OAuth: sign the openid's *verified* person in (their
    face check in this browser is still to come), or say why not. None when there is no code."""
    code = request.args.get("code")
    if not code or not request.args.get("state", "").startswith("doc"):
        return None
    try:
        openid = import_string(exchange_path)(code[:128])
    except Exception:  # bot.oauth.OAuthError and transport failures alike: ask to reopen
        current_app.logger.info("WeChat OAuth code refused")
        openid = None
    s = db.session()
    who = binding.person_for(s, "wechat", openid) if openid else None
    if who is None:
        return problem(_("无法确认您的微信身份"),
                       _("请先在法院微信公众号中完成实名认证并关联案件，再从公众号消息打开本页面。"), 403)
    set_auth(who, party_sessions.own_parties(s, who.id), "wechat")
    s.commit()
    return redirect(request.path)


def party_page(*, need_face: bool = True, refuse: str = "redirect", next_endpoint: str | None = None,
               oauth: bool = False, consent: bool = True) -> Callable[[Callable[..., ResponseReturnValue]], Callable[..., ResponseReturnValue]]:
    """Guard a party page: a live server-side session, a face check passed in it (``need_face``),
    then the consent gate (``consent=False`` only for pages that show no document: the receipt of
    a service already made, the desktop hand-off). ``refuse`` says how a page that cannot redirect says no (``"403"`` for
    images and files, ``"json"`` for polled status); ``next_endpoint`` is where to come back to
    (default: this page); ``oauth`` lets WeChat's OAuth code sign the browser in first."""
    def decorate(view: Callable[..., ResponseReturnValue]) -> Callable[..., ResponseReturnValue]:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            if oauth:
                landing = wechat_landing(current_app.config["WECHAT_OAUTH_EXCHANGE"])
                if landing is not None:
                    return landing
            back = url_for(next_endpoint, **kwargs) if next_endpoint else request.full_path.rstrip("?")
            doc_id = kwargs.get("document_id")
            stop = gate(back, need_face=need_face, document_id=int(doc_id) if doc_id is not None else None)
            if stop is None and consent:
                stop = consent_gate(kwargs)
            if stop is not None:
                if refuse == "403":
                    abort(403)
                if refuse == "json":
                    return jsonify(error=_("请重新打开链接")), 403
                return stop
            return view(*args, **kwargs)

        return guarded

    return decorate
