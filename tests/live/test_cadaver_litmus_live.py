"""cadaver and litmus (Debian's, installed by ``make test-tools``) against a real ``cellar serve``, with an
account's Basic credentials, the only ones they send (README "Mounting a box"). cadaver runs the session a
user types; litmus runs its basic, copymove, props and http suites, each in a fresh collection, and what
fails is exactly the list of Personium rules the README gives."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.live.test_serve import serve

MASTER = "live-master"
AUTH = {"Authorization": f"Bearer {MASTER}"}
USER, PASSWORD = "me", "dav-pass1x"

for _tool in ("cadaver", "litmus"):
    assert shutil.which(_tool), f"{_tool} missing: make test-tools installs it"


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A box whose root grants everything to a role the Basic account holds."""
    process, base = serve(tmp_path_factory.mktemp("unit"), CELLAR_MASTER_TOKEN=MASTER)
    cell = f"{base}cell1/"
    try:
        for url, body, extra in [(f"{base}__ctl/Cell", {"Name": "cell1"}, {}),
                                 (f"{cell}__ctl/Box", {"Name": "box1"}, {}),
                                 (f"{cell}__ctl/Role", {"Name": "owner"}, {}),
                                 (f"{cell}__ctl/Account", {"Name": USER}, {"X-Personium-Credential": PASSWORD}),
                                 (f"{cell}__ctl/Account('{USER}')/$links/_Role",
                                  {"uri": f"{cell}__ctl/Role('owner')"}, {})]:
            response = httpx.post(url, headers={**AUTH, **extra}, json=body)
            assert response.status_code in (201, 204), response.text
        acl = (f'<D:acl xmlns:D="DAV:" xml:base="{cell}__role/__/"><D:ace><D:principal><D:href>owner</D:href>'
               '</D:principal><D:grant><D:privilege><D:all/></D:privilege></D:grant></D:ace></D:acl>')
        assert httpx.request("ACL", f"{cell}box1", headers=AUTH, content=acl).status_code == 200
        yield f"{cell}box1/"
    finally:
        process.terminate()
        process.wait(timeout=10)


def _home(tmp_path: Path, box: str) -> dict[str, str]:
    """cadaver reads credentials from ~/.netrc, so each run gets a home of its own."""
    netrc = tmp_path / ".netrc"
    netrc.write_text(f"machine 127.0.0.1\nlogin {USER}\npassword {PASSWORD}\n")
    netrc.chmod(0o600)
    return {**os.environ, "HOME": str(tmp_path)}


def cadaver(box: str, tmp_path: Path, script: str) -> str:
    done = subprocess.run(["cadaver", box], input=script, env=_home(tmp_path, box), cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    return done.stdout + done.stderr


def test_a_cadaver_session(box: str, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("hello cadaver\n")
    out = cadaver(box, tmp_path, "\n".join([
        "mkcol docs", "cd docs", "put a.txt", "get a.txt back.txt", "copy a.txt c.txt", "move c.txt d.txt",
        "propset d.txt color red", "propget d.txt color", "ls", "delete a.txt", "ls", "cd ..",
        "rmcol docs", "delete docs/d.txt", "rmcol docs", "ls", ""]))
    assert "Could not access" not in out, out
    for step in ["Creating `docs': succeeded", "Uploading a.txt to `/cell1/box1/docs/a.txt': [.. succeeded",
                 "Downloading `/cell1/box1/docs/a.txt' to back.txt: [.. succeeded",
                 "Copying `/cell1/box1/docs/a.txt' to `/cell1/box1/docs/c.txt':  succeeded",
                 "Moving `/cell1/box1/docs/c.txt' to `/cell1/box1/docs/d.txt':  succeeded",
                 "Setting property on `d.txt': succeeded", "Value of color is: red",
                 "Deleting `a.txt': succeeded", "Deleting `docs/d.txt': succeeded"]:
        assert step in out, (step, out)
    assert (tmp_path / "back.txt").read_text() == "hello cadaver\n"
    listings = [chunk for chunk in out.split("dav:/") if "> ls\n" in chunk]
    names = [sorted(re.findall(r"^(?:Coll:)?\s+(\S+)\s+\d+ ", listing, re.M)) for listing in listings]
    assert names[:2] == [["a.txt", "d.txt"], ["d.txt"]]
    assert len(names) == 3 and "docs" not in names[2]
    # cadaver cannot send X-Personium-Recursive: a full collection is refused (403), an emptied one goes
    assert re.findall(r"Deleting collection `docs': (\w+)", out) == ["failed", "succeeded"]
    assert "403 Forbidden" in out


# Personium's rules behind each litmus failure (README "Mounting a box"):
EXPECTED_FAILURES = {
    "basic": {"mkcol_with_body"},  # a body that is not XML is 400 PR400-DV-0001, not 415
    # COPY and MOVE never overwrite a collection (400 PR400-DV-0012); copy_shallow then finds the
    # collection copy_coll left behind, which only X-Personium-Recursive could delete
    "copymove": {"copy_overwrite", "copy_coll", "copy_shallow", "move", "move_coll"},
    # removing a property that is not there is 404 in its propstat; sets are applied before removes
    "props": {"propreplace", "propget"},
    "http": set(),
}


@pytest.mark.parametrize("suite", sorted(EXPECTED_FAILURES))
def test_litmus(box: str, tmp_path: Path, suite: str) -> None:
    assert httpx.request("MKCOL", f"{box}litmus-{suite}", headers=AUTH).status_code == 201
    done = subprocess.run(["litmus", f"{box}litmus-{suite}/", USER, PASSWORD], env={**os.environ, "TESTS": suite},
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    failed = set(re.findall(r"\d+\. (\w+)\.+ FAIL", done.stdout))
    assert failed == EXPECTED_FAILURES[suite], done.stdout
    assert re.search(rf"<- summary for `{suite}': of \d+ tests run: \d+ passed", done.stdout), done.stdout
