"""A real S3-protocol server on loopback for the tests: moto's standalone server (``moto[server]``).

The storage code talks to it over HTTP with boto3 exactly as it would to MinIO or OSS; nothing
in the client is patched. Tests that need it skip, saying why, only when moto is not installed.
"""
from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass
class S3Server:
    endpoint: str
    access_key_id: str = "testing"
    secret_access_key: str = "testing"
    region: str = "us-east-1"

    def settings(self) -> dict[str, str]:
        """Config fields pointing at this server."""
        return {"S3_ENDPOINT_URL": self.endpoint, "S3_REGION": self.region,
                "S3_ACCESS_KEY_ID": self.access_key_id, "S3_SECRET_ACCESS_KEY": self.secret_access_key}

    def create_bucket(self, name: str) -> None:
        import boto3

        client = boto3.client("s3", endpoint_url=self.endpoint, region_name=self.region,
                              aws_access_key_id=self.access_key_id, aws_secret_access_key=self.secret_access_key)
        client.create_bucket(Bucket=name)
        assert name in {b["Name"] for b in client.list_buckets()["Buckets"]}, f"moto did not create bucket {name}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_s3(log_dir: Path) -> Iterator[S3Server]:
    try:
        import flask_cors  # noqa: F401 - moto[server]'s extra
        import moto.server  # noqa: F401
    except ImportError:
        pytest.skip("moto[server] is not installed (pip install -r requirements-dev.txt): no S3-protocol server to test on")
    port = _free_port()
    log = (log_dir / "moto.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=log, stderr=subprocess.STDOUT)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError(f"moto server did not start; see {log_dir / 'moto.log'}") from None
                time.sleep(0.2)
        yield S3Server(endpoint)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
