"""Which privilege each cell-level endpoint requires (notes §4.4), in one table.

``PUBLIC`` needs no privilege; ``UNIT`` means unit-level access (master token, unit users) and no
ACL; ``OWN`` means the endpoint judges the token itself (``__mypassword``, ``__introspect``).
Every route under a cell must appear here: ``tests/test_endpoint_privileges.py`` checks it.
"""

from __future__ import annotations

PUBLIC, UNIT, OWN = "public", "unit", "own"

CELL_ROOT: dict[str, str] = {
    "GET": PUBLIC, "HEAD": PUBLIC,
    "OPTIONS": "social-read",
    "PROPFIND": "propfind",
    "PROPPATCH": UNIT,
    "ACL": "acl",
    "DELETE": UNIT,
}

CELL_ENDPOINTS: dict[str, dict[str, str]] = {
    "__token": {"POST": PUBLIC, "OPTIONS": PUBLIC},
    "__authz": {"GET": PUBLIC, "POST": PUBLIC, "OPTIONS": PUBLIC},
    "__certs": {"GET": PUBLIC, "OPTIONS": PUBLIC},
    "__introspect": {"POST": OWN, "OPTIONS": "auth-read"},
    "__mypassword": {"PUT": OWN, "OPTIONS": PUBLIC},
    "__box": {"GET": OWN, "OPTIONS": PUBLIC},
    "__role": {"GET": "auth-read", "OPTIONS": "auth-read"},
    # Approving a relation or role request also needs ``social``, a rule request ``rule`` (apiref/267).
    "__message/send": {"POST": "message"},
    "__message/received": {"POST": "message"},
    "__message/port": {"POST": OWN},
    "__event": {"POST": "event"},
    "__rule": {"GET": "rule-read", "OPTIONS": "rule-read"},
    "__log": {"GET": "log-read", "PROPFIND": "log-read", "DELETE": "log"},
}
#: Following the event bus (a WebSocket at ``__event``, apiref/279) needs ``event-read``; posting on it ``event``.
EVENT_BUS_READ = "event-read"
#: What approving each kind of request object needs beyond ``message`` (MessageODataProducer).
APPROVAL_PRIVILEGES = {"relation": "social", "role": "social", "rule": "rule"}

#: ``__ctl/{Set}``: (read, write) privileges, any one of which suffices (apiref/006). ExtCell is
#: written with ``social`` by the real server while the seed page and pages 223–227 say ``auth``:
#: both families are accepted (README, compatibility notes).
CTL_SETS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "Account": (("auth-read",), ("auth",)),
    "Box": (("box-read",), ("box",)),
    "ExtCell": (("social-read", "auth-read"), ("social", "auth")),
    "ExtRole": (("auth-read",), ("auth",)),
    "Relation": (("social-read",), ("social",)),
    "Role": (("auth-read",), ("auth",)),
    "ReceivedMessage": (("message-read",), ("message",)),
    "SentMessage": (("message-read",), ("message",)),
    "Rule": (("rule-read",), ("rule",)),
}
#: Sets whose privileges alone decide ``$links`` and navigation touching them (Account–ReceivedMessage
#: needs ``message``, not ``auth``: ODataLinksResource.checkWriteAccessContext).
CTL_LINK_OWNERS = frozenset({"ReceivedMessage"})

#: Box resources (box root, collections, files; notes §4.4). PUT, MKCOL, DELETE and MOVE need their
#: privilege on the **parent** collection (PUT on an existing file needs ``write-content`` on it);
#: MOVE and COPY also need ``bind`` on the destination's parent, COPY ``read`` on its source; a
#: resource that does not exist is judged by its ancestors' ACLs.
DAV_METHODS: dict[str, str] = {
    "GET": "read", "HEAD": "read", "OPTIONS": "read", "POST": "write",
    "PROPFIND": "read-properties", "PROPPATCH": "write-properties", "ACL": "write-acl",
    "PUT": "bind", "MKCOL": "bind", "DELETE": "unbind", "MOVE": "unbind", "COPY": "read",
}
DAV_PUT_EXISTING = "write-content"
#: Inside an OData collection (apiref 316-378): data is read and written with ``read`` / ``write``,
#: the schema below ``$metadata`` written with ``alter-schema``.
USER_ODATA: dict[str, str] = {"read": "read", "write": "write", "alter-schema": "alter-schema"}
#: (bind, unbind) on the destination's parent; unbind only when a file there is overwritten.
DAV_MOVE_DESTINATION = ("bind", "unbind")
#: DELETE and MOVE of a resource that does not exist: judged, before the 404, by ``write``.
DAV_MISSING_WRITE = "write"
#: ``DELETE {box}`` with ``X-Personium-Recursive: true`` is judged at cell level (apiref/295).
BOX_ROOT_DELETE = "box"
#: OPTIONS on ``$links`` and on the ``__ctl`` service root: the real server's quirks (notes §4.4).
CTL_LINKS_OPTIONS = "social-read"
CTL_ROOT_OPTIONS = "read"
