"""WeChat as it behaves today, through the public interfaces: notices sent by the real outbox
and provider to the app's own simulator, which applies WeChat's rules (first/remark dropped,
typed fields checked with 47003, keyword fields cut at 20, 45015 outside the 48-hour window,
43004 once unfollowed) and shows the message as the phone would; voice through /wechat XML."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from bot.simulator import state as sim
from config import StartupRefused
from court import db
from court.chinatime import CHINA
from court.models import AuditEvent, Notification, NotificationStatus
from court.services import outbox
from tests.handlers.test_flows import register, send_selfie, verify_face
from tests.notify.conftest import consent_for
from wechat import client, templates, window

OPENID = "oNOTICEaaaaaaaaaaaaaaaaaaaaa"
LONG_TITLE = "张三诉李四网络购物合同纠纷一案关于管辖权异议的民事裁定书"
COURT = "北京市第四中级人民法院知识产权审判庭"  # 18 characters
BASE = {"court": COURT, "case_number": "（2026）京0491民初101号", "kind": "裁定书", "title": LONG_TITLE,
        "days": 7}
PARAMS = {
    "document_ready": BASE, "sign_request": BASE, "flow_finished": BASE,
    "hearing_notice": {**BASE, "time": "2030年12月1日上午9时30分", "place": "本院第三法庭（审判楼二层东侧）"},
    "summons": {**BASE, "time": "2030-12-01 14:00", "place": "第三法庭", "matter": "庭审"},
    "general_notice": {**BASE, "content": "请于收到本通知之日起十日内向本院提交证据材料原件，逾期视为放弃举证权利。"},
    "receipt_confirmation": {**BASE, "receipt_number": "SR-2026-000123", "at": "2026-11-30T02:00:00+00:00"},
    "face_result": {"result": "认证通过", "at": "2026-11-30T02:00:00+00:00"},
}
# what the phone must say for each kind (besides the case number where the kind has one)
MUST_SHOW = {
    "document_ready": ("裁定书", "查看并签收"), "sign_request": ("裁定书", "签名"),
    "flow_finished": ("裁定书", "签署完成"), "hearing_notice": ("2030年12月01日 09:30", "到庭"),
    "summons": ("2030年12月01日 14:00", "到庭"), "general_notice": ("请于收到本通知之日起十日内", "…"),
    "receipt_confirmation": ("裁定书", "SR-2026-000123"), "face_result": ("认证通过", "服务号"),
}


def _phone(openid: str = OPENID) -> dict:  # type: ignore[type-arg]
    entry = sim.outbox(openid)[-1]
    assert entry["kind"] == "template"
    return entry["payload"]


def _send(run_jobs, template: str, params: dict, openid: str = OPENID, **kw) -> Notification:  # type: ignore[no-untyped-def]
    s = db.session()
    n = outbox.add(s, channel="wechat", address=openid, template=template, params=params, **kw)
    s.commit()
    nid = n.id
    run_jobs(("notify",))
    s = db.session()
    s.expire_all()
    row = s.get(Notification, nid)
    s.commit()
    return row


@pytest.mark.parametrize("kind", sorted(templates.WECHAT_LAYOUTS))
def test_every_notice_says_what_matters_in_fields_the_phone_shows(wechat, run_jobs, kind):
    n = _send(run_jobs, kind, PARAMS[kind])
    assert n.status is NotificationStatus.SENT, n.error
    payload = _phone()
    assert not {"first", "remark"} & set(payload["data"])
    shown = payload["shown"]
    assert shown["title"] == templates.WECHAT_LAYOUTS[kind].title
    text = " ".join(f"{label}：{value}" for label, value in shown["fields"])
    for words in MUST_SHOW[kind]:
        assert words in text, (kind, text)
    if "case_number" in {slot.name for slot in templates.WECHAT_LAYOUTS[kind].slots}:
        assert "案号：（2026）京0491民初101号" in text
    for _label, value in shown["fields"]:
        assert len(value) <= 20 and "\n" not in value
    # the phone shows exactly what was sent: nothing was cut by WeChat
    assert [v for _l, v in shown["fields"]] == [item["value"] for item in payload["data"].values()]


def test_a_long_title_is_shortened_keeping_the_kind_and_the_page_has_it_whole(wechat, run_jobs):
    _send(run_jobs, "document_ready", {**BASE, "title": "关于" + LONG_TITLE})
    fields = dict(_phone()["shown"]["fields"])
    assert fields["文书名称"] == "关于张三诉李四网络购物合同纠…民事裁定书"  # 20: the kind kept at the end
    _send(run_jobs, "document_ready", {**BASE, "title": "（2026）京0491民初101号案件庭审笔录附件清单"})
    fields = dict(_phone()["shown"]["fields"])
    assert fields["文书名称"] == "裁定书《（2026）京0491民初1…》"


def test_a_notice_cut_on_the_card_is_whole_behind_its_link(wechat, run_jobs):
    content = PARAMS["general_notice"]["content"]
    n = _send(run_jobs, "general_notice", PARAMS["general_notice"])
    payload = _phone()
    assert dict(payload["shown"]["fields"])["通知内容"].endswith("…")
    page = wechat.test_client().get(payload["url"].removeprefix("http://court.test"))
    assert page.status_code == 200 and content in page.get_data(as_text=True)
    s = db.session()
    s.expire_all()
    assert s.get(Notification, n.id).status is NotificationStatus.OPENED
    s.commit()
    forged = payload["url"].removeprefix("http://court.test")[:-2] + "xx"
    assert wechat.test_client().get(forged).status_code == 404


def test_simulator_applies_wechat_rules_to_whatever_it_is_sent(wechat):
    api = client.get_client()
    # an older keyword template: first/remark gone, colour ignored, emoji shown as □, cut at 20
    api.message.send_template(OPENID, "dev-tpl-document_ready", {
        "first": {"value": "您有一份法律文书送达，请查看并签收", "color": "#FF0000"},
        "keyword1": {"value": "北京市第四中级人民法院知识产权审判庭第二合议庭", "color": "#FF0000"},
        "keyword2": {"value": "请签收😀"}, "remark": {"value": "点击查看"}})
    shown = _phone()["shown"]["fields"]
    assert [v for _k, v in shown] == ["北京市第四中级人民法院知识产权审判庭第…", "请签收□"]
    # a category template's typed field that breaks its rule is refused, as WeChat does
    for data, key in (({"thing1": {"value": "长" * 21}}, "thing1"),
                      ({"character_string3": {"value": "（2026）京0491民初101号"}}, "character_string3"),
                      ({"time4": {"value": "明天上午"}}, "time4"), ({"phrase1": {"value": "认证没有通过了"}}, "phrase1")):
        with pytest.raises(client.WeChatClientException) as exc:
            api.message.send_template(OPENID, "dev-tpl-document_ready", data)
        assert exc.value.errcode == 47003 and f"data.{key}.value invalid" in exc.value.errmsg
    with pytest.raises(client.WeChatClientException) as exc:
        api.message.send_template(OPENID, "not-a-template-of-this-account", {"thing1": {"value": "x"}})
    assert exc.value.errcode == 40037


def test_simulator_page_shows_each_notice_as_a_phone_card(wechat, run_jobs):
    _send(run_jobs, "hearing_notice", PARAMS["hearing_notice"])
    page = wechat.test_client().get("/dev/wechat/").get_data(as_text=True)
    assert "开庭提醒" in page and "<dt>开庭时间</dt><dd>2030年12月01日 09:30</dd>" in page
    phones = page.split('<div class="phones">', 1)[1]
    assert "remark" not in phones and "first" not in phones and "开庭地点" in phones


def test_start_up_refuses_a_template_that_cannot_carry_its_kind(config):
    from app import create_app

    for spec, words in (
        ({"id": "tpl-1", "fields": {"doc": "thing1", "action": "thing3"}}, "案号"),
        ({"id": "tpl-1", "fields": {**templates.default_wechat_fields("document_ready"),
                                    "case_number": "character_string2"}}, "character_string"),
        ({"id": "tpl-1", "fields": {**templates.default_wechat_fields("document_ready"), "action": "remark"}}, "remark"),
    ):
        bad = config.replace(WECHAT_TEMPLATE_IDS={"document_ready": spec})
        with pytest.raises(StartupRefused) as exc:
            create_app(bad)
        assert words in str(exc.value)
    good = config.replace(WECHAT_TEMPLATE_IDS={"document_ready": {
        "id": "tpl-1", "fields": {"doc": "thing7", "case_number": "thing2", "action": "thing9"}}})
    assert create_app(good) is not None


# --- the 48-hour window and the fallbacks ---------------------------------------------------

def _age(openid: str, hours: float) -> None:
    """Make the user's last message ``hours`` old, on both sides (ours and WeChat's)."""
    at = time.time() - hours * 3600
    window.touch(openid, "text", at=at)
    sim.user_acted(openid, "text", at=at)


def test_face_result_49_hours_after_the_last_message_arrives_as_a_template(make_user, run_jobs, s):
    user = make_user("oLATEaaaaaaaaaaaaaaaaaaaaaaa")
    register(user)
    assert "正在核验" in send_selfie(user)
    _age(user.openid, 49)  # the face-check queue was slow
    assert not window.is_open(user.openid)
    run_jobs(("default",))
    run_jobs(("notify",))
    pushed = user.pushed()
    assert [e["kind"] for e in pushed] == ["template"]  # no customer message (45015), the template instead
    fields = dict(pushed[0]["payload"]["shown"]["fields"])
    assert fields["核验结果"] == "认证通过" and "服务号" in fields["温馨提示"]
    s.expire_all()
    n = s.scalars(select(Notification).where(Notification.template == "face_result")).one()
    assert n.channel == "wechat" and n.status is NotificationStatus.SENT and n.person_id is not None


def test_face_result_to_a_user_who_unfollowed_goes_by_sms(make_user, run_jobs, s):
    """A bound user re-verifies, then unfollows before the result comes: it goes by SMS. (A user
    who was never bound is nobody we may text: their conversation ended with the unfollow.)"""
    user = make_user("oGONEaaaaaaaaaaaaaaaaaaaaaaa")
    register(user)
    verify_face(user, run_jobs)  # bound to 张三 now
    user.say("人脸认证")
    assert "正在核验" in send_selfie(user)
    user.unsubscribe()
    run_jobs(("default",))
    run_jobs(("notify",))
    s.expire_all()
    rows = s.scalars(select(Notification).where(Notification.template == "face_result").order_by(Notification.id)).all()
    assert [(n.channel, n.status) for n in rows] == [("wechat", NotificationStatus.FAILED),
                                                      ("sms", NotificationStatus.DELIVERED)]
    assert "43004" in rows[0].error and rows[1].address == "13800000001"
    assert rows[1].dedupe_key == f"fallback:{rows[0].id}:sms"


def test_within_the_window_the_result_is_a_customer_message(make_user, run_jobs, s):
    user = make_user("oSOONaaaaaaaaaaaaaaaaaaaaaaa")
    register(user)
    assert "正在核验" in send_selfie(user)
    _age(user.openid, 47)
    run_jobs(("default",))
    assert [e["kind"] for e in user.pushed()] == ["custom"]
    assert s.scalar(select(Notification.id).where(Notification.template == "face_result")) is None


def test_a_window_we_thought_open_but_wechat_refuses_falls_back(make_user, run_jobs, s):
    user = make_user("oSTALEaaaaaaaaaaaaaaaaaaaaaa")
    register(user)
    assert "正在核验" in send_selfie(user)
    sim.user_acted(user.openid, "text", at=time.time() - 50 * 3600)  # WeChat's clock says 50 hours
    run_jobs(("default",))
    run_jobs(("notify",))
    assert [e["kind"] for e in user.pushed()] == ["template"]


# --- errcodes, played by the simulator in WeChat's JSON ---------------------------------------

def _hearing(run_jobs, s, court_case, *, consent: bool = True) -> tuple[Notification, list[Notification]]:  # type: ignore[no-untyped-def]
    """A hearing notice to 张三 by WeChat (by default 张三 consented to electronic service, the
    court-entered phone confirmed in it)."""
    case, parties = court_case
    party, _code = parties["张三"]
    if consent:
        consent_for(party)
    n = _send(run_jobs, "hearing_notice", PARAMS["hearing_notice"], case_id=case.id, party_id=party.id)
    s.expire_all()
    sms = list(s.scalars(select(Notification).where(Notification.channel == "sms")))
    s.commit()
    return n, sms


def _token_fetches() -> int:
    from court import redis_conn

    return len(redis_conn.client().keys("sim:token:*"))


def test_expired_token_is_refreshed_once_and_the_notice_sent(wechat, run_jobs, s, court_case):
    sim.fail_next(42001)
    n, sms = _hearing(run_jobs, s, court_case)
    assert n.status is NotificationStatus.SENT and sms == [] and _token_fetches() == 2
    assert _phone()["shown"]["title"] == "开庭提醒"


def test_a_token_refused_again_after_refreshing_is_retried_later_not_looped(wechat, run_jobs, s, court_case):
    sim.fail_next(40001, 40001)
    n, sms = _hearing(run_jobs, s, court_case)
    assert n.status is NotificationStatus.PENDING and n.error.startswith("40001") and sms == []
    assert _token_fetches() == 2  # one refresh, then the error stood


def test_daily_quota_reached_is_retried_after_the_reset(wechat, run_jobs, s, court_case):
    from datetime import UTC, datetime, timedelta

    sim.fail_next(45009)
    n, sms = _hearing(run_jobs, s, court_case)
    assert n.status is NotificationStatus.PENDING and "45009" in n.error and sms == []
    due = n.next_attempt_at.replace(tzinfo=UTC).astimezone(CHINA)
    assert (due.hour, due.minute) == (0, 5) and due - datetime.now(CHINA) < timedelta(days=1, minutes=6)


def test_not_following_falls_back_to_sms(wechat, run_jobs, s, court_case):
    sim.fail_next(43004)
    n, sms = _hearing(run_jobs, s, court_case)
    assert n.status is NotificationStatus.FAILED and "43004" in n.error
    assert [(m.address, m.template, m.status) for m in sms] == [
        ("13800000001", "hearing_notice", NotificationStatus.DELIVERED)]


def test_invalid_openid_falls_back_to_sms_and_flags_the_binding_for_staff(wechat, run_jobs, s, court_case):
    from court.models import Case

    sim.fail_next(40003)
    n, sms = _hearing(run_jobs, s, court_case)
    assert n.status is NotificationStatus.FAILED and "40003" in n.error
    assert [m.address for m in sms] == ["13800000001"]
    s.expire_all()
    assert "微信绑定无效" in s.get(Case, n.case_id).needs_attention
    flag = s.scalar(select(AuditEvent).where(AuditEvent.action == "wechat.binding_invalid"))
    assert flag is not None and flag.details["suggestion"] == "unbind"


def test_a_party_without_consent_gets_no_sms_when_wechat_fails(wechat, run_jobs, s, court_case):
    """The fallback asks the consent service: no consent, no hearing notice by SMS (audited)."""
    sim.fail_next(43004)
    n, sms = _hearing(run_jobs, s, court_case, consent=False)
    assert n.status is NotificationStatus.FAILED and sms == []
    s.expire_all()
    why = s.scalar(select(AuditEvent).where(AuditEvent.action == "notification.no_fallback"))
    assert why is not None and why.details["reason"] == "no consent"


def test_the_fallback_sms_goes_to_the_phone_confirmed_in_the_consent(wechat, run_jobs, s, court_case):
    case, parties = court_case
    party, _code = parties["张三"]
    consent_for(party, address={"sms": "13900000009"})  # the party confirmed another number than the court's
    sim.fail_next(43004)
    n = _send(run_jobs, "hearing_notice", PARAMS["hearing_notice"], case_id=case.id, party_id=party.id)
    s.expire_all()
    sms = list(s.scalars(select(Notification).where(Notification.channel == "sms")))
    assert n.status is NotificationStatus.FAILED and [m.address for m in sms] == ["13900000009"]


def test_without_consent_only_the_document_waiting_notice_falls_back(wechat, run_jobs, s, court_case):
    """"A document is waiting" may reach a party without consent (its link leads to the consent page)."""
    case, parties = court_case
    party, _code = parties["张三"]
    sim.fail_next(43004)
    n = _send(run_jobs, "document_ready", PARAMS["document_ready"], case_id=case.id, party_id=party.id)
    s.expire_all()
    sms = list(s.scalars(select(Notification).where(Notification.channel == "sms")))
    assert n.status is NotificationStatus.FAILED
    assert [(m.address, m.template) for m in sms] == [("13800000001", "document_ready")]


def test_customer_message_refused_as_out_of_window_falls_back(make_user, run_jobs, s):
    user = make_user("oW45015aaaaaaaaaaaaaaaaaaaaa")
    register(user)
    assert "正在核验" in send_selfie(user)
    sim.fail_next(45015, api="message/custom/send")  # WeChat says the window is shut although our record says open
    run_jobs(("default",))
    run_jobs(("notify",))
    assert [e["kind"] for e in user.pushed()] == ["template"]
