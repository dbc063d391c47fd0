"""The WeChat route in: an OAuth code exchanged for the openid, whose binding names the person."""
from __future__ import annotations

from court import db
from court.models import ChannelBinding
from tests.web_sign.conftest import person_for, session_row

OPENIDS = {"good-code": "oWECHAT-alice"}


def fake_exchange(code: str) -> str:
    """Stands in for bot.oauth.openid_from_code (configured by dotted path)."""
    if code not in OPENIDS:
        raise ValueError("code refused")
    return OPENIDS[code]


def test_wechat_code_logs_the_bound_person_in(app, client, world):
    app.config["WECHAT_OAUTH_EXCHANGE"] = "tests.web_sign.test_wechat.fake_exchange"
    person = person_for(world.alice)
    s = db.session()
    s.add(ChannelBinding(person_id=person.id, channel="wechat", address="oWECHAT-alice", verified_at=db.utcnow()))
    s.commit()
    r = client.get(f"/m/documents/{world.doc.id}?code=good-code&state=doc{world.doc.id}")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/m/documents/{world.doc.id}")
    row = session_row(client)
    assert row.person_id == person.id and row.party_ids == [world.alice.id] and row.via == "wechat"
    # still a face check before the document is shown
    assert "/m/face" in client.get(f"/m/documents/{world.doc.id}").headers["Location"]
    # the code is not reusable as an id of someone else's document
    assert client.get(f"/m/documents/{world.doc.id + 100}").status_code in (302, 404)


def test_unknown_or_refused_code_is_403(app, client, world):
    app.config["WECHAT_OAUTH_EXCHANGE"] = "tests.web_sign.test_wechat.fake_exchange"
    r = client.get(f"/m/documents/{world.doc.id}?code=stale&state=doc{world.doc.id}")
    assert r.status_code == 403 and "无法确认您的微信身份" in r.get_data(as_text=True)
    OPENIDS["unbound"] = "oWECHAT-nobody"
    r = client.get(f"/m/documents/{world.doc.id}?code=unbound&state=doc{world.doc.id}")
    assert r.status_code == 403


def test_an_unproven_wechat_binding_signs_nobody_in(app, client, world):
    """A binding no face check stands behind (say, left by an old registration) names nobody."""
    app.config["WECHAT_OAUTH_EXCHANGE"] = "tests.web_sign.test_wechat.fake_exchange"
    person = person_for(world.alice)
    s = db.session()
    s.add(ChannelBinding(person_id=person.id, channel="wechat", address="oWECHAT-alice"))
    s.commit()
    r = client.get(f"/m/documents/{world.doc.id}?code=good-code&state=doc{world.doc.id}")
    assert r.status_code == 403 and session_row(client) is None
