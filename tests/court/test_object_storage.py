"""STORAGE_URL=s3://bucket/prefix keeps every file in a shared bucket, over the real S3 protocol
(moto's standalone server on loopback): uploads, downloads, content addresses, garbage collection."""
from __future__ import annotations

import hashlib
import io
import time
import uuid

import boto3
import pytest

from court import storage
from tests.support.factories import pdf_bytes


@pytest.fixture
def config(config, s3_server):
    """The usual test configuration, its files in a fresh bucket under a prefix."""
    bucket = f"court-{uuid.uuid4().hex[:12]}"
    s3_server.create_bucket(bucket)
    config.STORAGE_URL = f"s3://{bucket}/court-a"
    for name, value in s3_server.settings().items():
        setattr(config, name, value)
    return config


@pytest.fixture
def bucket(config, s3_server):
    client = boto3.client("s3", endpoint_url=s3_server.endpoint, region_name=s3_server.region,
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    name = config.STORAGE_URL.split("/")[2]

    def keys() -> list[str]:
        return [o["Key"] for o in client.list_objects_v2(Bucket=name).get("Contents", [])]

    return keys


def _upload(api, data: bytes) -> dict:
    case_id = api("post", "/cases", json={"number": f"（2026）京0491民初{uuid.uuid4().int % 10000}号"}).json["id"]
    resp = api("post", f"/cases/{case_id}/documents", data={"file": (io.BytesIO(data), "a.pdf"), "kind": "notice",
                                                           "title": "通知书"}, content_type="multipart/form-data")
    assert resp.status_code == 201, resp.json
    return resp.json


def test_an_uploaded_pdf_lands_in_the_bucket_and_downloads_whole(api, bucket, tmp_path):
    data = pdf_bytes(3)
    doc = _upload(api, data)
    digest = hashlib.sha256(data).hexdigest()
    assert bucket() == [f"court-a/sha256/{digest[:2]}/{digest}"]
    assert not (tmp_path / "instance" / "files").exists() or not any((tmp_path / "instance" / "files").rglob("*.*"))
    got = api("get", f"/documents/{doc['id']}/versions/1/file")
    assert got.status_code == 200
    assert got.data == data
    assert got.headers["X-Content-SHA256"] == digest
    assert int(got.headers["Content-Length"]) == len(data)


def test_same_bytes_twice_are_one_object(app, bucket):
    st = storage.store()
    assert st.put(b"%PDF-1.7 same") == st.put(b"%PDF-1.7 same")
    assert len(bucket()) == 1


def test_a_large_file_streams_in_and_out_in_parts(app, bucket):
    st = storage.store()
    big = (b"%PDF-1.7 " + bytes(range(256)) * 4096) * 20  # ~20 MB: a multipart upload
    key = st.put_stream(io.BytesIO(big))
    assert key == st.key_for(big)
    with st.open(key) as body:
        first = body.read(1024 * 1024)
        assert len(first) == 1024 * 1024  # read in pieces, not as one copy
        rest = body.read()
    assert first + rest == big


def test_another_host_reads_what_one_host_wrote(app, config, tmp_path):
    from config import Config

    key = storage.store().put(b"%PDF-1.7 written on host A")
    other = Config(**{**{f: getattr(config, f) for f in ("STORAGE_URL", "S3_ENDPOINT_URL", "S3_REGION",
                                                          "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY")},
                      "STORAGE_DIR": str(tmp_path / "host-b" / "files")})
    host_b = storage.from_settings(other.STORAGE_URL, other.STORAGE_DIR, endpoint_url=other.S3_ENDPOINT_URL,
                                   region=other.S3_REGION, access_key_id=other.S3_ACCESS_KEY_ID,
                                   secret_access_key=other.S3_SECRET_ACCESS_KEY)
    assert host_b.get(key) == b"%PDF-1.7 written on host A"


def test_gc_files_removes_only_unreferenced_objects_from_the_bucket(api, app, bucket):
    doc = _upload(api, pdf_bytes(1))
    orphan = storage.store().put(b"%PDF-1.7 a killed worker's output")
    assert len(bucket()) == 2
    time.sleep(1.1)  # object times have one-second resolution
    result = app.test_cli_runner().invoke(args=["court", "gc-files", "--older-than-hours", "0"])
    assert result.exit_code == 0, result.output
    assert "1 个无引用文件" in result.output
    assert not storage.store().exists(orphan)
    assert api("get", f"/documents/{doc['id']}/versions/1/file").status_code == 200


def test_a_missing_object_is_a_clear_error_not_a_hang(app):
    with pytest.raises(FileNotFoundError):
        storage.store().get("sha256/00/" + "0" * 64)


def test_storage_health_check_writes_to_the_bucket(app):
    storage.store().check_writable()  # raises if the bucket refuses writes
