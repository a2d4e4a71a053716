"""webdav4 (PyPI, a test dependency) against a real ``cellar serve``: the calls its users make — ls, put,
get, open and seek, info (a PROPFIND without Depth on a file), mv (MOVE), cp (COPY), rm — and rm of a full
collection with Personium's recursive-delete header, which webdav4 sends when configured with it."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from webdav4.client import Client, HTTPError

from tests.live.test_serve import serve

MASTER = "live-master"
AUTH = {"Authorization": f"Bearer {MASTER}"}


@pytest.fixture
def box_url(tmp_path: Path) -> Iterator[str]:
    process, base = serve(tmp_path / "unit", CELLAR_MASTER_TOKEN=MASTER)
    try:
        assert httpx.post(f"{base}__ctl/Cell", headers=AUTH, json={"Name": "cell1"}).status_code == 201
        assert httpx.post(f"{base}cell1/__ctl/Box", headers=AUTH, json={"Name": "box1"}).status_code == 201
        yield f"{base}cell1/box1/"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_calls_webdav4_users_make(box_url: str, tmp_path: Path) -> None:
    client = Client(box_url, headers=AUTH)
    client.mkdir("docs")
    client.upload_fileobj(io.BytesIO(b"hello world"), "docs/100%.txt")
    assert client.ls("docs", detail=False) == ["docs/100%.txt"]
    info = client.info("docs/100%.txt")
    assert (info["type"], info["content_length"], info["display_name"]) == ("file", 11, "100%.txt")
    assert info["etag"].startswith('"1-')
    with client.open("docs/100%.txt", mode="rb") as handle:
        handle.seek(6)
        assert handle.read() == b"world"
    client.move("docs/100%.txt", "docs/日本語.txt")
    client.copy("docs/日本語.txt", "docs/copy.txt")
    assert sorted(client.ls("docs", detail=False)) == ["docs/copy.txt", "docs/日本語.txt"]
    client.download_file("docs/copy.txt", str(tmp_path / "copy.txt"))
    assert (tmp_path / "copy.txt").read_bytes() == b"hello world"
    client.remove("docs/copy.txt")
    assert client.ls("docs", detail=False) == ["docs/日本語.txt"]


def test_rm_of_a_full_collection_needs_the_recursive_header(box_url: str) -> None:
    client = Client(box_url, headers=AUTH)
    client.mkdir("full")
    client.upload_fileobj(io.BytesIO(b"x"), "full/a.txt")
    with pytest.raises(HTTPError):
        client.remove("full")  # Personium's rule: 403 PR403-DV-0003
    Client(box_url, headers={**AUTH, "X-Personium-Recursive": "true"}).remove("full")
    assert not client.exists("full")
