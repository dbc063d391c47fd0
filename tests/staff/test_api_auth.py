"""Every staff API endpoint refuses callers without a valid key, and role checks hold."""
import re

import pytest

from staff.api.openapi import OPERATIONS


def _concrete(rule: str) -> str:
    return re.sub(r"<(?:\w+:)?\w+>", "1", rule)


@pytest.mark.parametrize("op", [o for o in OPERATIONS if not o.public], ids=lambda o: f"{o.method} {o.rule}")
def test_every_endpoint_needs_a_key(client, court_setup, op):
    path = "/api/v1" + _concrete(op.rule)
    missing = client.open(path, method=op.method)
    assert missing.status_code == 401 and missing.json["error"]["code"] == "unauthenticated"
    forged = client.open(path, method=op.method, headers={"Authorization": "Bearer ck_forged"})
    assert forged.status_code == 401


@pytest.mark.parametrize("method,path,role", [
    ("post", "/cases", "seal_approver"),
    ("post", "/staff", "clerk"),
    ("post", "/flows/1/steps/1/approve", "clerk"),
])
def test_roles_are_enforced(api, method, path, role):
    r = api(method, path, role=role, json={})
    assert r.status_code == 403 and r.json["error"]["code"] == "forbidden"


def test_deactivated_staff_key_stops_working(api, s):
    member, _key = api.members["clerk"]
    member.active = False
    s.commit()
    assert api("get", "/me").status_code == 401


def test_me_and_staff_creation(api):
    me = api("get", "/me", role="judge")
    assert me.status_code == 200 and me.json["role"] == "judge"
    created = api("post", "/staff", role="admin", json={"username": "clerk2", "name": "书记员二", "role": "clerk"})
    assert created.status_code == 201 and created.json["api_key"].startswith("ck_")
    again = api("get", "/me", headers={"Authorization": f"Bearer {created.json['api_key']}"})
    assert again.json["username"] == "clerk2"
    dup = api("post", "/staff", role="admin", json={"username": "clerk2", "name": "x", "role": "clerk"})
    assert dup.status_code == 409


def test_openapi_document_and_docs_page(client):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.0")
    assert "/api/v1/cases/{case_id}/documents" in spec["paths"]
    assert "CaseIn" in spec["components"]["schemas"]
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and b"swagger-ui-bundle.js" in page.data
    assert client.get("/api/v1/docs/assets/swagger-ui-bundle.js").status_code == 200


def test_unknown_route_is_json_404(api):
    r = api("get", "/nothing-here")
    assert r.status_code == 404 and r.json["error"]["code"] == "not_found"
