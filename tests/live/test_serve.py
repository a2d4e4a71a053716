"""A real ``cellar serve`` process over real HTTP: start-up, configuration, and the seed pages' curls."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.live
CELLAR = [sys.executable, "-m", "cellar"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, process: subprocess.Popen[str], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"cellar exited early: {process.stdout.read() if process.stdout else ''}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("cellar did not come up")


def serve(tmp_path: Path, **env: str) -> tuple[subprocess.Popen[str], str]:
    port = int(env.get("CELLAR_PORT") or free_port())
    environ = {**os.environ, "CELLAR_PORT": str(port), "CELLAR_DATA_DIR": str(tmp_path / "data"), **env}
    environ.setdefault("CELLAR_UNIT_URL", f"http://127.0.0.1:{port}/")
    process = subprocess.Popen([*CELLAR, "serve"], env=environ, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    base = f"http://127.0.0.1:{port}/"
    try:
        wait_until_up(base, process)
    except BaseException:
        process.kill()
        process.wait(timeout=10)
        raise
    return process, base


@pytest.fixture
def unit(tmp_path: Path) -> Iterator[tuple[str, str]]:
    process, base = serve(tmp_path, CELLAR_MASTER_TOKEN="live-master")
    yield base, "live-master"
    process.terminate()
    process.wait(timeout=10)


def test_create_cell_seed_curl(unit: tuple[str, str]) -> None:
    """The Create Cell seed page, verbatim apart from the unit URL and token."""
    base, token = unit
    response = httpx.post(f"{base}__ctl/Cell", headers={"Authorization": f"Bearer {token}",
                                                        "Accept": "application/json"},
                          content=b'{"Name":"cell1"}')
    assert response.status_code == 201
    assert response.headers["Location"] == f"{base}__ctl/Cell('cell1')"
    assert response.headers["DataServiceVersion"] == "2.0"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["X-Personium-Version"]
    etag = response.headers["ETag"]
    assert etag.startswith('W/"1-')
    result = response.json()["d"]["results"]
    assert result["Name"] == "cell1"
    assert result["__metadata"] == {"uri": f"{base}__ctl/Cell('cell1')", "etag": etag, "type": "UnitCtl.Cell"}
    assert result["__published"] == result["__updated"] == f"/Date({etag[5:-1]})/"


def test_create_extcell_seed_curl(unit: tuple[str, str]) -> None:
    base, token = unit
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    assert httpx.post(f"{base}__ctl/Cell", headers=headers, json={"Name": "cell1"}).status_code == 201
    response = httpx.post(f"{base}cell1/__ctl/ExtCell", headers=headers,
                          content=b'{"Url":"https://cell2.unit1.example/"}')
    assert response.status_code == 201
    result = response.json()["d"]["results"]
    assert result["__metadata"]["uri"] == f"{base}cell1/__ctl/ExtCell('https%3A%2F%2Fcell2.unit1.example%2F')"
    assert result["__metadata"]["type"] == "CellCtl.ExtCell"
    assert result["Url"] == "https://cell2.unit1.example/"


def test_method_override_over_http(unit: tuple[str, str]) -> None:
    base, token = unit
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    httpx.post(f"{base}__ctl/Cell", headers=headers, json={"Name": "old"})
    response = httpx.post(f"{base}__ctl/Cell('old')", headers={**headers, "X-HTTP-Method-Override": "PUT"},
                          json={"Name": "new"})
    assert response.status_code == 204
    assert httpx.get(f"{base}__ctl/Cell('new')", headers=headers).status_code == 200


def test_gzip_over_http(unit: tuple[str, str]) -> None:
    base, token = unit
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json", "Accept-Encoding": "gzip"}
    for index in range(30):
        httpx.post(f"{base}__ctl/Cell", headers=headers, json={"Name": f"c{index}"})
    response = httpx.get(f"{base}__ctl/Cell", headers=headers)
    assert response.headers["Content-Encoding"] == "gzip"
    assert len(response.json()["d"]["results"]) == 25


def test_generated_master_token_is_printed_once_and_kept(tmp_path: Path) -> None:
    process, base = serve(tmp_path)
    token = (tmp_path / "data" / "master-token").read_text().strip()
    assert (tmp_path / "data" / "master-token").stat().st_mode & 0o777 == 0o600
    response = httpx.get(f"{base}__ctl/Cell", headers={"Authorization": f"Bearer {token}",
                                                       "Accept": "application/json"})
    assert response.status_code == 200
    process.terminate()
    output, _ = process.communicate(timeout=10)
    assert output.count(token) == 1
    second, _ = serve(tmp_path)
    second.terminate()
    output, _ = second.communicate(timeout=10)
    assert token not in output


def test_empty_master_token_accepts_no_bearer(tmp_path: Path) -> None:
    process, base = serve(tmp_path, CELLAR_MASTER_TOKEN="")
    try:
        response = httpx.get(f"{base}__ctl/Cell", headers={"Authorization": "Bearer"})
        assert response.status_code == 401
        assert not (tmp_path / "data" / "master-token").exists()
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_fqdn_cell_urls_from_host_header(tmp_path: Path) -> None:
    port = free_port()
    process, _ = serve(tmp_path, CELLAR_PORT=str(port), CELLAR_MASTER_TOKEN="m", CELLAR_CELL_URL_MODE="fqdn",
                       CELLAR_UNIT_URL=f"http://unit.test:{port}/")
    try:
        base = f"http://127.0.0.1:{port}/"
        unit_host = {"Host": f"unit.test:{port}", "Authorization": "Bearer m", "Accept": "application/json"}
        assert httpx.get(base, headers=unit_host).json()["unit"]["path_based_cellurl_enabled"] is False
        assert httpx.post(f"{base}__ctl/Cell", headers=unit_host, json={"Name": "alice"}).status_code == 201
        cell = httpx.get(base, headers={"Host": f"alice.unit.test:{port}", "Accept": "application/json"})
        assert cell.json()["cell"] == {"name": "alice", "url": f"http://alice.unit.test:{port}/"}
        path_based = httpx.get(f"{base}alice/", headers=unit_host)
        assert path_based.status_code == 400
        assert path_based.json()["code"] == "PR400-MC-0002"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.parametrize("env", [{"CELLAR_PORT": "http"}, {"CELLAR_CELL_URL_MODE": "subdomain"},
                                 {"CELLAR_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}])
def test_bad_configuration_stops_with_one_line(tmp_path: Path, env: dict[str, str]) -> None:
    environ = {**os.environ, "CELLAR_DATA_DIR": str(tmp_path), "CELLAR_MASTER_TOKEN": "m", **env}
    result = subprocess.run([*CELLAR, "serve"], env=environ, capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("cellar: configuration error:")
    assert "Traceback" not in result.stderr + result.stdout


def test_two_workers_share_one_database(tmp_path: Path) -> None:
    process, base = serve(tmp_path, CELLAR_MASTER_TOKEN="m", CELLAR_WORKERS="2")
    try:
        headers = {"Authorization": "Bearer m", "Accept": "application/json"}
        with httpx.Client(headers=headers) as client:
            for index in range(20):
                assert client.post(f"{base}__ctl/Cell", json={"Name": f"w{index}"}).status_code == 201
            listing = client.get(f"{base}__ctl/Cell?$inlinecount=allpages&$top=0")
        assert listing.json()["d"]["__count"] == "20"
    finally:
        process.terminate()
        process.wait(timeout=10)


def _workers_of(pid: int) -> set[int]:
    """The serving children of a ``cellar serve`` parent (multiprocessing spawn workers); a child
    that exits while being looked at is not one."""
    workers = set()
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        try:
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                workers.add(int(child))
        except OSError:
            continue
    return workers


def test_a_dead_worker_is_replaced_and_sigterm_stops_them_all(tmp_path: Path) -> None:
    """Several workers each listen on their own SO_REUSEPORT socket (cellar.workers)."""
    process, base = serve(tmp_path, CELLAR_MASTER_TOKEN="m", CELLAR_WORKERS="2")
    try:
        deadline = time.monotonic() + 20
        while len(workers := _workers_of(process.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(workers) == 2
        victim = min(workers)
        os.kill(victim, 9)
        while len(_workers_of(process.pid) - {victim}) < 2 and time.monotonic() < deadline + 20:
            time.sleep(0.2)
        replaced = _workers_of(process.pid)
        assert victim not in replaced and len(replaced) == 2
        for _ in range(10):  # whichever socket a connection lands on, someone answers it
            assert httpx.get(f"{base}__health", timeout=10).status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert not any(Path(f"/proc/{worker}").exists() for worker in replaced)


def test_workers_die_with_a_supervisor_killed_outright(tmp_path: Path) -> None:
    """SIGKILL leaves the supervisor no time to stop its workers: the kernel does (PR_SET_PDEATHSIG),
    so nothing keeps serving, or holding the port, after the server was killed."""
    process, base = serve(tmp_path, CELLAR_MASTER_TOKEN="m", CELLAR_WORKERS="2")
    deadline = time.monotonic() + 20
    while len(workers := _workers_of(process.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(workers) == 2
    process.kill()
    process.wait(timeout=10)
    while any(_alive(worker) for worker in workers) and time.monotonic() < deadline + 10:
        time.sleep(0.2)
    assert not any(_alive(worker) for worker in workers)
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{base}__health", timeout=2)


def _alive(pid: int) -> bool:
    """Running (a zombie, dead but not yet reaped by init, does not count)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except (FileNotFoundError, IndexError):
        return False
