"""Staff tests use the shared ``console`` and ``api`` fixtures (tests/support, tests/conftest.py)."""
from tests.support.console import PASSWORD  # noqa: F401 - the password every test member has
