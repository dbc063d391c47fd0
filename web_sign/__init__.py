"""Mobile pages for parties (``/m/…``) and the public verify page (``/verify``).

A party arrives from an SMS link, from a WeChat message, or from a QR code shown on a desktop,
proves who they are (SMS one-time code to the phone the court registered, then a face check),
consents to electronic service for the case if they have not yet, reads the document (pages
rendered to images on the server), and signs it with their handwritten signature. A job applies
the signature; the page shows progress and then the receipt with the sealed e-service
credential.

Session contract (the browser session is Flask's signed cookie)
---------------------------------------------------------------
``notify``'s SMS-link landing ``/s/<token>`` validates the token, then sets::

    session["sms_link"] = {"party_id": int, "document_id": int | None, "purpose": str,
                           "link_id": int, "opened_at": str}

and redirects to ``/m/documents/<document_id>`` (``/m/verified`` for a link sent after a clerk
verified the party, purpose ``identity``). A spent, expired or revoked link is
``notify``'s page.
The WeChat route is ``/m/documents/<id>?code=…&state=…`` (``bot.oauth.document_url``): the
code is exchanged for the openid through the dotted path in ``WECHAT_OAUTH_EXCHANGE`` (so this
package needs no import of ``bot``), and the openid's ``ChannelBinding`` names the person.

What these pages add (``web_sign.access``)::

    session["m_sid"] = "<opaque random token>"

and nothing else about who the browser is: the token names a server-side ``PartySession`` row
(person, ``party_ids``, how it came in (``sms``, ``wechat``, ``staff``), the phone whose SMS code
it entered, the face check it queued), set once the SMS code is right (or a *verified* WeChat
binding is found, or a clerk's one-time link is opened at ``/m/verified``, which makes the clerk's
passed check this session's own). The row is the
truth on every web server: logout, a face check passed in another session, or staff revoking the
party's access end it, and a copied cookie stops working at once. Face checks are owned by the
session (``court.services.identity_checks.holder``); a pass elsewhere unlocks nothing here, and
no photo is taken before this session agreed to the face notice (``court.services.face_consent``).
Every page goes through ``@access.party_page`` (session, then the identity step the act needs
(``court.services.party_sessions.may_read``: a face check in this session, or a returning party
re-reading what was served on her), then the consent hook; signing always needs a fresh check). ``party_ids`` are the parties this browser may act for; a document is shown only
when one of those parties has a step in its flow or a service record for it. Ids in URLs are never
enough on their own: anything else is 404.
"""
from __future__ import annotations

from flask import Flask

# each module's pages join the one party blueprint as it is imported (one module per act)
from web_sign import (  # noqa: F401
    consent_page,
    documents,
    handoff,
    home,
    identity_routes,
    identity_step,
    receipt,
    sign,
    text_size,  # the large-text switch on every party page
)
from web_sign.blueprint import bp as party_bp
from web_sign.verify import bp as verify_bp


def init_app(app: Flask) -> None:
    app.config.setdefault("WECHAT_OAUTH_EXCHANGE", "bot.oauth.openid_from_code")
    app.register_blueprint(party_bp)
    app.register_blueprint(verify_bp)
    app.extensions.setdefault("csrf_blueprints", set()).update({party_bp.name, verify_bp.name})
