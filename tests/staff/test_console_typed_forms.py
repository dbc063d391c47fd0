"""The console takes a case number and a phone however a clerk types them, through the same
validators as the bot, the party pages and the API (court.casenumbers, court.phones)."""
from __future__ import annotations

from sqlalchemy import select

from court import db
from court.models import Case, Party
from tests.support.factories import id_number


def test_case_number_brackets_and_a_full_width_international_phone(console):
    console.login()
    r = console.post("/console/cases", {"number": "〔2026〕京0491民初９０号", "type": "civil"})
    assert r.status_code == 302
    case_id = int(r.headers["Location"].rstrip("/").split("/")[-1])
    assert db.session().get(Case, case_id).number == "（2026）京0491民初90号"
    created = console.post(f"/console/cases/{case_id}/parties",
                           {"role": "defendant", "name": "吉𠮷", "id_number": id_number(seq="444"),
                            "phone": "＋８６ 138-0013-8000"})
    assert created.status_code == 303
    party = db.session().scalars(select(Party).where(Party.case_id == case_id)).one()
    assert party.phone == "13800138000" and party.name == "吉𠮷"
    console.post("/console/cases", {"number": "（2026）京0491民初91号", "type": "civil"})
    found = console.get("/console/cases?q=(2026)京0491民初90").get_data(as_text=True)
    assert "（2026）京0491民初90号" in found and "（2026）京0491民初91号" not in found  # typed with ASCII brackets
