"""The reference servers bench/dav.py states Cellar's figures against, started like ``Server``.

* ``BareStarlette``: bench/bare_app.py on the uvicorn options of ``cellar serve`` (src/cellar/cli.py:
  factory, ``log_level`` warning — the settings' default —, no access log, no server header, one
  worker): the framework's limit for a 1 KB answer.
* ``Nginx``: Debian's nginx serving a 1 KB static file (``worker_processes auto``, access log off,
  like /work/shared/bench/peers/nginx/run.sh): the machine's limit.

Both live in a temp dir of their own, on 127.0.0.1 and a free port, and are stopped by PID
(``Server.stop``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from harness import REPO, Server

ONE_KB_PATH = "/one.txt"


def venv_python() -> str:
    exe = REPO / ".venv" / "bin" / "python"
    return str(exe) if exe.exists() else sys.executable


class BareStarlette(Server):
    label = "bare Starlette (uvicorn)"

    def __init__(self, tag: str = "bare") -> None:
        super().__init__(1, None, tag)
        self.token = ""

    def command(self) -> list[str]:
        return [venv_python(), "-m", "uvicorn", "bare_app:create", "--factory", "--app-dir", str(REPO / "bench"),
                "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning",
                "--no-access-log", "--no-server-header", "--workers", "1"]

    def environment(self) -> dict[str, str]:
        return dict(os.environ)


NGINX_CONF = """worker_processes auto;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    default_type application/octet-stream;
    types {{ text/plain txt; }}
    client_body_temp_path {dir}/tmp/body;
    proxy_temp_path {dir}/tmp/proxy;
    fastcgi_temp_path {dir}/tmp/fastcgi;
    uwsgi_temp_path {dir}/tmp/uwsgi;
    scgi_temp_path {dir}/tmp/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {dir}/www;
    }}
}}
"""


def nginx_version() -> str:
    if not shutil.which("nginx"):
        return ""
    out = subprocess.run(["nginx", "-v"], capture_output=True, text=True, timeout=10)
    return (out.stderr or out.stdout).strip().rpartition("/")[2]


class Nginx(Server):
    label = "nginx"

    def __init__(self, tag: str = "nginx") -> None:
        super().__init__(os.cpu_count() or 1, None, tag)  # worker_processes auto: one per core
        self.token = ""

    def command(self) -> list[str]:
        """Writes the config (the port is known now) and the 1 KB file, then nginx in the foreground."""
        root = self.data_dir
        root.chmod(0o755)  # nginx's workers run as nobody
        (root / "www").mkdir(exist_ok=True)
        (root / "www" / ONE_KB_PATH.lstrip("/")).write_bytes(b"x" * 1023 + b"\n")
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (root / "tmp" / sub).mkdir(parents=True, exist_ok=True)
        (root / "nginx.conf").write_text(NGINX_CONF.format(dir=root, port=self.port))
        return ["nginx", "-e", str(root / "error.log"), "-p", str(root), "-c", str(root / "nginx.conf"),
                "-g", "daemon off;"]

    def environment(self) -> dict[str, str]:
        return dict(os.environ)
