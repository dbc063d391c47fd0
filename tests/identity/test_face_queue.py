"""Queued face checks: the image waits encrypted in Redis only, the job records the result
on the person and in the audit log, tells the caller's reply job, and is safe to run twice."""
import pytest
from sqlalchemy import select

from court import db, queue, redis_conn
from court.errors import DomainError, RateLimited
from court.models import AuditEvent, IdentityCheck, Person
from court.services import identity_checks
from identity import face
from identity.face import base, checks
from tests.support.identity import face_photo, record_reply, replies, request_with_consent

PHOTO = face_photo()
REPLY = {"job": record_reply.path, "openid": "o-test-user", "step": "face"}


def holder() -> str:
    """The conversation that asks for the checks in these tests."""
    return identity_checks.holder("wechat", "o-test-user")


def own() -> dict[str, str]:
    return {"holder_id": holder(), "channel": "wechat"}


def _person(s, person_id):
    s.expire_all()
    return s.get(Person, person_id)


def test_development_check_round_trip(s, person, run_jobs):
    request_with_consent(s, person.id, PHOTO, reply_to=REPLY, **own())
    assert queue.queue("default").count == 0  # nothing is sent before the caller commits
    s.commit()
    assert queue.queue("default").count == 1
    run_jobs(("default",))  # the check, then the reply job it enqueues
    p = _person(db.session(), person.id)
    assert p.face_result == base.PASS and p.face_provider == "development"
    assert p.face_verified_at is not None and p.face_checked_at is not None and p.face_score == 90.0
    check = face.fresh(db.session(), person.id, holder())
    assert check is not None and check.method == "face" and check.channel == "wechat"
    [reply] = replies()
    assert reply["reply_to"] == REPLY
    outcome = reply["outcome"]
    assert outcome["ok"] is True and outcome["development"] is True and outcome["score"] == 90.0
    assert outcome["check"] == check.id  # the caller learns which of its checks this was
    assert "开发环境" in outcome["message_zh"] and "development check" in outcome["message_en"]
    assert redis_conn.client().keys("identity:face:req:*") == []  # the image is gone


def test_nothing_is_queued_when_the_caller_rolls_back(s, person, run_jobs):
    request_with_consent(s, person.id, PHOTO, reply_to=REPLY, **own())
    s.rollback()
    assert run_jobs(("default",)) == 0


def test_image_is_encrypted_in_redis_and_never_in_the_database(s, person, run_jobs):
    request_with_consent(s, person.id, PHOTO, **own())
    s.commit()
    [key] = redis_conn.client().keys("identity:face:req:*")
    stored = redis_conn.client().get(key)
    assert PHOTO[:64] not in stored and len(stored) < len(PHOTO) + 64
    assert 0 < redis_conn.client().ttl(key) <= 600
    run_jobs(("default",))
    assert not redis_conn.client().exists(key)
    with db.engine().connect() as conn:  # no column of any table holds the photo
        from sqlalchemy import MetaData

        meta = MetaData()
        meta.reflect(conn)
        for table in meta.sorted_tables:
            for row in conn.execute(table.select()):
                for value in row:
                    if isinstance(value, bytes | str):
                        data = value.encode() if isinstance(value, str) else value
                        assert PHOTO[100:140] not in data


def test_baidu_check_through_the_queue(s, person, run_jobs, use_baidu, standin):
    standin.next_error(223114)
    request_with_consent(s, person.id, PHOTO, reply_to=REPLY, **own())
    s.commit()
    run_jobs(("default",))
    p = _person(db.session(), person.id)
    check = db.session().scalars(select(IdentityCheck)).one()
    assert check.status == "fail" and check.result == base.BLURRY and check.provider == "baidu" and check.ref
    assert p.face_verified_at is None and face.fresh(db.session(), person.id, holder()) is None
    outcome = replies()[0]["outcome"]
    assert outcome["ok"] is False and outcome["code"] == base.BLURRY and outcome["development"] is False
    assert "模糊" in outcome["message_zh"]
    event = db.session().scalar(select(AuditEvent).where(AuditEvent.action == "identity.face_checked"))
    assert event.details["result"] == base.BLURRY and event.details["provider_code"] == "223114"
    assert event.details["log_id"] == check.ref


def test_someone_elses_failure_neither_revokes_freshness_nor_spends_tries(s, person, run_jobs, use_baidu, standin):
    request_with_consent(s, person.id, PHOTO, **own())
    s.commit()
    run_jobs(("default",))
    assert face.fresh(db.session(), person.id, holder()) is not None
    stranger = identity_checks.holder("wechat", "o-stranger")
    for _ in range(5):
        standin.next_error(223120)
        request_with_consent(db.session(), person.id, PHOTO, holder_id=stranger, channel="wechat")
        db.session().commit()
        run_jobs(("default",))
    with pytest.raises(RateLimited):
        request_with_consent(db.session(), person.id, PHOTO, holder_id=stranger, channel="wechat")
    p = _person(db.session(), person.id)
    assert p.face_result == base.PASS  # a stranger's failure is not written on the person
    assert face.fresh(db.session(), person.id, holder()) is not None
    assert face.fresh(db.session(), person.id, stranger) is None
    assert face.attempts_left(holder()) == 4  # only the person's own attempt counts here


