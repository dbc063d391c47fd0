"""After a face check no copy of the photo remains anywhere the platform writes (Face Recognition
Measures 2025): not in any database row, not in the file store or any file under the instance
folder, not in any Redis key (RQ's compressed job data included), not in the captured log output;
searched for the bytes, a slice of them, their base64 and their SHA-256 / MD5."""
from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import zlib
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from court import db, redis_conn
from court.db import Base
from tests.web_sign.conftest import csrf, needs_identity, sign_in

pytestmark = needs_identity


def _unique_photo(kind: str) -> bytes:
    """A photo no other test produces (its bytes are searched for afterwards)."""
    if kind == "dark":
        img = Image.new("RGB", (400, 400), (5, 5, 5))
        img.putpixel((7, 7), (6, 8, 250))
    else:
        img = Image.effect_noise((480, 480), 61).convert("RGB")
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=93, comment=b"selfie-under-test")
    return buf.getvalue()


def _needles(image: bytes) -> dict[str, bytes]:
    b64 = base64.b64encode(image)
    middle = len(image) // 2
    return {"bytes": image, "slice": image[middle:middle + 48], "base64": b64[len(b64) // 2:len(b64) // 2 + 64],
            "urlsafe-base64": base64.urlsafe_b64encode(image)[len(b64) // 2:len(b64) // 2 + 64],
            "sha256": hashlib.sha256(image).hexdigest().encode(), "md5": hashlib.md5(image).hexdigest().encode()}


def _found(blob: bytes, needles: dict[str, bytes]) -> list[str]:
    candidates = [blob]
    try:
        candidates.append(zlib.decompress(blob))  # RQ stores job data zlib-compressed
    except zlib.error:
        pass
    return [name for name, needle in needles.items() for c in candidates if needle in c]


def _as_bytes(value: object) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str).encode()
    return str(value).encode()


def _database_hits(needles: dict[str, bytes]) -> list[str]:
    s = db.session()
    hits = []
    for table in Base.metadata.sorted_tables:
        for row in s.execute(select(table)).all():
            for column, value in zip(table.columns, row, strict=True):
                if value is not None:
                    hits += [f"{table.name}.{column.name}: {n}" for n in _found(_as_bytes(value), needles)]
    s.rollback()
    return hits


def _redis_hits(needles: dict[str, bytes]) -> list[str]:
    r = redis_conn.client()
    hits = []
    for key in r.scan_iter("*"):
        kind = r.type(key).decode()
        values: list[bytes] = [key]
        if kind == "string":
            values.append(r.get(key) or b"")
        elif kind == "hash":
            values += [v for pair in r.hgetall(key).items() for v in pair]
        elif kind == "list":
            values += r.lrange(key, 0, -1)
        elif kind in ("set",):
            values += list(r.smembers(key))
        elif kind == "zset":
            values += [m for m, _score in r.zrange(key, 0, -1, withscores=True)]
        elif kind == "stream":
            values += [_as_bytes(e) for e in r.xrange(key)]
        for v in values:
            hits += [f"redis {key!r}: {n}" for n in _found(v, needles)]
    return hits


def _file_hits(root: Path, needles: dict[str, bytes]) -> list[str]:
    return [f"{path}: {n}" for path in root.rglob("*") if path.is_file() for n in _found(path.read_bytes(), needles)]


@pytest.mark.parametrize("kind", ["good", "dark"], ids=["passed", "failed"])
def test_after_a_check_the_photo_is_nowhere(client, world, run_jobs, app, caplog, kind):
    caplog.set_level(logging.DEBUG)
    image = _unique_photo(kind)
    needles = _needles(image)
    sign_in(client, world.alice, face=False)
    token = csrf(client, "/m/face")
    client.post("/m/face/consent", data={"csrf_token": token, "decision": "agree"})
    client.post("/m/face", data={"csrf_token": token, "photo": (io.BytesIO(image), "selfie.jpg"), "next": "/m/"})

    # while it waits, the photo is only in Redis, encrypted, and expires within minutes
    waiting = list(redis_conn.client().scan_iter("identity:face:req:*"))
    assert len(waiting) == 1 and 0 < redis_conn.client().ttl(waiting[0]) <= 300
    assert _redis_hits(needles) == []

    run_jobs(("default",))
    outcome = client.get("/m/face/status").get_json()
    assert outcome["done"] and outcome["ok"] is (kind == "good")  # the check really ran

    assert list(redis_conn.client().scan_iter("identity:face:req:*")) == []
    assert _database_hits(needles) == []
    assert _redis_hits(needles) == []
    assert _file_hits(Path(app.instance_path), needles) == []
    assert _found(caplog.text.encode(), needles) == []
    assert [r for r in caplog.records if any(n in _as_bytes(r.args) for n in needles.values())] == []
