"""Evictable data (page images) lives on CACHE_REDIS_URL, never beside the job queue, and start-up
warns when the queue's Redis may evict keys."""
from __future__ import annotations

import logging
import os

import pytest

from court import redis_conn
from tests.web_sign.conftest import make_world, sign_in


def test_the_default_cache_is_the_next_database_of_the_queue_server():
    assert redis_conn.cache_url_for("redis://r.example:6379/0") == "redis://r.example:6379/1"
    assert redis_conn.cache_url_for("redis://:pw@r.example:6379/4") == "redis://:pw@r.example:6379/5"
    assert redis_conn.cache_url_for("unix:///run/redis.sock") == "unix:///run/redis.sock?db=1"


def test_page_images_are_cached_on_the_cache_redis_not_the_queue(client, app):
    world = make_world()
    sign_in(client, world.alice)
    assert client.get(f"/m/documents/{world.doc.id}/pages/1.png").status_code == 200
    assert redis_conn.cache().keys("m:page:*")
    assert not redis_conn.client().keys("m:page*")
    redis_conn.cache().flushdb()  # evicted: drawn again, nothing else lost
    assert client.get(f"/m/documents/{world.doc.id}/pages/1.png").status_code == 200


@pytest.mark.skipif(bool(os.environ.get("TEST_REDIS_URL")), reason="changes a server-wide setting: embedded Redis only")
def test_start_up_warns_when_the_queue_redis_evicts(config, caplog):
    from app import create_app

    create_app(config)
    conn = redis_conn.client()
    before = conn.config_get("maxmemory-policy")["maxmemory-policy"]
    conn.config_set("maxmemory-policy", "allkeys-lru")
    try:
        with caplog.at_level(logging.WARNING, logger="court"):
            create_app(config)
        assert any("maxmemory-policy noeviction" in r.getMessage() for r in caplog.records)
    finally:
        conn.config_set("maxmemory-policy", before)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="court"):
        create_app(config)
    assert not any("noeviction" in r.getMessage() for r in caplog.records)
