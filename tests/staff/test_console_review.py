"""The seal approver reads the document on the page, next to approve and refuse (#12 item 14)."""
from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from court import db
from court.models import DocumentKind, StepAction, StepStatus
from court.services import cases, documents, flows
from court.services import staff as staff_service
from tests.support.console import PASSWORD
from tests.support.factories import pdf_bytes


@pytest.fixture
def waiting(console, s):
    """A three-page judgment whose seal waits for the approver."""
    court = console.members["clerk"][0].court
    case = cases.create_case(s, court, "（2026）京0491民初500号", "civil")
    doc = documents.upload(s, case, DocumentKind.JUDGMENT, "民事判决书", pdf_bytes(3, "Judgment"), filename="j.pdf",
                           max_bytes=10_000_000)
    flows.start_flow(s, doc, [flows.StepInput(StepAction.APPROVE, staff_id=console.members["seal_approver"][0].id),
                              flows.StepInput(StepAction.SEAL)])
    s.commit()
    return doc


def test_the_approver_sees_every_page_beside_approve_and_refuse(console, client, waiting):
    console.login("seal_approver1")
    page = client.get(f"/console/documents/{waiting.id}").get_data(as_text=True)
    box = page[page.index('class="card approve-box"'):page.index('id="preview"')]
    assert "待您审批用印" in box and "批准用印" in box and "拒绝并退回" in box and "共 3 页" in box
    images = re.findall(r'<img loading="lazy" src="([^"]+)" srcset="[^"]+" sizes="[^"]+" alt="第 (\d) 页">', page)
    assert [n for _src, n in images] == ["1", "2", "3"]
    assert page.index('id="preview"') < page.index("<h2>版本</h2>")  # near the decision, above the history
    assert '<details class="card preview" open' in page
    for src, _n in images:
        r = client.get(src)
        assert r.status_code == 200 and r.mimetype == "image/png"
        image = Image.open(io.BytesIO(r.data))
        assert image.width == 1080 and image.height > image.width  # an A4 page, readable
    assert Image.open(io.BytesIO(client.get(images[0][0] + "?w=480").data)).width == 480  # a phone's size
    assert client.get(images[0][0] + "?w=99999").status_code == 400  # only the renderer's widths
    assert client.get(f"/console/documents/{waiting.id}/versions/1/pages/4.png").status_code == 404
    assert client.get(f"/console/documents/{waiting.id}/versions/9/pages/1.png").status_code == 404


def test_approving_from_the_preview_box(console, client, waiting):
    console.login("seal_approver1")
    page = client.get(f"/console/documents/{waiting.id}").get_data(as_text=True)
    action = re.search(r'<form method="post" action="([^"]+/approve)" id="approve-form-', page).group(1)
    done = console.post(action, {"password": PASSWORD}, follow_redirects=True)
    assert "已处理" in done.get_data(as_text=True)
    step = db.session().get(type(waiting), waiting.id)
    approve = next(st for f in flows_of(step) for st in f.steps if st.action is StepAction.APPROVE)
    assert approve.status is StepStatus.DONE
    after = client.get(f"/console/documents/{waiting.id}").get_data(as_text=True)
    assert "待您审批用印" not in after and '<details class="card preview" open' not in after


def flows_of(doc):  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from court.models import SigningFlow

    return db.session().scalars(select(SigningFlow).where(SigningFlow.document_id == doc.id)).all()


def test_pages_are_only_for_the_court_s_own_staff(console, client, waiting, s):
    other = staff_service.create_court(s, "上海市浦东新区人民法院", "沪0115")
    member, _key = staff_service.create_staff(s, other, "sh-clerk", "上海书记员", __import__("court.models", fromlist=["StaffRole"]).StaffRole.CLERK)
    staff_service.set_password(s, member, PASSWORD)
    s.commit()
    assert client.get(f"/console/documents/{waiting.id}/versions/1/pages/1.png").status_code == 302  # log in first
    console.login("sh-clerk")
    assert client.get(f"/console/documents/{waiting.id}/versions/1/pages/1.png").status_code == 404
    assert client.get(f"/console/documents/{waiting.id}").status_code == 404
