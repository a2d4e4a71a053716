"""Receiving (``__message/port``): another cell, speaking for itself, hands this cell a message."""

from __future__ import annotations

from typing import Any

from cellar.auth.context import AccessContext, AccessKind
from cellar.ctl.boxes import box_for_schema
from cellar.ctl.schema import CELL_CTL, RECEIVED_MESSAGE
from cellar.errors import PersoniumError
from cellar.events import catalog
from cellar.events.bus import Event
from cellar.messaging.forms import INITIAL_STATUS, PORT_FORM, check_request_objects, fail, parse_form
from cellar.messaging.send import message_url
from cellar.odata.store import Entity
from cellar.storage.uow import Transaction
from cellar.urls import UnitUrls


def check_sender(access: AccessContext, challenge: dict[str, Any]) -> None:
    """Only a trans-cell token whose subject is its issuer: a cell, not an account, unit user or master
    (AccessContext.checkCellIssueToken)."""
    if access.kind is AccessKind.ANONYMOUS:
        raise PersoniumError("PR401-AU-0001", headers=challenge)
    if access.kind is AccessKind.INVALID:
        raise PersoniumError(access.error_code or "PR401-AU-0006", headers=challenge)
    if access.kind is not AccessKind.TRANS or not access.subject or not access.issuer \
            or access.subject.rstrip("/") != access.issuer.rstrip("/"):
        raise PersoniumError("PR403-AU-0002")


def receive(tx: Transaction, cell: dict[str, Any], urls: UnitUrls, body: dict[str, Any]) -> Entity:
    """Check and keep the message. A ``Schema`` binds it to this cell's box of that schema, which must exist."""
    values = parse_form(PORT_FORM, body)
    schema = values.pop("Schema")
    box = box_for_schema(tx, cell, schema, urls) if schema else None
    if schema and box is None:
        raise PersoniumError("PR400-RM-0002", schema)
    if values["Status"] != INITIAL_STATUS[values["Type"]]:
        raise fail("Status")
    if values["Type"] == "request":
        check_request_objects(values, box_bound=bool(schema), receiving=True)
    values["_Box.Name"] = box.name if box is not None else None
    entity = CELL_CTL.store(RECEIVED_MESSAGE, {"cell_id": cell["id"]}).insert(tx, values, {})
    tx.emit(Event(catalog.MESSAGE_RECEIVE, message_url(urls.cell_url(cell["name"]), entity), "201",
                  cell_id=cell["id"]))
    return entity
