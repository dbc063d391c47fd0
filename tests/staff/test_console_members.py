"""Admins manage the court's staff accounts in the console; secrets are shown once."""
import re

from court import db
from court.models import Staff


def _shown(page: str, label: str) -> str:
    return re.search(label + r'</p><div class="code-big mono">([^<]+)<', page).group(1)


def test_an_admin_creates_a_clerk_who_logs_in_and_uses_the_api(console, client):
    console.login("admin1")
    created = console.post("/console/staff", {"username": "clerk9", "name": "新书记员", "role": "clerk",
                                             "email": "clerk9@court.example"})
    assert created.status_code == 303
    page = console.get(created.headers["Location"]).get_data(as_text=True)
    password = _shown(page, "临时密码")
    key = re.search(r'<p class="mono" style="word-break:break-all">(ck_[^<]+)</p>', page).group(1)
    assert console.get(created.headers["Location"]).status_code == 410  # shown once
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {key}"}).json["username"] == "clerk9"

    client.post("/console/logout", data={"csrf_token": console.token("/console/")})
    assert console.login("clerk9", password).status_code == 302
    changed = console.post("/console/password", {"current": password, "new": "a new long password",
                                                 "repeat": "a new long password"}, follow_redirects=True)
    assert "密码已修改" in changed.get_data(as_text=True)
    assert console.get("/console/staff").status_code == 403  # clerks do not manage staff


def test_deactivating_a_member_stops_their_key_and_session(console, client):
    clerk, key = console.members["clerk"]
    console.login("admin1")
    r = console.post(f"/console/staff/{clerk.id}/active", {"active": "0"}, follow_redirects=True)
    assert "账号已停用" in r.get_data(as_text=True)
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {key}"}).status_code == 401
    assert db.session().get(Staff, clerk.id).active is False
    audit_row = "staff.deactivated"
    from sqlalchemy import select

    from court.models import AuditEvent

    assert db.session().scalar(select(AuditEvent).where(AuditEvent.action == audit_row)) is not None


def test_the_last_admin_cannot_be_removed_and_nobody_deactivates_themselves(console):
    admin, _key = console.members["admin"]
    console.login("admin1")
    r = console.post(f"/console/staff/{admin.id}/role", {"role": "clerk"}, follow_redirects=True)
    assert "至少需要保留一名管理员" in r.get_data(as_text=True)
    r = console.post(f"/console/staff/{admin.id}/active", {"active": "0"}, follow_redirects=True)
    assert "不能停用自己的账号" in r.get_data(as_text=True)
    assert db.session().get(Staff, admin.id).role.value == "admin"


def test_new_api_key_replaces_the_old_one(console, client):
    judge, old_key = console.members["judge"]
    console.login("admin1")
    r = console.post(f"/console/staff/{judge.id}/key")
    page = console.get(r.headers["Location"]).get_data(as_text=True)
    new_key = re.search(r'(ck_[A-Za-z0-9_\-]+)', page).group(1)
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {old_key}"}).status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {new_key}"}).status_code == 200


def test_a_duplicate_username_keeps_what_was_typed(console):
    console.login("admin1")
    r = console.post("/console/staff", {"username": "clerk1", "name": "重名的人", "role": "judge"})
    html = r.get_data(as_text=True)
    assert r.status_code == 409 and "用户名已存在" in html and 'value="重名的人"' in html
