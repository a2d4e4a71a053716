"""The event bus — apiref/279: a WebSocket at ``{CellURL}__event`` that follows the cell's events.

As the real server's WebSocketService: the upgrade needs nothing; the first message must be
``{"AccessToken": …}`` with ``event-read`` (a token that lacks it closes the session), which lasts an
hour (sending a token again renews it). Then ``Subscribe`` / ``Unsubscribe`` ``{Type, Object}``
prefixes, ``State`` (``Subscriptions`` or ``All``), or an external event ``{Type, Object, Info}``
(needs ``event``; never answered). Malformed messages are ignored. Every event of the cell a
subscription matches is sent once, from whichever node wrote it (they all reach every node's bus).
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import anyio
import orjson
from starlette.websockets import WebSocket, WebSocketDisconnect

from cellar import clock
from cellar.auth.access.endpoint_privileges import CELL_ENDPOINTS, EVENT_BUS_READ
from cellar.errors import PersoniumError
from cellar.events.bus import Event
from cellar.events.subscriptions import Subscription, Subscriptions, event_message
from cellar.http.context import RequestContext
from cellar.http.ctl import cell_request_in

SESSION_MS = 3_600_000
#: Events waiting for a slow client; beyond, new ones are dropped for it.
QUEUED = 1000
STATES = ("All", "Subscriptions")


@dataclasses.dataclass
class Session:
    ctx: RequestContext
    cell_name: str
    cell_id: str | None = None
    cell_url: str = ""
    token_ctx: RequestContext | None = None
    authorized_at: int = 0
    subscriptions: Subscriptions = dataclasses.field(default_factory=Subscriptions)

    @property
    def expired(self) -> bool:
        return clock.now_ms() - self.authorized_at > SESSION_MS


async def event_bus(websocket: WebSocket, cell_name: str) -> None:
    session = Session(RequestContext.of(websocket), cell_name)
    storage = session.ctx.services.storage
    await websocket.accept()

    def find() -> None:
        with storage.transaction("event.bus.cell", write=False) as tx:
            try:
                cell = cell_request_in(tx, session.ctx, cell_name).cell
            except PersoniumError:
                return  # an unknown cell: the session can never authenticate
            session.cell_id, session.cell_url = cell["id"], session.ctx.services.urls.cell_url(cell["name"])

    await anyio.to_thread.run_sync(find)
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[Event] = asyncio.Queue(QUEUED)

    def offer(event: Event) -> None:
        if event.cell_id == session.cell_id and not queue.full():
            queue.put_nowait(event)

    def deliver(event: Event) -> None:  # on whichever thread the dispatcher publishes
        loop.call_soon_threadsafe(offer, event)

    storage.bus.subscribe(deliver)
    try:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(_send_events, websocket, session, queue)
            try:
                while True:
                    if not await _receive(websocket, session, await websocket.receive_text()):
                        break
            except WebSocketDisconnect:
                pass
            tasks.cancel_scope.cancel()
    finally:
        storage.bus.unsubscribe(deliver)
    await _close(websocket)


async def _send_events(websocket: WebSocket, session: Session, queue: asyncio.Queue[Event]) -> None:
    while True:
        event = await queue.get()
        if session.token_ctx is None or not session.subscriptions.wants(event, session.cell_url):
            continue
        if session.expired:
            await _close(websocket)
            return
        await websocket.send_text(orjson.dumps(event_message(event, session.cell_url)).decode())


async def _receive(websocket: WebSocket, session: Session, text: str) -> bool:
    """Handle one message; False ends the session."""
    try:
        message: Any = orjson.loads(text)
    except orjson.JSONDecodeError:
        return True
    if not isinstance(message, dict):
        return True
    if isinstance(message.get("AccessToken"), str):
        return await _authenticate(websocket, session, message["AccessToken"])
    if session.token_ctx is None:
        await _reply(websocket, "AccessToken", "Error", Reason="Unauthorized")
        return True
    if session.expired:
        return False
    for name, handle in (("Subscribe", _subscribe), ("Unsubscribe", _unsubscribe), ("State", _state)):
        if name in message:
            await handle(websocket, session, message[name])
            return True
    if all(isinstance(message.get(name), str) for name in ("Type", "Object", "Info")):
        await anyio.to_thread.run_sync(_post, session, message)
    return True


async def _authenticate(websocket: WebSocket, session: Session, token: str) -> bool:
    ctx = dataclasses.replace(session.ctx, authorization=f"Bearer {token}", cookie=None)

    def check() -> bool:
        with ctx.services.storage.transaction("event.bus.token", write=False) as tx:
            try:
                cell_request_in(tx, ctx, session.cell_name).authorize(EVENT_BUS_READ)
            except PersoniumError:
                return False
        return True

    if session.cell_id is None or not await anyio.to_thread.run_sync(check):
        return False
    session.token_ctx, session.authorized_at = ctx, clock.now_ms()
    await _reply(websocket, "AccessToken", "Success", ExpiresIn=SESSION_MS // 1000)
    return True


def _subscription(value: Any) -> Subscription | None:
    if isinstance(value, dict) and isinstance(value.get("Type"), str) and isinstance(value.get("Object"), str):
        return Subscription(value["Type"], value["Object"])
    return None


async def _subscribe(websocket: WebSocket, session: Session, value: Any) -> None:
    wanted = _subscription(value)
    if wanted is None or not session.subscriptions.add(wanted):
        await _reply(websocket, "Subscribe", "Error", Reason="Format error")
    else:
        await _reply(websocket, "Subscribe", "Success")


async def _unsubscribe(websocket: WebSocket, session: Session, value: Any) -> None:
    wanted = _subscription(value)
    if wanted is None:
        await _reply(websocket, "Unsubscribe", "Error", Reason="Format error")
    elif not session.subscriptions.remove(wanted):
        await _reply(websocket, "Unsubscribe", "Error", Reason="Subscriptions not found")
    else:
        await _reply(websocket, "Unsubscribe", "Success")


async def _state(websocket: WebSocket, session: Session, value: Any) -> None:
    if value not in STATES:
        await _reply(websocket, "State", "Error",
                     Reason="Invalid state type. Allowed status type: [All, Subscriptions]")
        return
    extra: dict[str, Any] = {"Subscriptions": session.subscriptions.listed()}
    if value == "All":
        extra.update(ExpiresIn=(SESSION_MS - (clock.now_ms() - session.authorized_at)) // 1000,
                     Cell=session.cell_name)
    await _reply(websocket, "State", "Success", **extra)


def _post(session: Session, message: dict[str, Any]) -> None:
    """An external event sent over the socket: like ``POST __event`` but never answered."""
    ctx = session.token_ctx
    assert ctx is not None
    key = message.get("RequestKey") if isinstance(message.get("RequestKey"), str) else None
    try:
        with ctx.services.storage.transaction("event.bus.post") as tx:
            cell_request = cell_request_in(tx, ctx, session.cell_name)
            cell_request.authorize(CELL_ENDPOINTS["__event"]["POST"])
            tx.cause = dataclasses.replace(tx.cause, request_key=key)
            tx.emit(Event(message["Type"], message["Object"], message["Info"], cell_id=cell_request.cell["id"],
                          external=True))
    except PersoniumError:
        pass  # the real server swallows it too


async def _reply(websocket: WebSocket, response: str, result: str, **extra: Any) -> None:
    await websocket.send_text(orjson.dumps({"Response": response, "Result": result, **extra,
                                            "Timestamp": clock.now_ms()}).decode())


async def _close(websocket: WebSocket) -> None:
    try:
        await websocket.close()
    except RuntimeError:  # closed already
        pass
