"""The staff console as a logged-in browser would use it (CSRF tokens included)."""
import re

import pytest

from court import db
from court.services import staff as staff_service

PASSWORD = "correct horse battery"


@pytest.fixture
def console(client, court_setup):
    _court, members = court_setup
    s = db.session()
    for member, _key in members.values():
        staff_service.set_password(s, member, PASSWORD)
    s.commit()

    class Console:
        def token(self, path="/console/login"):
            html = client.get(path).get_data(as_text=True)
            found = re.search(r'name="csrf_token" value="([^"]+)"', html)
            assert found, f"no CSRF token on {path} (a page every console form needs it on)"
            return found.group(1)

        def login(self, username="clerk1", password=PASSWORD):
            return client.post("/console/login", data={"username": username, "password": password,
                                                        "csrf_token": self.token()})

        def post(self, path, data=None, **kw):
            data = dict(data or {})
            data["csrf_token"] = self.token("/console/")
            return client.post(path, data=data, **kw)

        def get(self, path):
            return client.get(path)

    c = Console()
    c.members = members
    return c
