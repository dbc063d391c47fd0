"""The attacker's tests use the shared ``api``, ``console`` and ``run_jobs`` fixtures (tests/conftest.py,
tests/support/console.py); each module here attacks one rule through the public interface.

The SMS-provider stand-ins and the served-case builders of tests/notify are shared, not copied."""
from tests.notify.conftest import aliyun, court, make_case, serve_document  # noqa: F401 - fixtures
