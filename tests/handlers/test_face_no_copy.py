"""The WeChat path keeps no copy of a selfie either: after the check the photo is in no database row,
no file under the instance folder, no Redis key of the platform, no log line. (The simulator's
``sim:media:*`` keys play WeChat's own temporary-media store, which is WeChat's, not the platform's.)"""
from __future__ import annotations

import logging
from pathlib import Path

from court import redis_conn
from tests.handlers.test_flows import _text, pushed_texts, register
from tests.web_sign.test_no_copy import _database_hits, _file_hits, _found, _needles, _redis_hits, _unique_photo


def test_after_a_wechat_check_the_photo_is_nowhere_on_the_platform(make_user, run_jobs, app, caplog):
    caplog.set_level(logging.DEBUG)
    image = _unique_photo("good")
    needles = _needles(image)
    user = make_user("oNOCOPYaaaaaaaaaaaaaaaaaaaaa")
    register(user)
    user.say("同意")
    assert "正在核验" in _text(user.send_image(image))
    run_jobs(("default",))
    assert any("人脸识别验证通过" in t for t in pushed_texts(user))  # the check really ran

    wechat_store = [k for k in redis_conn.client().scan_iter("sim:media:*")]
    for key in wechat_store:
        redis_conn.client().delete(key)  # WeChat's copy is not ours to search
    assert wechat_store  # the photo really went through WeChat's media store
    assert _redis_hits(needles) == []
    assert _database_hits(needles) == []
    assert _file_hits(Path(app.instance_path), needles) == []
    assert _found(caplog.text.encode(), needles) == []
