"""The console page of the court systems' event endpoints."""
import re

from court import db
from notify import webhooks as sender
from tests.notify.test_webhooks import flow_with_two_refusals


def test_admin_registers_an_endpoint_in_the_console_and_sees_its_attempts(console, s, run_jobs, receiver):
    console.login("admin1")
    r = console.post("/console/webhooks", {"url": receiver.url, "description": "办公系统", "events": ["step.refused"]})
    assert r.status_code == 303
    page = console.get(r.headers["Location"]).get_data(as_text=True)
    secret = re.search(r"(whsec_[A-Za-z0-9_\-]+)", page).group(1)
    assert "whsec_" not in console.get(r.headers["Location"].split("?")[0]).get_data(as_text=True)  # once
    receiver.down = 1
    flow_with_two_refusals(db.session(), run_jobs)
    sender.pump()
    run_jobs(("notify",))
    page = console.get(r.headers["Location"].split("?")[0]).get_data(as_text=True)
    assert "503 busy" in page and "已投递" in page and "待投递" in page
    assert len(receiver.got) == 2 and len(receiver.events(secret)) == 2  # both tried and signed; one waits to retry
