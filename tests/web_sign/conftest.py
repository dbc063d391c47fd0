"""Fixtures for the party pages: a case with two parties, a served document, a signed-in browser."""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass

import pytest

from court import db
from court.models import Document, FlowStep, Party, PartyRole, Person, StepAction, StepStatus
from court.services import cases, documents, flow_seal, flows
from court.services import staff as staff_service
from tests.support.factories import id_number, pdf_bytes

HAS_IDENTITY = importlib.util.find_spec("identity.otp") is not None
HAS_SIGNING = importlib.util.find_spec("signing.party") is not None
HAS_NOTIFY = importlib.util.find_spec("notify.links") is not None
needs_identity = pytest.mark.skipif(not HAS_IDENTITY, reason="waits for the identity branch")
needs_signing = pytest.mark.skipif(not (HAS_SIGNING and HAS_IDENTITY), reason="waits for the signing and identity branches")
needs_notify = pytest.mark.skipif(not HAS_NOTIFY, reason="waits for the notify branch")


@dataclass
class World:
    case: object
    alice: Party
    bob: Party
    doc: Document
    flow: object

    def step(self, party: Party) -> FlowStep:
        return next(st for st in db.session().get(type(self.flow), self.flow.id).steps if st.party_id == party.id)


def make_world(action: StepAction = StepAction.RECEIVE, *, ordered: bool = False, pages: int = 2,
               kind: str = "judgment", title: str = "民事判决书", seal: bool = False) -> World:
    s = db.session()
    court = staff_service.create_court(s, "北京互联网法院", "京0491")
    flow_seal.set_approval_kinds(s, court, [], actor="test")  # seal control is tested in tests/staff
    case = cases.create_case(s, court, "（2026）京0491民初88号", "civil", "网络购物合同纠纷")
    (alice, _c1), (bob, _c2) = cases.add_parties(s, case, [
        cases.PartyInput(role=PartyRole.PLAINTIFF, name="张三", id_number=id_number(seq="123"), phone="13800000001"),
        cases.PartyInput(role=PartyRole.DEFENDANT, name="李四", id_number=id_number(seq="456"), phone="13800000002"),
    ])
    doc = documents.upload(s, case, documents.parse_kind(kind), title, pdf_bytes(pages, "Judgment"),
                           filename="judgment.pdf", max_bytes=2 * 1024 * 1024)
    steps = [flows.StepInput(StepAction.SEAL)] if seal else []
    steps += [flows.StepInput(action, party_id=alice.id), flows.StepInput(action, party_id=bob.id)]
    flow = flows.start_flow(s, doc, steps, ordered=ordered)
    s.commit()
    return World(case, alice, bob, doc, flow)


@pytest.fixture
def world(app) -> World:
    return make_world()


def person_for(party: Party, *, face: bool = True) -> Person:
    """A verified person bound to ``party`` (as after the SMS code and the face check)."""
    from court import crypto

    s = db.session()
    party = s.get(Party, party.id)
    number = crypto.decrypt(party.id_number_enc)
    person = Person(real_name=party.name, id_number_enc=crypto.encrypt(number),
                    id_number_hash=crypto.lookup_hash(number), id_number_masked=crypto.mask_id_number(number),
                    phone=party.phone)
    if face:
        person.face_verified_at = db.utcnow()
        if hasattr(Person, "face_result"):
            person.face_result = "pass"
            person.face_checked_at = person.face_verified_at
            person.face_provider = "development"
    s.add(person)
    s.flush()
    party.person_id = person.id
    party.bound_at = db.utcnow()
    if HAS_IDENTITY:
        from identity import consent

        consent.give(s, person, party.case, channels=["sms"], address={"sms": party.phone}, method="web")
    s.commit()
    return person


def sign_in(client, party: Party, person: Person | None = None, *, face: bool = True, link: bool = True) -> Person:
    """Put the browser in the state the identity pages leave it in: a server-side session for the
    person (the cookie carries only its token) and, with ``face``, a face check passed in it."""
    from court.services import identity_checks, party_sessions

    person = person or person_for(party, face=face)
    s = db.session()
    token, row = party_sessions.start(s, s.get(Person, person.id), [party.id], via="sms", minutes=30)
    if face:
        check = identity_checks.open_check(s, person_id=person.id, method="face", provider="development",
                                           channel="web", holder_id=party_sessions.holder_id(token))
        identity_checks.decide(s, check, ok=True, result="pass")
    s.commit()
    with client.session_transaction() as sess:
        if link:
            sess["sms_link"] = {"party_id": party.id, "document_id": None, "purpose": "receive", "link_id": 1}
        sess["m_sid"] = token
    return person


def session_row(client):  # type: ignore[no-untyped-def]
    """The server-side session this browser's cookie names (None when it has none)."""
    from court.services import party_sessions

    with client.session_transaction() as sess:
        token = sess.get("m_sid")
    db.session().expire_all()
    return party_sessions.find(db.session(), token) if token else None


def run_face_checks(app) -> None:  # type: ignore[no-untyped-def]
    """Run queued face checks as the worker would."""
    from rq import SimpleWorker

    from court import queue

    SimpleWorker([queue.queue("default")], connection=queue.queue("default").connection).work(burst=True)


def csrf(client, path: str = "/verify") -> str:
    import re

    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def mark_ready(step: FlowStep) -> None:
    s = db.session()
    step = s.get(FlowStep, step.id)
    step.status = StepStatus.READY
    s.commit()


def signature_png(blank: bool = False) -> str:
    """A handwritten signature as the pad sends it: a data URL of a transparent PNG with ink."""
    import base64
    import io

    from PIL import Image, ImageDraw

    img = Image.new("RGBA", (600, 240), (0, 0, 0, 0))
    if not blank:
        draw = ImageDraw.Draw(img)
        draw.line([(40, 180), (150, 60), (260, 170), (380, 70), (540, 160)], fill=(17, 17, 17, 255), width=6)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
