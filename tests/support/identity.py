"""Test helpers importable by RQ workers (reply jobs) and by tests (photos)."""
from __future__ import annotations

import io
import json
import random
from typing import Any

from PIL import Image, ImageDraw, ImageFilter

from court import queue, redis_conn

REPLIES_KEY = "tests:identity:replies"


@queue.job("default")
def record_reply(reply_to: dict[str, Any], outcome: dict[str, Any]) -> None:
    """A reply job like the bot's: remembers what it was asked to tell the user."""
    redis_conn.client().rpush(REPLIES_KEY, json.dumps({"reply_to": reply_to, "outcome": outcome}))


def replies() -> list[dict[str, Any]]:
    return [json.loads(x) for x in redis_conn.client().lrange(REPLIES_KEY, 0, -1)]


def face_photo(kind: str = "good", fmt: str = "JPEG", size: tuple[int, int] = (480, 640)) -> bytes:
    """A drawn portrait: textured background, head, eyes, brows, nose and mouth.

    ``kind``: good | dark | bright | blurry | blank | small.
    """
    assert kind in ("good", "dark", "bright", "blurry", "blank", "small"), f"unknown photo kind {kind!r}"
    rng = random.Random(7)
    if kind == "small":
        size = (120, 160)
    w, h = size
    img = Image.new("RGB", size, (120, 135, 150))
    if kind != "blank":
        draw = ImageDraw.Draw(img)
        for _ in range(400):  # background texture
            x, y = rng.randrange(w), rng.randrange(h)
            shade = rng.randrange(90, 170)
            draw.rectangle((x, y, x + rng.randrange(2, 9), y + rng.randrange(2, 9)), fill=(shade, shade, shade + 10))
        draw.ellipse((w * 0.25, h * 0.18, w * 0.75, h * 0.78), fill=(224, 180, 150), outline=(60, 40, 30), width=3)
        draw.ellipse((w * 0.22, h * 0.08, w * 0.78, h * 0.32), fill=(30, 25, 20))  # hair
        for ex in (0.38, 0.62):
            draw.ellipse((w * (ex - 0.05), h * 0.40, w * (ex + 0.05), h * 0.45), fill=(250, 250, 250), outline=(0, 0, 0))
            draw.ellipse((w * (ex - 0.018), h * 0.41, w * (ex + 0.018), h * 0.44), fill=(40, 25, 15))
            draw.line((w * (ex - 0.06), h * 0.37, w * (ex + 0.06), h * 0.36), fill=(40, 30, 20), width=4)
        draw.line((w * 0.5, h * 0.45, w * 0.48, h * 0.56), fill=(150, 100, 80), width=3)
        draw.arc((w * 0.40, h * 0.58, w * 0.60, h * 0.68), 10, 170, fill=(160, 40, 50), width=5)
    if kind == "dark":
        img = img.point(lambda v: v // 8)
    elif kind == "bright":
        img = img.point(lambda v: 240 + v // 20)
    elif kind == "blurry":
        img = img.filter(ImageFilter.GaussianBlur(12))
    out = io.BytesIO()
    img.save(out, fmt, quality=90) if fmt == "JPEG" else img.save(out, fmt)
    return out.getvalue()


TEST_HOLDER = "web:test-session"


def request_with_consent(s, person_id: int, image: bytes, *, holder_id: str = TEST_HOLDER,  # type: ignore[no-untyped-def]
                         channel: str = "web", **kw):
    """``request_check`` after the person agreed to the face notice in ``holder_id`` (as a page or
    the bot would)."""
    from court.models import Person
    from court.services import face_consent
    from identity import face
    from identity.face import notice

    if s.get(Person, person_id) is not None and face_consent.current(s, person_id=person_id,
                                                                     holder_id=holder_id) is None:
        notice.record_decision(s, person_id=person_id, holder_id=holder_id, channel=channel, agreed=True)
    return face.request_check(s, person_id, image, holder_id=holder_id, channel=channel, **kw)
