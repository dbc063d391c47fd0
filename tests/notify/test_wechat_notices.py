"""Staff notices on WeChat as the platform takes them today: typed fields only (nothing in
first/remark), staff times turned into WeChat's time format, and a time WeChat could not show
refused when the push is made (a clear 400, not a failure at send time)."""
from __future__ import annotations

from sqlalchemy import select

from court.models import NotificationStatus, Party, PartyRole
from tests.notify.conftest import bind_wechat, notifications, read
from tests.notify.test_push import _cases
from wechat import rules as wechat_rules


def test_summons_on_wechat_has_typed_fields_the_phone_shows(api, run_jobs, wechat):
    case_ids = _cases(api, 1)
    defendant = read(select(Party).where(Party.role == PartyRole.DEFENDANT))[0]
    bind_wechat(defendant, "oWX-defendant")
    resp = api("post", "/notices", json={
        "case_ids": case_ids, "recipients": {"roles": ["defendant"]}, "template": "summons",
        "fields": {"time": "2030年12月1日下午2时30分", "place": "北京互联网法院第三法庭（审判楼二层东侧尽头）",
                   "matter": "庭审"}})
    assert resp.status_code == 202, resp.get_json()
    run_jobs()
    [n] = notifications()
    assert n.channel == "wechat" and n.status is NotificationStatus.SENT
    data = wechat.calls[-1]["params"]["data"]
    assert list(data) == ["thing1", "time2", "thing3", "thing4", "thing5"]
    assert data["thing1"]["value"] == "（2026）京0491民初200号"
    assert data["time2"]["value"] == "2030年12月01日 14:30"
    assert data["thing3"]["value"] == "北京互联网法院第三法庭（审判楼二层东…）"  # 20, bracket closed
    assert "到庭" in data["thing5"]["value"]
    assert all(wechat_rules.problem(k, v["value"]) is None for k, v in data.items())


def test_a_time_wechat_cannot_show_is_refused_when_pushing(api):
    case_ids = _cases(api, 1)
    resp = api("post", "/notices", json={"case_ids": case_ids, "recipients": {"all": True},
                                         "template": "hearing_notice", "fields": {"time": "下周一上午", "place": "第三法庭"}})
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "bad_time"
    assert "2026年12月1日 9:30" in resp.get_json()["error"]["message"]
