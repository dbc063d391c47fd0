"""Steps the journeys share: seeding a case, reading the development phone, proving identity, signing."""
from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from court import db
from court.models import Document, Party, PartyRole, Staff, StaffRole, StepAction
from court.services import cases, documents, flow_seal, flow_steps, flows
from court.services import staff as staff_service
from tests.support.factories import id_number, pdf_bytes

PASSWORD = "e2e correct horse battery"
CODE = re.compile(r"验证码为(\d{6})")
LINK = re.compile(r"https?://[^\s，。]+/s/[\w-]+")


def at(pattern: str) -> Callable[[str], bool]:
    """A URL test on the path alone (the query string often carries ``next=/m/…``)."""
    rx = re.compile(pattern)
    return lambda url: bool(rx.search(urlsplit(url).path))


def read(fn: Callable[[Any], Any]) -> Any:
    """Run a read against the database and end the transaction at once: on SQLite every
    transaction takes the write lock (BEGIN IMMEDIATE), so a session left open here would stall
    the server under test."""
    try:
        return fn(db.session())
    finally:
        db.session.remove()


def wait_for(check: Callable[[], Any], *, timeout: float = 60, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = check()
        finally:
            db.session.remove()
        if value:
            return value
        assert time.monotonic() <= deadline, f"timed out waiting for {what}"
        time.sleep(0.3)


def court_with_staff() -> tuple[Any, dict[str, Any]]:
    s = db.session()
    court = staff_service.create_court(s, "北京互联网法院", "京0491")
    members = {}
    for role in (StaffRole.CLERK, StaffRole.JUDGE, StaffRole.SEAL_APPROVER):
        member, _key = staff_service.create_staff(s, court, f"{role.value}1", f"{role.value}一号", role)
        staff_service.set_password(s, member, PASSWORD)
        members[role.value] = member
    s.commit()
    db.session.remove()
    return court, members


def seed_flow(court: Any, action: StepAction, *, kind: str = "judgment", title: str = "民事判决书",
              ordered: bool = True, pages: int = 2, judge: Any = None) -> tuple[Document, list[Party]]:
    """A case with two parties (real ID numbers, phones) and a document in a sealed flow for both."""
    s = db.session()
    case = cases.create_case(s, court, "（2026）京0491民初1024号", "civil", "网络购物合同纠纷")
    added = cases.add_parties(s, case, [
        cases.PartyInput(role=PartyRole.PLAINTIFF, name="张三", id_number=id_number(seq="123"), phone="13800000001"),
        cases.PartyInput(role=PartyRole.DEFENDANT, name="李四", id_number=id_number(seq="456"), phone="13800000002"),
    ])
    parties = [p for p, _code in added]
    doc = documents.upload(s, case, documents.parse_kind(kind), title, pdf_bytes(pages, "Beijing Internet Court"),
                           filename="document.pdf", max_bytes=5 * 1024 * 1024)
    steps = [flows.StepInput(StepAction.SEAL)] + [flows.StepInput(action, party_id=p.id) for p in parties]
    if judge is not None:  # the presiding judge signs before the parties (CPL art. 150)
        steps.insert(1, flows.StepInput(StepAction.SIGN, staff_id=judge.id))
    approver = None
    if doc.kind in flow_seal.approval_kinds(case.court):  # the seal keeper approves first (court rule)
        approver = s.scalar(select(Staff).where(Staff.court_id == case.court_id, Staff.role == StaffRole.SEAL_APPROVER))
        steps.insert(0, flows.StepInput(StepAction.APPROVE, staff_id=approver.id))
    flow = flows.start_flow(s, doc, steps, ordered=ordered)
    if approver is not None:
        flow_steps.approve_seal(s, flow.steps[0], approver, password=PASSWORD)
    s.commit()
    db.session.remove()
    return doc, parties


def face_photo(tmp: Path) -> Path:
    from PIL import Image

    path = tmp / "selfie.jpg"
    Image.effect_noise((640, 640), 60).convert("RGB").save(path, format="JPEG")
    return path


def inbox(page: Any, phone: str) -> str:
    """The development gateway's page for one phone, as text (newest message first)."""
    page.goto("/dev/phone")  # inbox URLs carry an opaque key, so open it from the list
    entry = page.locator("a", has_text=phone)
    if entry.count() == 0:
        return ""  # nothing sent to this phone yet
    entry.first.click()
    return page.inner_text("main")


def open_sms_link(page: Any, phone: str, shots: Any) -> None:
    """Wait for the court's SMS, then tap its link like the party would."""
    wait_for(lambda: LINK.search(inbox(page, phone)), what=f"an SMS link to {phone}")
    shots(page, "sms-inbox")
    page.click("a[href*='/s/']")
    page.wait_for_url(at(r"/m/identity"))


def send_face(page: Any, photo: Path, shots: Any = None) -> None:
    """On /m/face: the face notice agreed to (同意), then the photo sent; the caller waits for what follows.
    With ``shots``, the notice and the camera step are photographed."""
    page.wait_for_selector("#face-notice")
    if shots is not None:
        shots(page, "face-notice")
    page.click("#face-agree")
    page.wait_for_selector("#photo", state="attached")
    if shots is not None:
        shots(page, "face")
    page.set_input_files("#photo", str(photo))
    page.click("#face-submit")


def to_consent_page(page: Any, phone: str, photo: Path, shots: Any) -> None:
    """SMS link → SMS code → the face notice (同意) → face check, stopping at the consent page."""
    open_sms_link(page, phone, shots)
    enter_sms_code(page, phone, shots)
    send_face(page, photo)
    page.wait_for_url(at(r"/m/consent/\d+"), timeout=60_000)
    shots(page, "consent-choice")


def decline_service(page: Any, reason: str) -> None:
    """On the consent page: the folded reason box opened, ``reason`` written, 不同意 pressed; ends on the
    page that confirms the answer."""
    page.click("#reason-box summary")
    page.fill("#reason", reason)
    page.click("#consent-decline")
    page.wait_for_selector("text=已记录您不同意电子送达")


def party_declines(phone: Callable[[], Any], shots: Any, tmp: Path, reason: str) -> tuple[Document, list[Party], Any]:
    """The opening of every "declined" journey: a court with staff and a document to receive, its
    first party (张三) proves who she is on her phone, sees 同意 and 不同意 side by side and declines
    with ``reason``. Returns the document, its parties and her phone's page."""
    court, _staff = court_with_staff()
    doc, parties = seed_flow(court, StepAction.RECEIVE, ordered=False)
    page = phone()
    to_consent_page(page, "13800000001", face_photo(tmp), shots)
    assert page.is_visible("#consent-submit") and page.is_visible("#consent-decline")
    decline_service(page, reason)
    shots(page, "declined")
    return doc, parties, page


def prove_identity(page: Any, phone: str, photo: Path, shots: Any) -> None:
    """SMS code (read from the development phone in a second tab), the face notice (同意), face check, consent."""
    enter_sms_code(page, phone, shots)
    send_face(page, photo, shots)
    page.wait_for_url(at(r"/m/face/wait"))
    shots(page, "face-checking")
    page.wait_for_url(at(r"/m/(consent|documents)/"), timeout=60_000)
    if "/m/consent/" in urlsplit(page.url).path:
        shots(page, "consent")
        page.click("#consent-submit")
    page.wait_for_url(at(r"/m/documents/\d+$"))


def enter_sms_code(page: Any, phone: str, shots: Any) -> None:
    """The SMS one-time code step, read from the development phone in a second tab; ends on /m/face."""
    shots(page, "identity")
    page.click("#send-code")
    page.wait_for_selector(".flash")
    sms = page.context.new_page()
    code = wait_for(lambda: CODE.search(inbox(sms, phone)), what="the SMS code").group(1)
    shots(sms, "sms-code")
    sms.close()
    page.fill("#code", code)
    shots(page, "code-entered")
    page.click("#verify-code")
    page.wait_for_url(at(r"/m/face"))


def console_login(page: Any, username: str) -> None:
    """Log in to the console as ``username`` (every e2e staff member has :data:`PASSWORD`)."""
    page.goto("/console/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('登录')")
    page.wait_for_url(at(r"/console/(work)?$"))  # judges and clerks land on the service desk


def verify_upload(page: Any, path: Path, verdict: str = "#verdict") -> str:
    """Upload a PDF on the public /verify page; the verdict's text once ``verdict`` shows."""
    page.goto("/verify")
    page.set_input_files("#pdf", str(path))
    page.click("#verify-upload")
    page.wait_for_selector(verdict)
    return str(page.inner_text("#verdict"))


def draw_signature(page: Any) -> None:
    page.locator("#pad").scroll_into_view_if_needed()
    box = page.locator("#pad").bounding_box()
    x0, y0, w, h = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(x0 + w * 0.1, y0 + h * 0.7)
    page.mouse.down()
    for i in range(1, 30):
        t = i / 30
        page.mouse.move(x0 + w * (0.1 + 0.8 * t), y0 + h * (0.5 + 0.3 * ((-1) ** i) * (1 - t)), steps=2)
    page.mouse.up()


def sign_on_page(page: Any, shots: Any) -> None:
    page.click("#go-sign")
    page.wait_for_selector("#pad")
    shots(page, "sign-pad")
    draw_signature(page)
    shots(page, "sign-drawn")
    page.click("#pad-confirm")
    page.wait_for_url(at(r"/progress$"))
    shots(page, "sign-progress")


def pdf_from(download: Any) -> bytes:
    path = download.path()
    assert path, f"the download failed: {download.failure()}"
    return Path(path).read_bytes()


def verify_pdf(data: bytes) -> Any:
    """``signing.verify`` off the main thread: pyHanko calls ``asyncio.run``, and Playwright's
    sync API keeps an event loop running on this one."""
    from concurrent.futures import ThreadPoolExecutor

    import signing

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(signing.verify, data).result()
