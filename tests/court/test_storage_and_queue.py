"""File store writes are atomic and idempotent; jobs queued in a transaction wait for its commit."""
import os

import pytest
from rq import Queue

from court import redis_conn, storage


def test_put_is_content_addressed_and_idempotent(app):
    st = storage.store()
    key = st.put(b"%PDF-1.7 hello")
    assert st.put(b"%PDF-1.7 hello") == key
    assert st.get(key) == b"%PDF-1.7 hello"
    leftovers = [f for _, _, files in os.walk(st.root) for f in files if f.startswith(".tmp-")]
    assert leftovers == []


def test_failed_write_leaves_nothing(app, monkeypatch):
    st = storage.store()

    def boom(*_a):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError):
        st.put(b"half written")
    assert not st.exists(st.key_for(b"half written"))
    assert [f for _, _, files in os.walk(st.root) for f in files] == []


def test_jobs_wait_for_commit_and_vanish_on_rollback(s):
    from bot import jobs

    q = Queue("default", connection=redis_conn.client())
    s.begin()
    jobs.push_texts.enqueue("openid", ["你好"], session=s)
    assert q.count == 0
    s.rollback()
    assert q.count == 0
    s.begin()
    jobs.push_texts.enqueue("openid", ["你好"], session=s)
    s.commit()
    assert q.count == 1


def test_garbage_collection_removes_only_old_unreferenced_blobs(s, court_setup):
    import time as _time

    from court.models import DocumentKind
    from court.services import cases, documents, files
    from tests.support.factories import pdf_bytes

    court, _ = court_setup
    case = cases.create_case(s, court, "（2026）京0491民初3号", "civil")
    doc = documents.upload(s, case, DocumentKind.NOTICE, "通知书", pdf_bytes(), max_bytes=10**7)
    s.commit()
    st = storage.store()
    orphan = st.put(b"%PDF-1.7 stamped by a worker that was killed before its commit")
    fresh_orphan = st.put(b"%PDF-1.7 a job still running")
    old = _time.time() - 7 * 3600
    for key in (orphan, doc.current.blob_key):
        os.utime(st.path(key), (old, old))
    assert files.collect_garbage(s, dry_run=True) == [orphan]
    assert st.exists(orphan)
    assert files.collect_garbage(s) == [orphan]
    s.commit()
    assert not st.exists(orphan) and st.exists(fresh_orphan) and st.exists(doc.current.blob_key)


def test_garbage_collection_keeps_staff_signatures_and_seal_images(s, court_setup):
    import time as _time

    from court.models import Seal
    from court.services import files

    court, members = court_setup
    st = storage.store()
    signature = st.put(b"\x89PNG a judge's handwritten signature")
    seal_image = st.put(b"\x89PNG a department seal")
    members["judge"][0].signature_image_key = signature
    s.add(Seal(court_id=court.id, name="立案庭", kind="department", is_default=False, active=True, image_key=seal_image))
    s.commit()
    old = _time.time() - 7 * 3600
    for key in (signature, seal_image):
        os.utime(st.path(key), (old, old))
    assert files.collect_garbage(s) == []
    assert st.exists(signature) and st.exists(seal_image)
