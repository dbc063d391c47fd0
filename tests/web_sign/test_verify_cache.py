"""The public verify page reuses the report of a stored file (signing.verify_cache): the second
look-up of a code does not validate the file again, a change of the trust configuration is never
answered from the old report, a changed file in the store is validated afresh, and an uploaded file
is always validated."""
from __future__ import annotations

import io
from typing import Any

import pytest

from court import db, sandbox, storage
from signing import pki
from tests.web_sign.conftest import csrf, needs_signing
from tests.web_sign.test_verify import _dashed, _sealed_judgment

pytestmark = needs_signing


@pytest.fixture
def validations(monkeypatch) -> list[str]:  # type: ignore[no-untyped-def]
    """Every file validation run (a sandboxed child running the validator), by what it was for."""
    runs: list[str] = []
    real = sandbox.run

    def counted(fn: Any, *args: Any, **kwargs: Any) -> Any:
        if getattr(fn, "__name__", "") == "examine":
            runs.append(kwargs.get("what", ""))
        return real(fn, *args, **kwargs)

    monkeypatch.setattr(sandbox, "run", counted)
    return runs


VALID = "法院印章（认证签名）"
PASSED = "该防伪码对应法院平台存档的文书"


def test_the_second_lookup_of_a_code_reuses_the_report(client, app, run_jobs, validations):
    doc, _original = _sealed_judgment(run_jobs)
    code = _dashed(doc.verify_code)
    validations.clear()
    first = client.get(f"/verify/{code}").get_data(as_text=True)
    assert VALID in first and PASSED in first and "民事判决书" in first
    assert len(validations) == 1
    second = client.get(f"/verify/{code}").get_data(as_text=True)
    assert len(validations) == 1  # not validated again
    assert second == first


def test_a_changed_trust_configuration_is_never_answered_from_the_old_report(client, app, run_jobs, validations,
                                                                           monkeypatch):
    doc, _original = _sealed_judgment(run_jobs)
    code = _dashed(doc.verify_code)
    assert PASSED in client.get(f"/verify/{code}").get_data(as_text=True)
    # the operator no longer trusts the roots the seal chains to
    real_roots = pki.trust_roots
    monkeypatch.setattr(pki, "trust_roots", lambda settings: [])
    validations.clear()
    untrusted = client.get(f"/verify/{code}").get_data(as_text=True)
    assert len(validations) == 1
    assert PASSED not in untrusted and "验证未通过" in untrusted
    # and back: the report for the original configuration is still the right one
    monkeypatch.setattr(pki, "trust_roots", real_roots)
    assert PASSED in client.get(f"/verify/{code}").get_data(as_text=True)


def test_a_changed_file_in_the_store_is_validated_again(client, app, run_jobs, validations):
    doc, _original = _sealed_judgment(run_jobs)
    code = _dashed(doc.verify_code)
    assert PASSED in client.get(f"/verify/{code}").get_data(as_text=True)
    path = storage.store().path(db.session().get(type(doc), doc.id).current.blob_key)
    assert path is not None
    data = bytearray(path.read_bytes())
    at = data.rindex(b"/Contents")  # a byte of the sealed content changed behind the court's back
    data[at - 40] = ord(" ") if data[at - 40] != ord(" ") else ord("\n")
    path.write_bytes(bytes(data))
    validations.clear()
    page = client.get(f"/verify/{code}").get_data(as_text=True)
    assert len(validations) == 1
    assert PASSED not in page


def test_an_uploaded_file_is_validated_every_time(client, app, run_jobs, validations):
    from court.services import documents

    doc, _original = _sealed_judgment(run_jobs)
    sealed = documents.read_version(db.session().get(type(doc), doc.id).current)
    validations.clear()
    for _ in range(2):
        r = client.post("/verify", data={"csrf_token": csrf(client), "pdf": (io.BytesIO(sealed), "a.pdf")},
                        content_type="multipart/form-data")
        assert "验证通过" in r.get_data(as_text=True)
    assert len(validations) == 2
