import pytest


@pytest.fixture
def settings(app):
    """The signing settings of the test app (fresh development PKI under the test instance)."""
    from signing.settings import current

    return current()


@pytest.fixture
def stamper(settings):
    from signing import service

    return service.stamper(settings, court_name="北京互联网法院")
