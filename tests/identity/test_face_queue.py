"""Queued face checks: the image waits encrypted in Redis only, the job records the result
on the person and in the audit log, tells the caller's reply job, and is safe to run twice."""
import pytest
from sqlalchemy import select

from court import db, queue, redis_conn
from court.errors import DomainError, RateLimited
from court.models import AuditEvent, Person
from identity import face
from identity.face import base, checks
from tests.identity.helpers import face_photo, replies, request_with_consent

PHOTO = face_photo()
REPLY = {"job": "tests.identity.helpers.record_reply", "openid": "o-test-user", "step": "face"}


def _person(s, person_id):
    s.expire_all()
    return s.get(Person, person_id)


def test_development_check_round_trip(s, person, run_jobs):
    request_with_consent(s, person.id, PHOTO, reply_to=REPLY)
    assert queue.queue("default").count == 0  # nothing is sent before the caller commits
    s.commit()
    assert queue.queue("default").count == 1
    run_jobs(("default",))  # the check, then the reply job it enqueues
    p = _person(db.session(), person.id)
    assert p.face_result == base.PASS and p.face_provider == "development"
    assert p.face_verified_at is not None and p.face_checked_at is not None and p.face_score == 90.0
    assert face.is_fresh(p)
    [reply] = replies()
    assert reply["reply_to"] == REPLY
    outcome = reply["outcome"]
    assert outcome["ok"] is True and outcome["development"] is True and outcome["score"] == 90.0
    assert "开发环境" in outcome["message_zh"] and "development check" in outcome["message_en"]
    assert redis_conn.client().keys("identity:face:req:*") == []  # the image is gone


def test_nothing_is_queued_when_the_caller_rolls_back(s, person, run_jobs):
    request_with_consent(s, person.id, PHOTO, reply_to=REPLY)
    s.rollback()
    assert run_jobs(("default",)) == 0


def test_image_is_encrypted_in_redis_and_never_in_the_database(s, person, run_jobs):
    request_with_consent(s, person.id, PHOTO)
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
    request_with_consent(s, person.id, PHOTO, reply_to=REPLY)
    s.commit()
    run_jobs(("default",))
    p = _person(db.session(), person.id)
    assert p.face_result == base.BLURRY and p.face_provider == "baidu" and p.face_log_id
    assert p.face_verified_at is None and not face.is_fresh(p)
    outcome = replies()[0]["outcome"]
    assert outcome["ok"] is False and outcome["code"] == base.BLURRY and outcome["development"] is False
    assert "模糊" in outcome["message_zh"]
    event = db.session().scalar(select(AuditEvent).where(AuditEvent.action == "identity.face_checked"))
    assert event.details["result"] == base.BLURRY and event.details["provider_code"] == "223114"
    assert event.details["log_id"] == p.face_log_id


def test_a_failed_check_after_a_pass_is_no_longer_fresh(s, person, run_jobs, use_baidu, standin):
    request_with_consent(s, person.id, PHOTO)
    s.commit()
    run_jobs(("default",))
    assert face.is_fresh(_person(db.session(), person.id))
    standin.next_error(223120)
    request_with_consent(db.session(), person.id, PHOTO)
    db.session().commit()
    run_jobs(("default",))
    p = _person(db.session(), person.id)
    assert p.face_result == base.LIVENESS and p.face_verified_at is not None
    assert not face.is_fresh(p)


def test_service_failures_keep_the_previous_result_and_give_the_attempt_back(s, person, run_jobs, use_baidu, standin):
    request_with_consent(s, person.id, PHOTO)
    s.commit()
    run_jobs(("default",))
    standin.next_error(18)
    request_with_consent(db.session(), person.id, PHOTO, reply_to=REPLY)
    db.session().commit()
    assert face.attempts_left(person.id) == 3
    run_jobs(("default",))
    assert face.attempts_left(person.id) == 4
    p = _person(db.session(), person.id)
    assert p.face_result == base.PASS  # a busy service says nothing about who the person is
    assert replies()[0]["outcome"]["code"] == base.BUSY


def test_five_attempts_a_day(s, person):
    for _ in range(5):
        request_with_consent(s, person.id, PHOTO)
    with pytest.raises(RateLimited) as err:
        request_with_consent(s, person.id, PHOTO)
    assert err.value.code == "face_attempts_used"
    assert "每天最多5次" in err.value.localized()
    assert "at most 5 a day" in err.value.localized("en")


def test_expired_image_is_reported(s, person, run_jobs):
    request_with_consent(s, person.id, PHOTO, reply_to=REPLY)
    s.commit()
    for key in redis_conn.client().keys("identity:face:req:*"):
        redis_conn.client().delete(key)
    run_jobs(("default",))
    outcome = replies()[0]["outcome"]
    assert outcome["code"] == base.EXPIRED and "重新拍摄" in outcome["message_zh"]
    assert _person(db.session(), person.id).face_result is None
    assert face.attempts_left(person.id) == 5


def test_job_is_idempotent(s, person, run_jobs):
    request_with_consent(s, person.id, PHOTO, reply_to=REPLY)
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
        request_with_consent(s, person.id, image)
    assert err.value.code == code
    assert face.attempts_left(person.id) == 5


def test_unknown_person(s):
    with pytest.raises(DomainError) as err:
        request_with_consent(s, 999, PHOTO)
    assert err.value.code == "person_not_found"


def test_reply_to_needs_a_job_path(s, person):
    with pytest.raises(ValueError):
        request_with_consent(s, person.id, PHOTO, reply_to={"openid": "x"})
