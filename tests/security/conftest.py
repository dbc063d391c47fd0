"""The attacker's tests use the shared ``api``, ``console`` and ``run_jobs`` fixtures (tests/conftest.py,
tests/support/console.py); each module here attacks one rule through the public interface."""
