"""Reading a document on a phone: pages as images, zoom, download and print, the list by status."""
from __future__ import annotations

import io

from PIL import Image

from court import db
from court.models import StepAction
from tests.web_sign.conftest import make_world, needs_identity, sign_in


def test_pages_render_as_png_at_each_allowed_width(client, world):
    sign_in(client, world.alice)
    r = client.get(f"/m/documents/{world.doc.id}/pages/1.png")
    assert r.status_code == 200 and r.mimetype == "image/png"
    assert r.headers["Cache-Control"] == "no-store"
    small = Image.open(io.BytesIO(r.data))
    big = Image.open(io.BytesIO(client.get(f"/m/documents/{world.doc.id}/pages/2.png?w=2160").data))
    assert small.width == 1080 and big.width == 2160  # the default fits a phone at 2x, sharp
    # the text of the page is really drawn (not a blank canvas)
    assert small.convert("L").getextrema()[0] < 100
    assert client.get(f"/m/documents/{world.doc.id}/pages/3.png").status_code == 404
    assert client.get(f"/m/documents/{world.doc.id}/pages/0.png").status_code == 404


def test_download_and_print_serve_the_current_version(client, world):
    sign_in(client, world.alice)
    r = client.get(f"/m/documents/{world.doc.id}/file.pdf")
    assert r.status_code == 200 and r.data.startswith(b"%PDF-")
    assert r.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''" in r.headers["Content-Disposition"]
    from court.services import documents

    assert r.data == documents.read_version(db.session().get(type(world.doc), world.doc.id).current)
    printed = client.get(f"/m/documents/{world.doc.id}/file.pdf?inline=1")
    assert printed.headers["Content-Disposition"].startswith("inline;")


@needs_identity
def test_document_page_shows_pages_actions_and_order(client, app):
    w = make_world(StepAction.SIGN, ordered=True, kind="transcript", title="庭审笔录")
    sign_in(client, w.alice)
    html = client.get(f"/m/documents/{w.doc.id}").get_data(as_text=True)
    assert "庭审笔录" in html and "第 2 / 2 页" in html
    assert f"/m/documents/{w.doc.id}/pages/1.png" in html
    assert "下载PDF" in html and "打印" in html and "签名顺序" in html
    assert "张三" in html and "李四" in html and 'id="go-sign"' in html
    en = client.get(f"/m/documents/{w.doc.id}?lang=en").get_data(as_text=True)
    assert "Download PDF" in en and "Signing order" in en


@needs_identity
def test_document_page_asks_for_consent_first(client, world):
    from court.models import Person
    from court.services import cases  # noqa: F401

    s = db.session()
    party = s.get(type(world.alice), world.alice.id)
    from court import crypto

    number = crypto.decrypt(party.id_number_enc)
    person = Person(real_name=party.name, id_number_enc=crypto.encrypt(number), id_number_hash=crypto.lookup_hash(number),
                    id_number_masked=crypto.mask_id_number(number), phone=party.phone, face_verified_at=db.utcnow())
    s.add(person)
    s.commit()
    sign_in(client, world.alice, person)
    r = client.get(f"/m/documents/{world.doc.id}")
    assert r.status_code == 302 and f"/m/consent/{world.case.id}" in r.headers["Location"]
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "电子送达确认书" in page and "138****0001" in page


def test_home_groups_documents_by_status(client, app):
    w = make_world()
    s = db.session()
    from court.services import documents, flow_steps, flows
    from tests.support.factories import pdf_bytes

    later = documents.upload(s, w.case, documents.parse_kind("subpoena"), "传票", pdf_bytes(), max_bytes=10**6)
    flow = flows.start_flow(s, later, [flows.StepInput(StepAction.RECEIVE, party_id=w.alice.id)])
    flow_steps.complete_step(s, flow.steps[0], actor="system")
    s.commit()
    sign_in(client, w.alice)
    html = client.get("/m/").get_data(as_text=True)
    assert html.index("待签署") < html.index("民事判决书") < html.index("已签署") < html.index("传票")
    assert "（2026）京0491民初88号" in html
