"""Fixtures for the identity tests: a Baidu stand-in, people, cases, photos."""
from __future__ import annotations

import pytest

from court import db
from identity import settings
from tests.support.baidu_standin import API_KEY, APP_ID, SECRET_KEY, BaiduStandIn
from tests.support.factories import id_number


@pytest.fixture
def standin():
    server = BaiduStandIn()
    server.url = server.start()
    yield server
    server.stop()


@pytest.fixture
def use_baidu(app, standin):
    """Switch the face provider to the real baidu-aip client talking to the stand-in."""

    def _use(**changes):
        values = dict(face_provider="baidu", baidu_app_id=APP_ID, baidu_api_key=API_KEY,
                      baidu_secret_key=SECRET_KEY, baidu_api_base=standin.url,
                      face_timeout_seconds=2.0, face_connect_timeout_seconds=1.0)
        values.update(changes)
        return settings.configure(**values)

    _use()
    return _use


@pytest.fixture
def person(app):
    from identity import registration

    s = db.session()
    p = registration.register(s, real_name="张三", id_number=id_number(), phone="13800138000")
    s.commit()
    return p


@pytest.fixture
def case(app):
    from court.services import cases, staff

    s = db.session()
    court = staff.create_court(s, "北京互联网法院", "京0491")
    c = cases.create_case(s, court, "（2026）京0491民初123号", "civil", "网络购物合同纠纷")
    s.commit()
    return c
