"""rclone (Debian's, installed by ``make test-tools``) against a real ``cellar serve``: a box is a
WebDAV remote (README "Mounting a box"). Copy, check with download, server-side copy and move, sync,
and purge with Personium's recursive-delete header; names with ``%``, ``#`` and letters beyond ASCII;
Bearer and Basic credentials. What the issue "WebDAV for real clients" found broken: hrefs that
were not URIs, COPY missing."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.live.test_serve import serve

MASTER = "live-master"
AUTH = {"Authorization": f"Bearer {MASTER}"}
PASSWORD = "rclone-pass1"
NAMES = ["100%.txt", "a#b.txt", "日本語.txt", "plain.bin", "sub/inner.txt"]

assert shutil.which("rclone"), "rclone missing: make test-tools installs it"


@pytest.fixture
def remote(tmp_path: Path) -> Iterator[dict[str, str]]:
    process, base = serve(tmp_path / "unit", CELLAR_MASTER_TOKEN=MASTER)
    try:
        assert httpx.post(f"{base}__ctl/Cell", headers=AUTH, json={"Name": "cell1"}).status_code == 201
        assert httpx.post(f"{base}cell1/__ctl/Box", headers=AUTH, json={"Name": "box1"}).status_code == 201
        account = httpx.post(f"{base}cell1/__ctl/Account", json={"Name": "me"},
                             headers={**AUTH, "X-Personium-Credential": PASSWORD})
        assert account.status_code == 201, account.text
        yield {"RCLONE_CONFIG_BOX_TYPE": "webdav", "RCLONE_CONFIG_BOX_URL": f"{base}cell1/box1/",
               "RCLONE_CONFIG_BOX_VENDOR": "other", "RCLONE_CONFIG_BOX_BEARER_TOKEN": MASTER,
               "RCLONE_CONFIG": str(tmp_path / "rclone.conf")}
    finally:
        process.terminate()
        process.wait(timeout=10)


def rclone(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(["rclone", *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, (args, done.stderr[-2000:])
    return done.stdout


@pytest.fixture
def files(tmp_path: Path) -> Path:
    source = tmp_path / "files"
    for index, name in enumerate(NAMES):
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_bytes(os.urandom(1000 + index))
    return source


def test_copy_check_and_list_odd_names(remote, files):
    rclone(remote, "copy", str(files), "box:data")
    assert sorted(rclone(remote, "lsf", "-R", "--files-only", "box:data").split()) == sorted(NAMES)
    rclone(remote, "check", "--download", str(files), "box:data")


def test_server_side_copy_and_move(remote, files):
    rclone(remote, "copy", str(files), "box:data")
    rclone(remote, "copyto", "box:data/100%.txt", "box:data/copied.txt")
    rclone(remote, "moveto", "box:data/a#b.txt", "box:data/moved.txt")
    listed = set(rclone(remote, "lsf", "box:data").split())
    assert {"100%.txt", "copied.txt", "moved.txt"} <= listed and "a#b.txt" not in listed
    copied = httpx.get(remote["RCLONE_CONFIG_BOX_URL"] + "data/copied.txt", headers=AUTH)
    assert copied.content == (files / "100%.txt").read_bytes()


def test_sync_deletes_and_purge_needs_the_recursive_header(remote, files):
    rclone(remote, "copy", str(files), "box:data")
    (files / "plain.bin").unlink()
    rclone(remote, "sync", str(files), "box:data")
    assert "plain.bin" not in rclone(remote, "lsf", "box:data").split()
    failed = subprocess.run(["rclone", "purge", "box:data"], env={**os.environ, **remote}, capture_output=True,
                            text=True, timeout=120)
    assert failed.returncode != 0 and "PR403-DV-0003" in failed.stderr  # Personium's rule for a full collection
    rclone(remote, "purge", "--header", "X-Personium-Recursive: true", "box:data")
    assert "data/" not in rclone(remote, "lsf", "box:").split()


def test_basic_credentials(remote, files):
    basic = {key: value for key, value in remote.items() if key != "RCLONE_CONFIG_BOX_BEARER_TOKEN"}
    basic |= {"RCLONE_CONFIG_BOX_USER": "me", "RCLONE_CONFIG_BOX_PASS": rclone(remote, "obscure", PASSWORD).strip()}
    rclone(remote, "copy", str(files), "box:data")
    acl = ('<D:acl xmlns:D="DAV:"><D:ace><D:principal><D:all/></D:principal><D:grant><D:privilege><D:read/>'
           '</D:privilege></D:grant></D:ace></D:acl>')
    assert httpx.request("ACL", remote["RCLONE_CONFIG_BOX_URL"] + "data", headers=AUTH,
                         content=acl).status_code == 200
    rclone(basic, "check", "--download", str(files), "box:data")


def test_two_hundred_small_files_and_one_of_50_mb(remote, tmp_path):
    source = tmp_path / "many"
    source.mkdir()
    for index in range(200):
        (source / f"small-{index:03}.txt").write_bytes(os.urandom(100 + index))
    (source / "large.bin").write_bytes(os.urandom(50 * 1024 * 1024))
    rclone(remote, "copy", "--transfers", "8", str(source), "box:many")
    rclone(remote, "check", "--download", str(source), "box:many")
    (source / "small-000.txt").write_bytes(b"changed")
    (source / "small-001.txt").unlink()
    rclone(remote, "sync", str(source), "box:many")
    rclone(remote, "check", "--download", str(source), "box:many")
    assert len(rclone(remote, "lsf", "box:many").split()) == 200


def test_a_name_with_a_space_is_refused_by_personiums_name_rule(remote, files):
    (files / "with space.txt").write_bytes(b"s")
    failed = subprocess.run(["rclone", "copy", str(files), "box:data"], env={**os.environ, **remote},
                            capture_output=True, text=True, timeout=120)
    assert failed.returncode != 0 and "PR403-DV-0004" in failed.stderr  # Resource name is invalid
    assert sorted(rclone(remote, "lsf", "-R", "--files-only", "box:data").split()) == sorted(NAMES)
