"""Cases, parties and association codes through the staff API."""
import pytest

from tests.support.factories import id_number


@pytest.fixture
def case_id(api):
    r = api("post", "/cases", json={"number": "(2026)京0491民初123号", "type": "civil", "title": "合同纠纷"})
    assert r.status_code == 201
    return r.json["id"]


def test_create_and_list_cases(api, case_id):
    got = api("get", f"/cases/{case_id}")
    assert got.json["number"] == "（2026）京0491民初123号" and got.json["status"] == "open"
    listed = api("get", "/cases?number=民初123")
    assert listed.json["total"] == 1 and listed.json["items"][0]["id"] == case_id
    assert api("post", "/cases", json={"number": "（2026）京0491民初123号"}).status_code == 409


@pytest.mark.parametrize("body,field", [
    ({"number": "民初123号"}, None),
    ({"number": "（2026）京0491民初1号", "type": "space"}, "type"),
    ({"number": "（2026）京0491民初1号", "extra": 1}, "extra"),
    ({}, "number"),
])
def test_case_validation_errors(api, body, field):
    r = api("post", "/cases", json=body)
    assert r.status_code in (400, 422)
    assert r.json["error"]["message"]
    if field:
        assert field in [d["field"] for d in r.json["error"]["details"]]


def test_malformed_json_is_a_clear_4xx(api):
    r = api("post", "/cases", data="{not json", content_type="application/json")
    assert r.status_code == 400 and r.json["error"]["code"] == "json_required"
    r = api("post", "/cases", data="number=1", content_type="application/x-www-form-urlencoded")
    assert r.status_code == 415


def test_english_error_messages(api):
    r = api("post", "/cases?lang=en", json={"number": "civil-123-abc"})
    assert r.status_code == 400 and "case number" in r.json["error"]["message"].lower()


def test_add_parties_returns_codes_once(api, case_id):
    r = api("post", f"/cases/{case_id}/parties", json={"parties": [
        {"role": "plaintiff", "name": "张三", "id_number": id_number(seq="111"), "phone": "13800000001"},
        {"role": "defendant", "name": "李四", "id_number": id_number(seq="222")},
    ]})
    assert r.status_code == 201
    codes = [p["association_code"] for p in r.json]
    assert len(set(codes)) == 2 and all(len(c) == 14 for c in codes)
    assert r.json[0]["id_number_masked"].startswith("1101") and "*" in r.json[0]["id_number_masked"]
    assert r.json[0]["phone_masked"] == "138****0001"
    listed = api("get", f"/cases/{case_id}/parties")
    assert "association_code" not in listed.json[0]
    assert listed.json[0]["joined"] is False


def test_bad_party_input(api, case_id):
    bad_id = api("post", f"/cases/{case_id}/parties", json={"parties": [
        {"role": "defendant", "name": "李四", "id_number": "110101199003071230"}]})
    assert bad_id.status_code == 400 and bad_id.json["error"]["code"] == "bad_id_number"
    bad_role = api("post", f"/cases/{case_id}/parties", json={"parties": [{"role": "judge", "name": "x"}]})
    assert bad_role.status_code == 422
    assert api("get", f"/cases/{case_id}/parties").json == []


def test_the_same_person_is_not_added_twice(api, case_id):
    person = {"role": "defendant", "name": "李四", "id_number": id_number(seq="222")}
    assert api("post", f"/cases/{case_id}/parties", json={"parties": [person]}).status_code == 201
    again = api("post", f"/cases/{case_id}/parties", json={"parties": [dict(person, role="third_party")]})
    assert again.status_code == 409 and again.json["error"]["code"] == "party_exists"
    twice_in_one = api("post", f"/cases/{case_id}/parties", json={"parties": [
        {"role": "plaintiff", "name": "张三", "phone": "13800000001"},
        {"role": "plaintiff", "name": "张三", "phone": "13800000001"}]})
    assert twice_in_one.status_code == 409
    assert [p["name"] for p in api("get", f"/cases/{case_id}/parties").json] == ["李四"]  # nothing half-added


def test_remove_a_party_entered_by_mistake(api, case_id):
    r = api("post", f"/cases/{case_id}/parties", json={"parties": [{"role": "defendant", "name": "李四"}]})
    pid = r.json[0]["id"]
    assert api("delete", f"/parties/{pid}").status_code == 204
    assert api("get", f"/cases/{case_id}/parties").json == []
    assert api("delete", f"/parties/{pid}").status_code == 404


def test_regenerate_code(api, case_id):
    r = api("post", f"/cases/{case_id}/parties", json={"parties": [{"role": "defendant", "name": "李四"}]})
    pid = r.json[0]["id"]
    again = api("post", f"/parties/{pid}/code")
    assert again.status_code == 201 and again.json["association_code"] != r.json[0]["association_code"]
    assert api("post", "/parties/9999/code").status_code == 404


def test_other_courts_cases_are_invisible(api, s, case_id):
    from court.models import StaffRole
    from court.services import staff as staff_service

    other = staff_service.create_court(s, "上海市第一中级人民法院", "沪01")
    _, key = staff_service.create_staff(s, other, "sh-clerk", "书记员", StaffRole.CLERK)
    s.commit()
    r = api("get", f"/cases/{case_id}", headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 404


def test_add_event_needs_timezone(api, case_id):
    ok = api("post", f"/cases/{case_id}/events", json={"kind": "hearing", "title": "开庭", "at": "2030-12-01T09:30:00+08:00"})
    assert ok.status_code == 201 and ok.json["at"].startswith("2030-12-01T01:30:00")
    naive = api("post", f"/cases/{case_id}/events", json={"kind": "hearing", "title": "开庭", "at": "2030-12-01T09:30:00"})
    assert naive.status_code == 400
