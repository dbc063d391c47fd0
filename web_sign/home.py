"""The party's list of her documents, grouped by what she still has to do, and leaving.

Which group a document is in is ``court.services.party_documents.list_state``; which documents
she may see at all is ``web_sign.access``.
"""
from __future__ import annotations

from typing import Any

from flask import redirect, render_template, session, url_for
from flask.typing import ResponseReturnValue

from court import db
from court.i18n import _
from court.models import Case, DocumentKind
from court.services import party_documents, party_sessions
from web_sign import access
from web_sign.blueprint import bp
from web_sign.identity_step import OTP_SENT
from web_sign.replies import problem

GROUPS = (("to_sign", _("待签署")), ("waiting", _("等待他人")), ("signed", _("已签署")), ("served", _("已送达")),
          ("refused", _("已拒签")))


@bp.get("/")
@access.party_page()
def home() -> ResponseReturnValue:
    s = db.session()
    groups: dict[str, list[dict[str, Any]]] = {key: [] for key, _label in GROUPS}
    cases: dict[int, Case] = {}
    row = access.current()
    as_agent = party_sessions.agent_for(s, row) if row is not None else set()
    for doc, party in party_documents.visible_documents(s, access.party_ids()):
        if doc.kind is DocumentKind.CREDENTIAL:
            continue
        cases[doc.case_id] = doc.case
        groups[party_documents.list_state(s, doc, party)].append(
            {"doc": doc, "party": party, "for_name": party.name if party.id in as_agent else None})
    for items in groups.values():
        items.sort(key=lambda i: (i["doc"].case_id, i["doc"].kind.value, -i["doc"].id))
    return render_template("m/home.html", groups=[(k, _(label), groups[k]) for k, label in GROUPS], cases=cases)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    access.sign_out()
    db.session().commit()
    for key in (*access.LINK_KEYS, OTP_SENT):
        session.pop(key, None)
    return redirect(url_for("party.logged_out"))


@bp.get("/logged-out")
def logged_out() -> ResponseReturnValue:
    """Where logging out lands (a GET, so back and reload show it again instead of re-posting)."""
    return problem(_("已退出"), _("您已安全退出。再次查看文书请重新打开法院发送的链接。"), 200)
