"""The web path asks the same validators as the bot (court.names, court.phones, court.casenumbers):
a name with rare characters and a phone typed the international, full-width way go from the staff
API through the party pages' SMS code to a registered person."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from court import db
from court.models import Person
from tests.support.factories import id_number
from tests.web_sign.conftest import csrf, needs_identity
from tests.web_sign.test_identity_pages import open_link, sent_code

pytestmark = needs_identity


@pytest.mark.parametrize("name", ["王䶮", "吉𠮷"])
def test_rare_name_and_full_width_phone_from_the_api_to_the_party_pages(client, api, name):
    case = api("post", "/cases", json={"number": "(2026)京0491民初７号", "type": "civil"})
    assert case.status_code == 201 and case.get_json()["number"] == "（2026）京0491民初7号"
    added = api("post", f"/cases/{case.get_json()['id']}/parties", json={"parties": [
        {"role": "plaintiff", "name": name, "id_number": id_number(), "phone": "＋８６ 138-0013-8000"}]})
    assert added.status_code == 201, added.get_json()
    party = added.get_json()[0]
    assert party["phone_masked"] == "138****8000"

    from court.models import Party

    open_link(client, db.session().get(Party, party["id"]), None)
    token = csrf(client, "/m/identity")
    sent = client.post("/m/identity/send", data={"csrf_token": token}, follow_redirects=True).get_data(as_text=True)
    assert "验证码已发送至 138****8000" in sent
    ok = client.post("/m/identity/verify", data={"csrf_token": token, "code": sent_code("13800138000")})
    assert ok.status_code == 302 and "/m/face" in ok.headers["Location"]
    db.session().expire_all()
    assert db.session().scalars(select(Person.real_name)).one() == name


def test_api_refuses_a_party_phone_that_is_not_a_mainland_mobile(api):
    case = api("post", "/cases", json={"number": "（2026）京0491民初8号", "type": "civil"}).get_json()
    bad = api("post", f"/cases/{case['id']}/parties", json={"parties": [
        {"role": "plaintiff", "name": "张三", "phone": "+1 415 555 0100"}]})
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "bad_phone"
