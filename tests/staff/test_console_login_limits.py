"""Log-in limits from the attacker's side: a stranger who knows a staff username must not be
able to lock that person out, and correct log-ins never count as failures."""
from __future__ import annotations

import pytest

from staff.console import auth
from tests.support.console import PASSWORD

STRANGER = {"REMOTE_ADDR": "203.0.113.9"}
MEMBER = {"REMOTE_ADDR": "10.20.30.40"}


def _login(client, console, username, password, environ):  # noqa: F811
    token = console.token()
    return client.post("/console/login", data={"username": username, "password": password, "csrf_token": token},
                       environ_base=environ)


def test_stranger_cannot_lock_the_staff_member_out(client, console):  # noqa: F811
    for typed in ("clerk1 ", "CLERK1", "Clerk1", " clerk1", "clerk1"):
        assert _login(client, console, typed, "wrong password 1", STRANGER).status_code == 401
    blocked = _login(client, console, "clerk1 ", "wrong password 1", STRANGER)
    assert blocked.status_code == 429 and "登录尝试次数过多" in blocked.get_data(as_text=True)
    own = _login(client, console, "clerk1", PASSWORD, MEMBER)
    assert own.status_code == 302 and own.headers["Location"].endswith("/console/work")  # a clerk's start page


def test_variants_of_a_username_share_one_counter(client, console):  # noqa: F811
    for typed in ("clerk1", "CLERK1 ", "ｃｌｅｒｋ１", "Clerk1\t", " clerk1"):  # full-width too (NFKC)
        assert _login(client, console, typed, "wrong password 1", STRANGER).status_code == 401
    assert _login(client, console, "clerk1", PASSWORD, STRANGER).status_code == 429


def test_normalised_username_logs_in(client, console):  # noqa: F811
    assert _login(client, console, "  CLERK1 ", PASSWORD, MEMBER).status_code == 302


def test_correct_log_ins_do_not_count(client, console):  # noqa: F811
    for _ in range(8):
        assert _login(client, console, "clerk1", PASSWORD, MEMBER).status_code == 302


def test_a_success_resets_the_failures(client, console):  # noqa: F811
    for _round in range(3):
        for _ in range(4):
            assert _login(client, console, "clerk1", "typo typo typo", MEMBER).status_code == 401
        assert _login(client, console, "clerk1", PASSWORD, MEMBER).status_code == 302


def test_many_clients_together_still_meet_a_per_username_limit(client, console, monkeypatch):  # noqa: F811
    """The all-clients limit is much higher than the per-client one, but there is one."""
    monkeypatch.setattr(auth, "USER_LIMITS", (auth.ratelimit.Limit(6, 900),))
    for i in range(6):
        assert _login(client, console, "clerk1", "guess guess", {"REMOTE_ADDR": f"198.51.100.{i}"}).status_code == 401
    assert _login(client, console, "clerk1", "guess guess", {"REMOTE_ADDR": "198.51.100.99"}).status_code == 429


@pytest.mark.parametrize("forged", ["1.1.1.1", "2.2.2.2, 3.3.3.3"])
def test_without_trusted_proxies_forwarded_for_is_ignored(client, console, forged):  # noqa: F811
    """Directly reached (TRUSTED_PROXIES=0), a client cannot pick a fresh address per attempt."""
    for i in range(5):
        env = {**STRANGER, "HTTP_X_FORWARDED_FOR": f"{forged}{i}"}
        assert _login(client, console, "clerk1", "wrong password 1", env).status_code == 401
    env = {**STRANGER, "HTTP_X_FORWARDED_FOR": "9.9.9.9"}
    assert _login(client, console, "clerk1", "wrong password 1", env).status_code == 429
