"""Every event type Cellar emits, named as Personium names them (``PersoniumEventType``).

Where Personium emits nothing (unit control objects, MOVE, ``__mypassword``) the name follows the
same ``category.operation`` shape and is marked "Cellar's own" below. Emit sites build types only
through this module, and :meth:`cellar.storage.uow.Transaction.emit` refuses any other type.
"""

from __future__ import annotations

from dataclasses import dataclass

CREATE, UPDATE, PATCH, DELETE = "create", "update", "patch", "delete"  # PATCH: OData MERGE
MKCOL, ACL, PROPPATCH, MOVE = "mkcol", "acl", "proppatch", "move"
ENTITY_OPERATIONS = (CREATE, UPDATE, PATCH, DELETE)
LINK_OPERATIONS = (CREATE, DELETE)

#: Cell control objects (``{CellURL}__ctl/…``) and the unit's cells (Cellar's own ``unitctl``).
CELLCTL, UNITCTL = "cellctl", "unitctl"
CELLCTL_SETS = ("Account", "Box", "ExtCell", "ExtRole", "ReceivedMessage", "Relation", "Role", "Rule",
                "SentMessage")
UNITCTL_SETS = ("Cell",)
#: The entity set pairs a ``$links`` request can join, each in Personium's (alphabetical) order.
CELLCTL_LINKS = (("Account", "ReceivedMessage"), ("Account", "Role"), ("Box", "ReceivedMessage"),
                 ("Box", "Relation"), ("Box", "Role"), ("Box", "Rule"), ("Box", "SentMessage"), ("ExtCell", "Relation"),
                 ("ExtCell", "Role"), ("ExtRole", "Relation"), ("ExtRole", "Role"), ("Relation", "Role"))

#: The cell root: ACL and PROPPATCH as Personium; ``cell.mypassword`` is Cellar's own.
CELL_ACL, CELL_PROPPATCH, CELL_MYPASSWORD = "cell.acl", "cell.proppatch", "cell.mypassword"

#: Messages (MessageResource.postEvent): sent, received at the port, and each approval command.
MESSAGE_SEND, MESSAGE_RECEIVE = "message.send", "message.receive"
MESSAGE_COMMANDS = {"read": "message.read", "unread": "message.unread", "approved": "message.approve",
                    "rejected": "message.reject"}

#: Timer rules' events (TimerRuleManager).
TIMER_PERIODIC, TIMER_ONESHOT = "timer.periodic", "timer.oneshot"

#: Box resources by category; ``move`` is Cellar's own. ``box.delete`` is the recursive box delete.
BOX, WEBDAVCOL, ODATACOL, SERVICECOL, STREAMCOL, DAVFILE = (
    "box", "webdavcol", "odatacol", "servicecol", "streamcol", "davfile")
_COLLECTION_OPERATIONS = (MKCOL, ACL, PROPPATCH, DELETE, MOVE)
DAV_OPERATIONS: dict[str, tuple[str, ...]] = {
    BOX: (ACL, PROPPATCH, DELETE),
    WEBDAVCOL: _COLLECTION_OPERATIONS, ODATACOL: _COLLECTION_OPERATIONS,
    SERVICECOL: _COLLECTION_OPERATIONS, STREAMCOL: _COLLECTION_OPERATIONS,
    DAVFILE: (CREATE, UPDATE, ACL, PROPPATCH, DELETE, MOVE),
}


def entity(prefix: str, entity_set: str, operation: str) -> str:
    """``cellctl.Account.create``; an OData MERGE is ``patch``."""
    return f"{prefix}.{entity_set}.{operation}"


def link(prefix: str, source: str, target: str, operation: str) -> str:
    """``cellctl.Box.links.Role.create`` whichever side the request started from."""
    first, second = sorted((source, target))
    return f"{prefix}.{first}.links.{second}.{operation}"


#: Inside OData collections: the schema's sets are named like control objects (``odata.EntityType.create``,
#: ``odata.EntityType.links.Property.create``); user data is not (``odata.create``, ``odata.links.create``).
ODATA = "odata"
ODATA_SCHEMA_SETS = ("AssociationEnd", "ComplexType", "ComplexTypeProperty", "EntityType", "Property")
ODATA_SCHEMA_LINKS = (("AssociationEnd", "AssociationEnd"), ("AssociationEnd", "EntityType"),
                      ("ComplexType", "ComplexTypeProperty"), ("EntityType", "Property"))


@dataclass(frozen=True)
class Naming:
    """How the events of one OData service root are named."""

    prefix: str
    #: Whether the entity set is part of the name (control objects, the schema) or not (user data).
    per_set: bool = True

    def entity(self, entity_set: str, operation: str) -> str:
        return entity(self.prefix, entity_set, operation) if self.per_set else f"{self.prefix}.{operation}"

    def link(self, source: str, target: str, operation: str) -> str:
        return link(self.prefix, source, target, operation) if self.per_set else f"{self.prefix}.links.{operation}"


CELLCTL_EVENTS, UNITCTL_EVENTS = Naming(CELLCTL), Naming(UNITCTL)
ODATA_SCHEMA_EVENTS, USER_DATA_EVENTS = Naming(ODATA), Naming(ODATA, per_set=False)


def dav(category: str, operation: str) -> str:
    return f"{category}.{operation}"


def _all() -> frozenset[str]:
    types = {CELL_ACL, CELL_PROPPATCH, CELL_MYPASSWORD, MESSAGE_SEND, MESSAGE_RECEIVE, *MESSAGE_COMMANDS.values(),
             TIMER_PERIODIC, TIMER_ONESHOT}
    for prefix, sets in ((CELLCTL, CELLCTL_SETS), (UNITCTL, UNITCTL_SETS)):
        types |= {entity(prefix, name, op) for name in sets for op in ENTITY_OPERATIONS}
    types |= {link(CELLCTL, a, b, op) for a, b in CELLCTL_LINKS for op in LINK_OPERATIONS}
    types |= {entity(ODATA, name, op) for name in ODATA_SCHEMA_SETS for op in ENTITY_OPERATIONS}
    types |= {link(ODATA, a, b, op) for a, b in ODATA_SCHEMA_LINKS for op in LINK_OPERATIONS}
    types |= {USER_DATA_EVENTS.entity("", op) for op in ENTITY_OPERATIONS}
    types |= {USER_DATA_EVENTS.link("", "", op) for op in LINK_OPERATIONS}
    types |= {dav(category, op) for category, ops in DAV_OPERATIONS.items() for op in ops}
    return frozenset(types)


TYPES = _all()
