"""Sending (apiref/271): check the message, find its recipients, build what each recipient's port
gets, and keep the SentMessage with every recipient's result.

Delivery happens between two transactions, neither of which is open while recipients are called:
a recipient on this unit writes to the same database, and on SQLite a sender holding the writer
lock would wait for it forever.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cellar.auth.context import AccessContext
from cellar.ctl.boxes import box_for_schema
from cellar.ctl.formats import cell_url_pieces
from cellar.ctl.schema import CELL_CTL, EXT_CELL, RELATION, SENT_MESSAGE
from cellar.errors import PersoniumError
from cellar.events import catalog
from cellar.events.bus import Event
from cellar.messaging.forms import INITIAL_STATUS, SEND_FORM, check_request_objects, fail, parse_form
from cellar.odata.keys import format_key
from cellar.odata.links import Links
from cellar.odata.store import Entity, EntityStore
from cellar.storage.uow import Transaction
from cellar.urls import UnitUrls

#: Personium's ``MAX_SENT_NUM``: recipients of one message, ``To`` and ``ToRelation`` together.
MAX_RECIPIENTS = 1000
#: What a relay of each kind of request object carries (ODataSentMessageResource.createRequestJsonBody).
CLASS_FIELDS = ("RequestType", "Name", "ClassUrl", "TargetUrl")
RULE_FIELDS = ("RequestType", "Name", "EventSubject", "EventType", "EventObject", "EventInfo", "Action", "TargetUrl")


@dataclass(frozen=True)
class Outgoing:
    """A checked message on its way: the SentMessage to keep (its Result still empty) and its recipients."""

    cell: dict[str, Any]
    sender: str
    values: dict[str, Any]
    recipients: list[str]
    box_bound: bool
    schema: str

    @property
    def id(self) -> str:
        return str(self.values["__id"])

    def port_body(self, recipient: str) -> dict[str, Any]:
        """The ReceivedMessage the recipient's port is asked to keep."""
        values = self.values
        others = [r for r in self.recipients if r != recipient]
        body: dict[str, Any] = {"__id": self.id}
        if self.box_bound:
            body["Schema"] = self.schema
        body.update({"InReplyTo": values["InReplyTo"], "From": self.sender,
                     "MulticastTo": ",".join(others) or None, "Type": values["Type"], "Title": values["Title"],
                     "Body": values["Body"], "Priority": values["Priority"], "Status": INITIAL_STATUS[values["Type"]]})
        if values["Type"] == "request":
            body["RequestObjects"] = [self._relayed(item) for item in values["RequestObjects"]]
        return body

    def _relayed(self, item: dict[str, Any]) -> dict[str, Any]:
        if item["RequestType"].startswith("rule."):
            return {**{name: item[name] for name in RULE_FIELDS}, "Name": item["Name"] or self.id}
        return {name: item[name] for name in CLASS_FIELDS}


def prepare(tx: Transaction, cell: dict[str, Any], urls: UnitUrls, access: AccessContext,
            body: dict[str, Any]) -> Outgoing:
    """Every check the real server makes before delivering, in its order; and, beyond it, that the
    ``__id`` is free, so a message that cannot be kept is never delivered."""
    values = parse_form(SEND_FORM, body)
    box_bound = bool(values.pop("BoxBound"))
    box = box_for_schema(tx, cell, access.schema, urls) if access.schema else None
    if box_bound and box is None:
        raise PersoniumError("PR400-SM-0004", access.schema or "null")
    if values["To"] is None and values["ToRelation"] is None:
        raise fail("To,ToRelation")
    if values["Type"] == "request":
        check_request_objects(values, box_bound=box_bound, receiving=False)
    values["_Box.Name"] = box.name if box is not None else None
    values["Result"] = []
    recipients = _recipients(tx, cell, values)
    if _sent(cell).find(tx, {"__id": values["__id"]}) is not None:
        raise PersoniumError("PR409-OD-0003")
    return Outgoing(cell, urls.cell_url(cell["name"]), values, recipients, box_bound, access.schema)


def _recipients(tx: Transaction, cell: dict[str, Any], values: dict[str, Any]) -> list[str]:
    """``To`` in order, then the ExtCells of ``ToRelation`` (a relation of the main box), each once."""
    found = [url if url.endswith("/") else f"{url}/" for url in cell_url_pieces(values["To"] or "")]
    if values["ToRelation"] is not None:
        found += _relation_cells(tx, cell, values["ToRelation"])
    unique = list(dict.fromkeys(found))
    if len(unique) > MAX_RECIPIENTS:
        raise PersoniumError("PR400-SM-0003")
    return unique


def _relation_cells(tx: Transaction, cell: dict[str, Any], name: str) -> list[str]:
    scope = {"cell_id": cell["id"]}
    relation = CELL_CTL.store(RELATION, scope).find(tx, {"Name": name, "_Box.Name": None})
    if relation is None:
        raise PersoniumError("PR400-SM-0001", name)
    ext_cells = CELL_CTL.store(EXT_CELL, scope)
    nav = RELATION.navigation_property("_ExtCell")
    assert nav is not None
    related = Links(CELL_CTL.store(RELATION, scope)).related(relation, nav, ext_cells)
    linked = ext_cells.select(tx, related, [], MAX_RECIPIENTS + 1, 0)
    if len(linked) > MAX_RECIPIENTS:
        raise PersoniumError("PR400-SM-0003")
    if not linked:
        raise PersoniumError("PR400-SM-0002", name)
    return [entity.values["Url"] for entity in linked]


def record(tx: Transaction, outgoing: Outgoing, results: list[dict[str, str]]) -> Entity:
    """Keep the SentMessage with each recipient's result; a duplicate ``__id`` sent meanwhile is 409."""
    entity = _sent(outgoing.cell).insert(tx, {**outgoing.values, "Result": results}, {})
    tx.emit(Event(catalog.MESSAGE_SEND, message_url(outgoing.sender, entity), "201", cell_id=outgoing.cell["id"]))
    return entity


def message_url(cell_url: str, entity: Entity) -> str:
    return f"{cell_url}__ctl/{entity.etype.name}{format_key(entity.etype, entity.key_values)}"


def _sent(cell: dict[str, Any]) -> EntityStore:
    return CELL_CTL.store(SENT_MESSAGE, {"cell_id": cell["id"]})
