"""Fixed-window limits on the embedded Redis (6.2: no EXPIRE NX), retry-after and refunds."""
import pytest

from court import ratelimit
from court.errors import RateLimited

MINUTE = ratelimit.Limit(2, 60)
HOUR = ratelimit.Limit(3, 3600)


def test_windows_count_and_expire(app):
    ratelimit.hit("t", "subject", MINUTE, HOUR)
    ratelimit.hit("t", "subject", MINUTE, HOUR)
    with pytest.raises(RateLimited):
        ratelimit.hit("t", "subject", MINUTE, HOUR)
    assert ratelimit.remaining("t", "subject", MINUTE) == 0
    assert 55 <= ratelimit.retry_after("t", "subject", MINUTE) <= 60
    assert ratelimit.remaining("t", "other", MINUTE) == 2


def test_refund_gives_one_attempt_back(app):
    ratelimit.hit("t", "s", MINUTE)
    ratelimit.hit("t", "s", MINUTE)
    ratelimit.refund("t", "s", MINUTE)
    assert ratelimit.remaining("t", "s", MINUTE) == 1
    ratelimit.refund("t", "never", MINUTE)  # nothing to give back: no negative counts
    assert ratelimit.remaining("t", "never", MINUTE) == 2
