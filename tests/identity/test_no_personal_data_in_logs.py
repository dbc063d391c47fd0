"""A full registration logged at DEBUG on every logger shows no ID number, phone number,
name, one-time code or Baidu credential in clear."""
import logging

import pytest
from sqlalchemy import select

from court import db
from court.models import Notification
from identity import consent, otp, registration
from tests.support.baidu_standin import SECRET_KEY
from tests.support.factories import id_number
from tests.support.identity import face_photo, record_reply, replies, request_with_consent

NAME = "欧阳娜娜"
PHONE = "13912345678"
NUMBER = id_number(region="440305", born="19850612", seq="274")


@pytest.fixture
def every_logger_at_debug(caplog):
    caplog.set_level(logging.DEBUG)
    saved = {}
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger):
            saved[name] = logger.level
            logger.setLevel(logging.DEBUG)
    yield caplog
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)


def test_full_registration_logs_nothing_personal(app, use_baidu, standin, case, run_jobs, every_logger_at_debug):
    caplog = every_logger_at_debug
    db.engine().dispose()  # new connections pick up the DEBUG level for SQL logging
    s = db.session()
    person = registration.register(s, real_name=NAME, id_number=NUMBER, phone=PHONE)
    otp.send_code(s, PHONE, "register", person_id=person.id)
    s.commit()
    code = s.scalar(select(Notification).order_by(Notification.id.desc())).params["code"]
    otp.verify_code(s, PHONE, "register", code)
    from court.services import identity_checks

    request_with_consent(s, person.id, face_photo(), holder_id=identity_checks.holder("wechat", "o-log-test"),
                       channel="wechat", reply_to={"job": record_reply.path, "chat": 1})
    s.commit()
    run_jobs(("default",))
    s = db.session()
    person, case = s.merge(person), s.merge(case)
    assert replies()[0]["outcome"]["ok"] is True
    consent.give(s, person, case, channels=["sms"], address={"sms": PHONE}, method="bot")
    s.commit()

    text = caplog.text
    assert "INSERT INTO person" in text and "face/v3/person/verify" in text  # DEBUG logging really ran
    token = next(iter(standin.tokens))
    for secret in (NUMBER, NUMBER[:6] + NUMBER[6:14], NUMBER[-8:], PHONE, PHONE[3:], NAME, code, SECRET_KEY, token):
        assert secret not in text, f"{secret!r} appears in the log"
    assert PHONE[:3] + "****" + PHONE[-4:] in text  # masked numbers are fine
