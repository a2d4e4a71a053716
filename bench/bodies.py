#!/usr/bin/env python3
"""Large WebDAV file bodies: PUT, GET, then DELETE of a 1 GB file against a real ``cellar serve`` (1 worker,
SQLite unless ``--database-url``), printing MB/s each way and how much the server's resident memory grew
(target: under 50 MB for either), and the same against nginx with ``dav_methods PUT DELETE`` beside it.
Prints figures, asserts nothing. Only 127.0.0.1 is targeted; every process started is stopped by PID.

    .venv/bin/python bench/bodies.py [--size-mb 1024] [--no-nginx] [--database-url postgresql://…]
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import Server, log  # noqa: E402
from references import NGINX_CONF, Nginx  # noqa: E402

PIECE = hashlib.sha256(b"bench").digest() * (1024 * 1024 // 32)
#: nginx as bench/references.py starts it, with PUT and DELETE allowed and no body size limit.
NGINX_DAV_CONF = NGINX_CONF.replace("        root {dir}/www;\n", "        root {dir}/www;\n"
                                    "        dav_methods PUT DELETE;\n        client_max_body_size 0;\n")


class DavNginx(Nginx):
    def command(self) -> list[str]:
        command = super().command()
        (self.data_dir / "www").chmod(0o777)  # its workers write the uploaded file
        (self.data_dir / "nginx.conf").write_text(NGINX_DAV_CONF.format(dir=self.data_dir, port=self.port))
        return command


class BodyServer(Server):
    def __init__(self, database_url: str | None, size_mb: int) -> None:
        super().__init__(1, database_url, "cellar")
        self.size_mb = size_mb

    def environment(self) -> dict[str, str]:
        return {**super().environment(), "CELLAR_MAX_FILE_SIZE": str((self.size_mb + 1) * 1024 * 1024)}


def _body(size_mb: int) -> Iterator[bytes]:
    for _ in range(size_mb):
        yield PIECE


def _rss_kb(server: Server, key: str) -> int:
    server.sample_memory()
    return sum(hwm if key == "VmHWM" else rss for _, _, hwm, rss in server.peak)


def _put_get(server: Server, url: str, headers: dict[str, str], size_mb: int) -> dict[str, float]:
    expected = hashlib.sha256()
    for piece in _body(size_mb):
        expected.update(piece)
    baseline = _rss_kb(server, "VmRSS")
    started = time.monotonic()
    response = httpx.put(url, content=_body(size_mb), headers=headers, timeout=600)
    put_seconds = time.monotonic() - started
    assert_ok = response.status_code in (200, 201, 204)
    after_put = _rss_kb(server, "VmHWM")
    digest, received = hashlib.sha256(), 0
    started = time.monotonic()
    with httpx.stream("GET", url, headers={**headers, "Accept-Encoding": "identity"}, timeout=600) as got:
        for piece in got.iter_bytes():
            digest.update(piece)
            received += len(piece)
    get_seconds = time.monotonic() - started
    after_get = _rss_kb(server, "VmHWM")
    started = time.monotonic()
    deleted = httpx.delete(url, headers=headers, timeout=600).status_code
    delete_seconds = time.monotonic() - started
    megabytes = size_mb * 1024 * 1024 / 1e6
    return {"put status": response.status_code if assert_ok else -response.status_code,
            "put MB/s": megabytes / put_seconds, "get MB/s": megabytes / get_seconds,
            "baseline RSS MB": baseline / 1024, "RSS growth after PUT MB": (after_put - baseline) / 1024,
            "RSS growth after GET MB": (after_get - baseline) / 1024,
            "body intact": float(received == size_mb * 1024 * 1024 and digest.digest() == expected.digest()),
            "delete status": deleted, "delete seconds": delete_seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--no-nginx", action="store_true")
    args = parser.parse_args()
    results: dict[str, dict[str, float]] = {}
    cellar = BodyServer(args.database_url, args.size_mb)
    try:
        cellar.start()
        auth = {"Authorization": f"Bearer {cellar.token}"}
        assert httpx.post(f"{cellar.base}/__ctl/Cell", headers=auth, json={"Name": "bench"}).status_code == 201
        log(f"cellar: PUT/GET of {args.size_mb} MB")
        results["cellar serve (1 worker)"] = _put_get(cellar, f"{cellar.base}/bench/__/big.bin",
                                                      {**auth, "Content-Type": "application/octet-stream"},
                                                      args.size_mb)
    finally:
        cellar.stop()
    if not args.no_nginx:
        nginx = DavNginx()
        try:
            nginx.start()
            log(f"nginx: PUT/GET of {args.size_mb} MB")
            results["nginx (dav_methods)"] = _put_get(nginx, f"{nginx.base}/big.bin", {}, args.size_mb)
        finally:
            nginx.stop()
    print(f"\nPUT, GET, then DELETE of a {args.size_mb} MB file on 127.0.0.1 "
          f"({'PostgreSQL' if args.database_url else 'SQLite'} for cellar)")
    names = list(next(iter(results.values())))
    print(f"{'':28}" + "".join(f"{name:>26}" for name in results))
    for key in names:
        print(f"{key:28}" + "".join(f"{values[key]:>26.1f}" for values in results.values()))


if __name__ == "__main__":
    main()
