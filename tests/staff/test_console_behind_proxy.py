"""Behind a reverse proxy (TRUSTED_PROXIES=1) every request comes from the proxy's address;
the limits must key on the real client the proxy names in X-Forwarded-For."""
from __future__ import annotations

import pytest

from tests.support.console import PASSWORD

PROXY = "10.0.0.1"


@pytest.fixture
def config(config):
    config.TRUSTED_PROXIES = 1
    return config


def _via_proxy(client, console, client_addr, password):  # noqa: F811
    return client.post("/console/login", data={"username": "clerk1", "password": password,
                                               "csrf_token": console.token()},
                       environ_base={"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": client_addr})


def test_a_stranger_behind_the_proxy_does_not_block_colleagues(client, console):  # noqa: F811
    for _ in range(5):
        assert _via_proxy(client, console, "203.0.113.9", "wrong password 1").status_code == 401
    assert _via_proxy(client, console, "203.0.113.9", "wrong password 1").status_code == 429
    assert _via_proxy(client, console, "10.20.30.40", PASSWORD).status_code == 302


def test_only_the_proxy_s_own_hop_is_trusted(client, console):  # noqa: F811
    """A client that prepends its own X-Forwarded-For entries is still keyed on the address the
    proxy saw (the last hop), so forging entries gains nothing."""
    for i in range(5):
        forged = f"1.1.1.{i}, 203.0.113.9"
        assert _via_proxy(client, console, forged, "wrong password 1").status_code == 401
    assert _via_proxy(client, console, "7.7.7.7, 203.0.113.9", "wrong password 1").status_code == 429
