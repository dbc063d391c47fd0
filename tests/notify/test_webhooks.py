"""Events to the court's systems: a receiver on loopback gets each event of a flow, signed, once
after de-duplication, even when it was down for a while."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from court import db
from court.models import WebhookDelivery
from court.services import flow_steps
from notify import webhooks as sender
from tests.support.signing import make_world, seal_flow, upload


def flow_with_two_refusals(s, run_jobs):
    world = make_world(s, 2)
    doc = upload(s, world)
    flow = seal_flow(s, world, doc, world.parties[:2])
    flow.ordered = False
    s.commit()
    run_jobs(("signing",))
    s = db.session()
    flow = s.get(type(flow), flow.id)
    for step in flow.steps[1:]:
        flow_steps.refuse_step(s, step, "不认可文书内容", actor=f"party:{step.party_id}")
    s.commit()
    return world


def test_court_system_receives_each_event_of_a_flow_signed_and_once(api, s, run_jobs, receiver):
    created = api("post", "/webhooks", role="admin", json={"url": receiver.url, "description": "审判系统"})
    assert created.status_code == 201 and created.json["secret"].startswith("whsec_")
    secret = created.json["secret"]
    assert "secret" not in api("get", "/webhooks", role="admin").json[0]
    assert api("post", "/webhooks", json={"url": receiver.url}).status_code == 403  # clerks cannot

    flow_with_two_refusals(db.session(), run_jobs)
    assert sender.pump()["queued"] == 3
    run_jobs(("notify",))
    events = receiver.events(secret)
    assert sorted(e["type"] for e in events.values()) == ["document.sealed", "step.refused", "step.refused"]
    sealed = next(e for e in events.values() if e["type"] == "document.sealed")
    assert sealed["court"]["code"] == "京0491" and sealed["case"]["number"] and len(sealed["data"]["sha256"]) == 64

    # nothing is sent twice when nothing new happened
    assert sender.pump() == {"collected": 0, "queued": 0}
    run_jobs(("notify",))
    assert len(receiver.got) == 3


def test_a_receiver_down_for_a_while_loses_nothing(api, s, run_jobs, receiver):
    secret = api("post", "/webhooks", role="admin", json={"url": receiver.url, "events": ["step.refused"]}).json["secret"]
    receiver.down = 4  # the first four posts fail
    flow_with_two_refusals(db.session(), run_jobs)
    later = db.utcnow()
    for _ in range(6):  # each round: what is due is posted; failures wait their backoff
        sender.pump(now=later)
        run_jobs(("notify",))
        later += timedelta(days=1)
    events = receiver.events(secret)
    assert sorted(e["type"] for e in events.values()) == ["step.refused", "step.refused"]  # only what it asked for
    deliveries = db.session().scalars(select(WebhookDelivery)).all()
    assert {d.status for d in deliveries} == {"delivered"} and sum(d.attempts for d in deliveries) == 6
    failed_tries = [t for d in deliveries for t in d.tries if t.status_code == 503]
    assert len(failed_tries) == 4 and all(t.response == "busy" for t in failed_tries)

    listed = api("get", f"/webhooks/{deliveries[0].endpoint_id}/deliveries", role="admin").json
    assert len(listed) == 2 and all(d["tries"] for d in listed)
    replayed = api("post", f"/webhook-deliveries/{deliveries[0].id}/replay", role="admin")
    assert replayed.status_code == 202
    run_jobs(("notify",))
    assert len(receiver.got) == 7 and len(receiver.events(secret)) == 2  # the replay dedupes on the event id


def test_unreachable_or_refused_urls_are_clear_errors(api):
    bad = api("post", "/webhooks", role="admin", json={"url": "ftp://example/x"})
    assert bad.status_code == 400 and bad.json["error"]["code"] == "bad_webhook_url"
    bad = api("post", "/webhooks", role="admin", json={"url": "https://x.example", "events": ["everything"]})
    assert bad.status_code == 400 and bad.json["error"]["code"] == "bad_webhook_events"



def test_a_paused_endpoint_gets_the_events_of_its_pause_when_resumed(api, s, run_jobs, receiver):
    ep = api("post", "/webhooks", role="admin", json={"url": receiver.url}).json
    assert api("patch", f"/webhooks/{ep['id']}", role="admin", json={"active": False}).json["active"] is False
    flow_with_two_refusals(db.session(), run_jobs)
    sender.pump()
    run_jobs(("notify",))
    assert receiver.got == []
    api("patch", f"/webhooks/{ep['id']}", role="admin", json={"active": True})
    sender.pump()
    run_jobs(("notify",))
    assert len(receiver.events(ep["secret"])) == 3


def test_a_party_declining_or_withdrawing_consent_reaches_the_court_system_as_case_flagged(api, s, run_jobs, receiver):
    """The action names the consent service writes are the ones EVENTS maps to ``case.flagged``."""
    from court.services import consent

    secret = api("post", "/webhooks", role="admin", json={"url": receiver.url, "events": ["case.flagged"]}).json["secret"]
    world = make_world(db.session(), 2)
    s = db.session()
    consent.decline(s, world.parties[0], method="web", actor="person:1", reason="不会用手机")
    given = consent.give(s, None, world.case, channels=["sms"], address={"sms": world.parties[1].phone},
                         method="staff", party=world.parties[1], recorded_by="staff:test")
    consent.withdraw(s, given, actor="staff:test")
    s.commit()
    assert sender.pump()["queued"] == 2
    run_jobs(("notify",))
    events = sorted((e["action"], e["type"]) for e in receiver.events(secret).values())
    assert events == [("consent.declined", "case.flagged"), ("consent.withdrawn", "case.flagged")]
