"""The operator's count of people whose face information was processed, and the console warning
as it nears the filing threshold of the Face Recognition Measures (2025)."""
from __future__ import annotations

from court import crypto, db
from court.models import IdentityCheck, Person
from court.services import face_consent
from tests.support.factories import id_number


def _person(seq: str, *, face: bool, check: bool = False) -> Person:
    s = db.session()
    number = id_number(seq=seq)
    p = Person(real_name="张三", id_number_enc=crypto.encrypt(number), id_number_hash=crypto.lookup_hash(number),
               id_number_masked=crypto.mask_id_number(number), face_checked_at=db.utcnow() if face else None)
    s.add(p)
    s.flush()
    if check:
        s.add(IdentityCheck(person_id=p.id, method="face", provider="development", channel="web", holder="web:x",
                            status="fail", decided_at=db.utcnow()))
    s.commit()
    return p


def test_each_person_counts_once_whatever_the_outcome(app):
    _person("101", face=True, check=True)  # counted once, not twice
    _person("102", face=False, check=True)
    _person("103", face=False)  # never processed (say, verified by a clerk)
    assert face_consent.people_processed(db.session()) == 2


def test_the_console_warns_near_the_threshold(console, app):
    from staff import settings

    settings.configure(FACE_FILING_THRESHOLD=4, FACE_FILING_WARN_FRACTION=0.5)
    console.login()
    _person("201", face=True)
    quiet = console.get("/console/").get_data(as_text=True)
    assert "face-filing-warning" not in quiet and "已处理人脸信息的人数：1" in quiet
    _person("202", face=True)
    loud = console.get("/console/").get_data(as_text=True)
    assert "face-filing-warning" in loud and "本平台已处理 2 人的人脸信息，备案标准为 4 人" in loud