def test_a_per_person_cap_bounds_paid_calls_but_never_locks_out_a_proven_conversation(s, person):
    proven = identity_checks.open_check(s, person_id=person.id, method="face", provider="development",
                                        channel="wechat", holder_id=holder())
    identity_checks.decide(s, proven, ok=True, result="pass")
    for n in range(checks.PERSON_CAP_FACTOR * 5):  # strangers, each from a new WeChat account
        request_with_consent(s, person.id, PHOTO, holder_id=identity_checks.holder("wechat", f"t{n // 5}"),
                           channel="wechat")
    with pytest.raises(RateLimited):
        request_with_consent(s, person.id, PHOTO, holder_id=identity_checks.holder("wechat", "one-more"),
                           channel="wechat")
    request_with_consent(s, person.id, PHOTO, **own())  # the person's own proven conversation goes on
    request_with_consent(s, person.id, PHOTO, holder_id=identity_checks.holder("web", "s"), channel="web")


def test_service_failures_keep_the_previous_result_and_give_the_attempt_back(s, person, run_jobs, use_baidu, standin):
    request_with_consent(s, person.id, PHOTO, **own())
    s.commit()
    run_jobs(("default",))
    standin.next_error(18)
    request_with_consent(db.session(), person.id, PHOTO, reply_to=REPLY, **own())
    db.session().commit()
    assert face.attempts_left(holder()) == 3
    run_jobs(("default",))
    assert face.attempts_left(holder()) == 4
    p = _person(db.session(), person.id)
    assert p.face_result == base.PASS  # a busy service says nothing about who the person is
    assert replies()[0]["outcome"]["code"] == base.BUSY


def test_five_attempts_a_day(s, person):
    for _ in range(5):
        request_with_consent(s, person.id, PHOTO, **own())
    with pytest.raises(RateLimited) as err:
        request_with_consent(s, person.id, PHOTO, **own())
    assert err.value.code == "face_attempts_used"
    assert "每天最多5次" in err.value.localized()
    assert "at most 5 a day" in err.value.localized("en")


def test_expired_image_is_reported(s, person, run_jobs):
    request_with_consent(s, person.id, PHOTO, reply_to=REPLY, **own())
    s.commit()
    for key in redis_conn.client().keys("identity:face:req:*"):
        redis_conn.client().delete(key)
    run_jobs(("default",))
    outcome = replies()[0]["outcome"]
    assert outcome["code"] == base.EXPIRED and "重新拍摄" in outcome["message_zh"]
    assert _person(db.session(), person.id).face_result is None
    assert face.attempts_left(holder()) == 5


def test_job_is_idempotent(s, person, run_jobs):
    request_with_consent(s, person.id, PHOTO, reply_to=REPLY, **own())
    s.commit()
    run_jobs(("default",))
    [key] = redis_conn.client().keys("identity:face:done:*")
    check_id = key.decode().rsplit(":", 1)[1]
    assert checks.run_queued_check(person.id, check_id) is None
    run_jobs(("default",))
    assert len(replies()) == 1
    events = db.session().scalars(select(AuditEvent).where(AuditEvent.action == "identity.face_checked")).all()
    assert len(events) == 1


@pytest.mark.parametrize("image, code", [
    (b"", "face_image_missing"),
    (b"GIF89a....", "face_image_format"),
    (b"\xff\xd8\xff" + b"0" * (5 * 1024 * 1024), "face_image_too_large"),
])
def test_unusable_uploads_are_refused_without_using_an_attempt(s, person, image, code):
    with pytest.raises(DomainError) as err:
        request_with_consent(s, person.id, image, **own())
    assert err.value.code == code
    assert face.attempts_left(holder()) == 5


def test_unknown_person(s):
    with pytest.raises(DomainError) as err:
        request_with_consent(s, 999, PHOTO, **own())
    assert err.value.code == "person_not_found"


def test_reply_to_needs_a_job_path(s, person):
    with pytest.raises(ValueError):
        request_with_consent(s, person.id, PHOTO, reply_to={"openid": "x"}, **own())
    with pytest.raises(ValueError):  # a path that is no declared job would lose the reply
        request_with_consent(s, person.id, PHOTO, reply_to={"job": "os.system", "openid": "x"}, **own())
