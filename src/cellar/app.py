"""The application factory: settings in, ASGI app out."""

from __future__ import annotations

import ctypes
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import anyio.to_thread
from sqlalchemy.exc import IntegrityError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.routing import Router
from starlette.types import ASGIApp, Lifespan, Receive, Scope, Send

from cellar import clock
from cellar.events.dispatcher import Timing
from cellar.http.dispatch import Dispatcher
from cellar.http.errors import handle_internal_error
from cellar.http.middleware import Compression, ProtocolMiddleware
from cellar.outbound import Outbound
from cellar.rules import actions, timers
from cellar.rules.engine import RuleEngine
from cellar.services import Services
from cellar.settings import Settings
from cellar.storage import Storage, open_storage
from cellar.storage.migrations import migrate
from cellar.urls import UnitUrls
from cellar.userdata import indexes, reindex


def build_services(settings: Settings, storage: Storage | None = None) -> Services:
    storage = storage or open_storage(settings.database_url)
    return Services(settings, storage, UnitUrls(settings.unit_url, settings.path_based_cell_url))


def tune_process(storage: Storage) -> None:
    """Fewer database threads than anyio's default 40: SQLite has one writer and Python one GIL,
    so extra threads only queue (PostgreSQL waits on the network and gets more). And return big
    blocks (argon2's 19 MiB per hash) to the system instead of keeping them in malloc arenas."""
    anyio.to_thread.current_default_thread_limiter().total_tokens = 4 if storage.caps.single_writer else 16
    try:
        ctypes.CDLL("libc.so.6").mallopt(-3, 1 << 20)  # M_MMAP_THRESHOLD: 1 MiB
    except (OSError, AttributeError):
        pass  # not glibc: nothing to tune


def event_timing(settings: Settings, storage: Storage) -> Timing:
    return Timing(settings.event_poll_interval / 1000, settings.event_retention * 1000, storage.caps.notify)


def sweep_leftovers(services: Services) -> None:
    """What went away only in part: file bodies of uploads and deletions a dead process never finished,
    the property indexes of entity types that went with their collection, box or cell, and the full-text
    index of entities written before there was one."""
    services.blobs.sweep()
    with services.storage.transaction("userdata.indexes.sweep", write=True) as tx:
        indexes.sweep(tx.conn)
    try:
        while True:
            with services.storage.transaction("userdata.search.backfill", write=True) as tx:
                if not reindex.backfill(tx):
                    break
    except IntegrityError:  # another process indexed the same entities: it goes on with them
        pass


async def sweep_periodically(services: Services) -> None:
    """Forever, twice per upload lease (any process may; sweeping is idempotent)."""
    while True:
        await anyio.sleep(max(services.settings.upload_lease / 2, 1))
        try:
            await anyio.to_thread.run_sync(sweep_leftovers, services)
        except Exception:  # a busy or unreachable database: the next round retries
            logging.getLogger(__name__).exception("sweeping leftovers failed")


async def run_rule_actions(services: Services) -> None:
    """Forever: claim the rules' HTTP actions no process holds and run them, all at once, each within
    the delivery timeout; a failed round is retried at the next poll."""
    interval = services.settings.event_poll_interval / 1000
    while True:
        try:
            claimed = await anyio.to_thread.run_sync(_claim_actions, services)
            if claimed:
                async with anyio.create_task_group() as tasks:
                    for action_id, job in claimed:
                        tasks.start_soon(_run_action, services, action_id, job)
                continue
        except Exception:  # a busy or unreachable database
            logging.getLogger(__name__).exception("running rule actions failed")
        await anyio.sleep(interval)


def _claim_actions(services: Services) -> list[tuple[int, actions.Job]]:
    """Fire the timers that are due (each in a transaction of its own, with its own cause), then claim."""
    with services.storage.transaction("rules.poll", write=False) as tx:
        due = timers.due(tx, clock.now_ms())
        waiting = actions.pending(tx)
    for rule_id in due:
        with services.storage.transaction("rules.timer") as tx:
            timers.fire(tx, rule_id, services.urls)
    if not (waiting or due):
        return []
    with services.storage.transaction("rules.claim") as tx:
        return actions.claim(tx, services.storage.origin)


async def _run_action(services: Services, action_id: int, job: actions.Job) -> None:
    status = await actions.run(job, services.outbound, services.keyring)

    def finish() -> None:
        with services.storage.transaction("rules.finish") as tx:
            actions.finish(tx, action_id, job, status, services.settings.event_log_size)

    await anyio.to_thread.run_sync(finish)


async def checkpoint_log(storage: Storage) -> None:
    """Forever: bring the database up to date with its write-ahead log (SQLite), twice a second."""
    while True:
        await anyio.sleep(CHECKPOINT_INTERVAL)
        try:
            await anyio.to_thread.run_sync(storage.checkpoint)
        except Exception:  # busy or failing: the next round, or a commit far behind, checkpoints
            logging.getLogger(__name__).exception("checkpointing the write-ahead log failed")


CHECKPOINT_INTERVAL = 0.5


def create_app(settings: Settings, *, services: Services | None = None) -> Starlette:
    services = services or build_services(settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        migrate(services.storage)
        services.keyring  # noqa: B018 - load (or create) the unit's keys before the first request
        tune_process(services.storage)
        services.storage.events.start(event_timing(settings, services.storage))
        sweep_leftovers(services)
        try:
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(sweep_periodically, services)
                tasks.start_soon(run_rule_actions, services)
                if services.storage.caps.single_writer:
                    tasks.start_soon(checkpoint_log, services.storage)
                yield
                tasks.cancel_scope.cancel()
        finally:
            await services.outbound.aclose()
            services.blobs.close()
            services.storage.events.stop()
            services.storage.dispose()

    app = CellarApp(middleware=[Middleware(Compression, minimum_size=1024), Middleware(ProtocolMiddleware)])
    app.router = DispatchingRouter(Dispatcher(), lifespan)
    app.state.services = services
    services.outbound = Outbound(services.urls, app, settings.message_timeout)
    services.storage.before_record["rules"] = RuleEngine(services.urls, settings.event_log_size).judge
    return app


class CellarApp(Starlette):
    """Starlette with only the middleware it is given, inside one that turns an unexpected exception
    into a PR500 (a Personium error becomes its response in the dispatcher, where it is raised)."""

    def build_middleware_stack(self) -> ASGIApp:
        app: ASGIApp = self.router
        for cls, args, kwargs in reversed(self.user_middleware):
            app = cls(app, *args, **kwargs)
        return ServerErrorMiddleware(app, handler=handle_internal_error)


class DispatchingRouter(Router):
    """Every HTTP request goes to the one dispatcher, which routes on the raw path itself; the router
    keeps only the lifespan (there are no routes to match, so matching them would be wasted work)."""

    def __init__(self, dispatcher: Dispatcher, lifespan: Lifespan[Starlette]) -> None:
        super().__init__(lifespan=lifespan, redirect_slashes=False)
        self.dispatcher = dispatcher

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self.dispatcher(scope, receive, send)
        elif scope["type"] == "websocket":
            await self.dispatcher.websocket(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)
