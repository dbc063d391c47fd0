"""Fixtures shared by the staff tests: the logged-in console (defined with its own tests)."""
from tests.staff.test_console import PASSWORD, console  # noqa: F401
