"""Several serving processes, each with its own listening socket on the same port (SO_REUSEPORT).

With one shared socket (uvicorn's own supervisor) whichever worker wakes first accepts a whole burst
of connections, and keep-alive clients then stay on it: measured with 16 clients and 2 workers, one
process served everything while the other idled. With a socket per worker the kernel spreads new
connections across them. A worker that dies is replaced on the same socket, so connections queued
meanwhile are not lost; SIGINT or SIGTERM stops them all.
"""

from __future__ import annotations

import ctypes
import functools
import os
import signal
import socket
import threading
from multiprocessing.process import BaseProcess

from uvicorn import Config, Server
from uvicorn._subprocess import get_subprocess

#: uvicorn's exit code for a worker that could not start (bad app, port in use): do not respawn.
STARTUP_FAILURE = 3
_PR_SET_PDEATHSIG = 1


def serve(config: Config) -> None:
    sockets = [_listening_socket(config.host, config.port) for _ in range(config.workers)]
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    workers = [_start(config, sock) for sock in sockets]
    while not stop.wait(0.5):
        for index, worker in enumerate(workers):
            if worker.is_alive():
                continue
            if worker.exitcode == STARTUP_FAILURE:
                stop.set()
                break
            workers[index] = _start(config, sockets[index])
    for worker in workers:
        worker.terminate()
    for worker in workers:
        worker.join()


def _start(config: Config, sock: socket.socket) -> BaseProcess:
    process = get_subprocess(config, target=functools.partial(_serve, config), sockets=[sock])
    process.start()
    return process


def _serve(config: Config, sockets: list[socket.socket]) -> None:
    """A worker goes with its supervisor, even one killed outright (``SIGKILL`` leaves no time to stop
    the workers): the kernel kills it when its parent dies, so a killed server is gone whole."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass  # not Linux: a worker outlives a killed supervisor until it is stopped
    if os.getppid() == 1:  # the supervisor died before prctl took effect
        return
    Server(config=config).run(sockets=sockets)


def _listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock
