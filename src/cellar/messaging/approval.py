"""Changing a received message's status (apiref/267): read or unread for a message; approved or
rejected, once, for a request — approving carries out its request objects against this cell.

Unlike the real server, which applies request objects one by one and keeps those done before one
fails, all of it happens in the caller's one transaction: nothing or everything.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from cellar.ctl.boxes import box_for_schema
from cellar.ctl.schema import EXT_CELL, RECEIVED_MESSAGE, RELATION, ROLE, RULE
from cellar.errors import PersoniumError
from cellar.events import catalog
from cellar.events.bus import Event
from cellar.messaging.forms import class_name, fail
from cellar.messaging.send import message_url
from cellar.odata.model import EntityType
from cellar.odata.service import ServiceRoot
from cellar.odata.store import Entity
from cellar.storage.uow import Transaction
from cellar.urls import UnitUrls

COMMANDS = ("unread", "read", "approved", "rejected")
#: What a command may do to a message of each Type.
ALLOWED = {"message": ("read", "unread"), "request": ("approved", "rejected")}
TARGETS: dict[str, EntityType] = {"relation": RELATION, "role": ROLE}


def parse_command(raw: bytes) -> str:
    try:
        body: Any = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise PersoniumError("PR400-CM-0004", raw.decode("utf-8", "replace")) from None
    command = body.get("Command") if isinstance(body, dict) else None
    if command not in COMMANDS:
        raise fail("Command")
    return str(command)


def change_status(tx: Transaction, root: ServiceRoot, cell: dict[str, Any], urls: UnitUrls, message_id: str,
                  command: str, authorize: Callable[[str], None]) -> Entity:
    """``authorize(kind)``: raise unless the caller may approve requests of that kind (relation, role, rule)."""
    store = root.model.store(RECEIVED_MESSAGE, root.scope)
    message = store.find(tx, {"__id": message_id})
    if message is None:
        raise PersoniumError("PR404-OD-0002")
    kind = message.values["Type"]
    if kind == "request" and message.values["Status"] != "none":
        raise fail("Command")
    if command not in ALLOWED.get(kind, COMMANDS):
        raise fail("Command")
    if command == "approved":
        for item in message.values["RequestObjects"] or ():
            target_kind = item["RequestType"].partition(".")[0]
            authorize(target_kind)
            _carry_out(tx, root, cell, urls, message, item)
    updated = store.update(tx, message, {"Status": command})
    tx.emit(Event(catalog.MESSAGE_COMMANDS[command], message_url(urls.cell_url(cell["name"]), updated),
                  "204", cell_id=cell["id"]))
    return updated


def _carry_out(tx: Transaction, root: ServiceRoot, cell: dict[str, Any], urls: UnitUrls, message: Entity,
               item: dict[str, Any]) -> None:
    kind, _, operation = item["RequestType"].partition(".")
    if kind == "rule":
        _carry_out_rule(tx, root, message, item, operation)
        return
    etype = TARGETS[kind]
    target = _class_target(tx, root, cell, urls, etype, kind, message, item)
    service = root.service(etype)
    nav = service.navigation("_ExtCell")
    ext_cell = _ext_cell(tx, root, urls, item["TargetUrl"], create=operation == "add")
    if operation == "add":
        try:
            service.add_link(tx, target, nav, ext_cell)
        except PersoniumError as exc:
            if exc.code == "PR409-OD-0002":
                raise PersoniumError("PR400-RM-0001") from None
            raise
    else:
        service.remove_link(tx, target, nav, ext_cell)


def _carry_out_rule(tx: Transaction, root: ServiceRoot, message: Entity, item: dict[str, Any],
                    operation: str) -> None:
    """A rule of the message's box, named as the request names it (the sender named it if it did not)."""
    key = {"Name": item["Name"], "_Box.Name": message.values.get("_Box.Name")}
    service = root.service(RULE)
    if operation == "remove":
        service.delete(tx, key, None)
        return
    fields = ("EventSubject", "EventType", "EventObject", "EventInfo", "Action", "TargetUrl")
    service.create(tx, {**key, "EventExternal": False, **{name: item[name] for name in fields}})


def _class_target(tx: Transaction, root: ServiceRoot, cell: dict[str, Any], urls: UnitUrls, etype: EntityType,
                  kind: str, message: Entity, item: dict[str, Any]) -> Entity:
    """The relation or role named by ``Name`` (in the message's box) or by ``ClassUrl`` (in the box of
    the class's schema)."""
    if item["Name"] is not None:
        key = {"Name": item["Name"], "_Box.Name": message.values.get("_Box.Name")}
    else:
        class_url = urls.canonical(item["ClassUrl"])
        schema, name = class_name(kind, class_url)
        box = box_for_schema(tx, cell, schema, urls)
        if box is None:
            raise PersoniumError("PR400-RM-0003", class_url)
        key = {"Name": name, "_Box.Name": box.name}
    found = root.model.store(etype, root.scope).find(tx, key)
    if found is None:
        raise PersoniumError("PR409-RM-0002", etype.name, _java_map(key))
    return found


def _ext_cell(tx: Transaction, root: ServiceRoot, urls: UnitUrls, url: str, *, create: bool) -> Entity:
    """The ExtCell of ``url`` in any of its spellings; made (as given) for an add when there is none."""
    store = root.model.store(EXT_CELL, root.scope)
    for spelling in [url, *sorted(urls.spellings(url) - {url})]:
        found = store.find(tx, {"Url": spelling})
        if found is not None:
            return found
    if not create:
        raise PersoniumError("PR409-RM-0002", EXT_CELL.name, _java_map({"Url": url}))
    return root.service(EXT_CELL).create(tx, {"Url": url})


def _java_map(key: dict[str, Any]) -> str:
    """The key as the real server's message shows it (a Java map: ``{_Box.Name=box1, Name=r1}``)."""
    parts = [f"{name}={value}" for name, value in sorted(key.items(), reverse=True) if value is not None]
    return "{" + ", ".join(parts) + "}"
