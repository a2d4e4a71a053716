"""The WebDAV tree of a box (notes §9.2): boxes, collections and files as rows of ``dav_nodes``.

Only structure lives here — finding a path, adding, replacing, moving and removing nodes, their ACL
and dead properties — so that OData, service and stream collections can hang their own behaviour
off the same nodes later. Who may do what is decided by the caller (``cellar.auth.access.authorize``).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

import orjson
from sqlalchemy import BindParameter, and_, bindparam, delete, func, select, text, update

from cellar import clock
from cellar.auth.access.acl import Acl
from cellar.auth.cache import ACLS
from cellar.errors import PersoniumError
from cellar.storage.blobs import BlobStore
from cellar.storage.ids import new_id
from cellar.storage.prepared import Prepared, insert_of
from cellar.storage.tables import dav_nodes
from cellar.storage.uow import Transaction

MAIN_BOX = "__"
#: Children a collection may hold unless configured otherwise (Personium ``dav.childresource.maxnum``).
MAX_CHILDREN = 1024
MAX_DEPTH = 50
MAX_NAME = 256
_FORBIDDEN_NAME_CHARS = frozenset('\\/:*?"<>| ')


class Kind(StrEnum):
    BOX = "col.box"
    WEBDAV = "col.webdav"
    ODATA = "col.odata"
    SERVICE = "col.svc"
    SOURCE = "col.svcsrc"  # the ``__src`` collection every service collection carries
    STREAM = "col.stream"
    FILE = "dav.file"

    @property
    def is_collection(self) -> bool:
        return self is not Kind.FILE


#: Where a new collection or file may be created: only under the box root and plain collections
#: (and files under a service's ``__src``).
_CONTAINERS = frozenset({Kind.BOX, Kind.WEBDAV})


@dataclass(frozen=True)
class Box:
    """A box as the tree sees it; the main box ``__`` has the cell's id and no row in ``boxes``."""

    id: str
    cell_id: str
    name: str
    schema: str | None
    published: int
    updated: int

    @property
    def is_main(self) -> bool:
        return self.name == MAIN_BOX


@dataclass(frozen=True)
class Node:
    id: str
    box_id: str
    parent_id: str
    name: str
    kind: Kind
    published: int
    updated: int
    version: int
    content_type: str | None = None
    content_length: int | None = None
    blob_id: str | None = None
    acl: Acl = field(default_factory=Acl)
    props: dict[str, str] = field(default_factory=dict)
    #: False for a box root that has never been written (no row yet).
    stored: bool = True

    @property
    def etag(self) -> str:
        return f'"{self.version}-{self.updated}"'

    @property
    def is_collection(self) -> bool:
        return self.kind.is_collection

    def etag_matches(self, header: str) -> bool:
        """The whole header against the strong ETag or its weak form (lists never match)."""
        return header.strip() in (self.etag, f"W/{self.etag}")

    def if_match(self, header: str | None) -> bool:
        """``If-Match`` absent, ``*`` or this version (PUT, DELETE and MOVE; else 412 PR412-DV-0001)."""
        return header is None or header.strip() == "*" or self.etag_matches(header)


@dataclass(frozen=True)
class Located:
    """A path resolved as far as it exists: ``chain`` runs from the box root to the deepest node
    found; ``missing`` are the segments below it that do not exist."""

    box: Box
    chain: tuple[Node, ...]
    missing: tuple[str, ...]

    @property
    def node(self) -> Node | None:
        return None if self.missing else self.chain[-1]

    @property
    def deepest(self) -> Node:
        return self.chain[-1]

    @property
    def depth(self) -> int:
        return len(self.chain) - 1 + len(self.missing)

    def parent_chain(self) -> tuple[Node, ...]:
        """The existing ancestors of the addressed resource (itself excluded), nearest last."""
        return self.chain[:-1] if self.node is not None else self.chain


def _node(row: Any) -> Node:
    return node_of(row._mapping)


def node_of(row: Mapping[str, Any]) -> Node:
    """A ``dav_nodes`` row as a node."""
    return Node(row["id"], row["box_id"], row["parent_id"], row["name"], Kind(row["kind"]), row["published"],
                row["updated"], row["version"], row["content_type"], row["content_length"], row["blob_id"],
                _acl(row), orjson.loads(row["props"]) if row["props"] else {})


def _acl(row: Mapping[str, Any]) -> Acl:
    """Parsed once per process and node version (every write raises the version)."""
    if not row["acl"]:
        return Acl()
    return ACLS.get_or_make((row["id"], row["version"], "dav"),  # type: ignore[return-value]
                            lambda: Acl.from_json(row["acl"]))


def box_root(box: Box) -> Node:
    """The box root before anything was written to it."""
    return Node(box.id, box.id, "", "", Kind.BOX, box.published, box.updated, 1, stored=False)


def check_name(name: str) -> None:
    """1..256 characters; none of ``\\ / : * ? " < > |``, space, or Unicode category C (controls,
    format characters, unassigned code points); not a dot segment, which a client would resolve."""
    if name in (".", "..") or not 0 < len(name.encode("utf-16-le")) // 2 <= MAX_NAME or any(
            c in _FORBIDDEN_NAME_CHARS or unicodedata.category(c).startswith("C") for c in name):
        raise PersoniumError("PR403-DV-0004", name)


def lock_box(tx: Transaction, box_id: str) -> None:
    """Serialise writes to one box's tree across processes (Personium's per-box lock), so that
    name uniqueness, the child limit and moves are judged on a tree nobody else is changing.
    SQLite writers are serialised already; PostgreSQL takes a transaction-scoped advisory lock."""
    if tx.caps.advisory_locks:
        # The random end of the id: its start is a time, shared by boxes made in the same millisecond.
        tx.conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": int(box_id[-15:], 16)})


def locate(tx: Transaction, box: Box, segments: Iterable[str]) -> Located:
    """One query finds every candidate node by name; the chain is then followed by parent id."""
    path = tuple(segments)
    unstorable = next((i for i, name in enumerate(path) if "\x00" in name), len(path))
    if unstorable < len(path):  # no stored name holds NUL (PostgreSQL text cannot): it is simply absent
        located = locate(tx, box, path[:unstorable])
        return Located(box, located.chain, (*located.missing, *path[unstorable:]))
    names = sorted({"", *path})
    rows = _candidates(len(names)).rows(tx, box=box.id, **{f"n{i}": name for i, name in enumerate(names)})
    by_place = {(row["parent_id"], row["name"]): row for row in rows}
    root_row = by_place.get(("", ""))
    chain = [node_of(root_row) if root_row is not None else box_root(box)]
    for index, name in enumerate(path):
        row = by_place.get((chain[-1].id, name)) if chain[-1].is_collection else None
        if row is None:
            return Located(box, tuple(chain), path[index:])
        chain.append(node_of(row))
    return Located(box, tuple(chain), ())


_CANDIDATES: dict[int, Prepared] = {}


def _candidates(count: int) -> Prepared:
    """The nodes of a box bearing one of ``count`` names (``:n0``…): prepared once per count."""
    prepared = _CANDIDATES.get(count)
    if prepared is None:
        names: list[BindParameter[Any]] = [bindparam(f"n{i}") for i in range(count)]
        prepared = _CANDIDATES[count] = Prepared(select(dav_nodes).where(dav_nodes.c.box_id == bindparam("box"),
                                                                         dav_nodes.c.name.in_(names)))
    return prepared


_CHILD_VERSIONS = Prepared(select(dav_nodes.c.id, dav_nodes.c.version, dav_nodes.c.name, dav_nodes.c.acl)
                           .where(dav_nodes.c.box_id == bindparam("box"), dav_nodes.c.parent_id == bindparam("parent"))
                           .order_by(dav_nodes.c.name))


#: Which state of a node a listing shows (what its rendering is cached under): (id, version, name, ACL).
Version = tuple[str, int, str, str | None]


def child_versions(tx: Transaction, parent: Node) -> list[Version]:
    """The children by name, as versions: listings make nodes only of those they must render."""
    return _CHILD_VERSIONS.tuples(tx, box=parent.box_id, parent=parent.id)


def nodes_by_id(tx: Transaction, ids: Iterable[str]) -> dict[str, Node]:
    wanted = list(ids)
    found: dict[str, Node] = {}
    for chunk in range(0, len(wanted), 500):
        rows = tx.conn.execute(select(dav_nodes).where(dav_nodes.c.id.in_(wanted[chunk:chunk + 500])))
        found.update((row.id, _node(row)) for row in rows)
    return found


def children(tx: Transaction, parent: Node) -> list[Node]:
    rows = tx.conn.execute(select(dav_nodes).where(dav_nodes.c.box_id == parent.box_id,
                                                   dav_nodes.c.parent_id == parent.id)
                           .order_by(dav_nodes.c.name)).all()
    return [_node(row) for row in rows]


def has_children(tx: Transaction, parent: Node) -> bool:
    query = select(dav_nodes.c.id).where(dav_nodes.c.box_id == parent.box_id, dav_nodes.c.parent_id == parent.id)
    return tx.conn.execute(query.limit(1)).first() is not None


def box_is_empty(tx: Transaction, box_id: str) -> bool:
    return tx.conn.execute(select(dav_nodes.c.id).where(dav_nodes.c.box_id == box_id,
                                                        dav_nodes.c.parent_id != "").limit(1)).first() is None


def _check_room(tx: Transaction, located: Located, collection: bool, max_children: int) -> None:
    """The parent (which the caller made sure exists) takes this child and has room; a new collection
    is not too deep (files are not limited, as in Personium). Files may go under a service's
    ``__src``, collections may not."""
    parent = located.deepest
    assert len(located.missing) == 1 and parent.is_collection
    if parent.kind is Kind.SOURCE and collection:  # the real server's answer to MKCOL there
        raise PersoniumError("PR405-DV-0001")
    if parent.kind not in _CONTAINERS and parent.kind is not Kind.SOURCE:
        raise PersoniumError("PR405-DV-0001")
    if collection and located.depth > MAX_DEPTH:
        raise PersoniumError("PR400-DV-0008")
    counted = _CHILD_COUNT.first(tx, box=parent.box_id, parent=parent.id)
    if counted is not None and counted["count"] >= max_children:
        raise PersoniumError("PR400-DV-0007")


_CHILD_COUNT = Prepared(select(func.count().label("count")).select_from(dav_nodes).where(
    dav_nodes.c.box_id == bindparam("box"), dav_nodes.c.parent_id == bindparam("parent")))


def _insert(tx: Transaction, box: Box, parent_id: str, name: str, kind: Kind, **values: Any) -> Node:
    stamp = clock.now_ms()
    row = {"id": values.pop("id", None) or new_id(), "cell_id": box.cell_id, "box_id": box.id,
           "parent_id": parent_id, "name": name, "kind": kind.value, "published": stamp, "updated": stamp,
           "version": 1, **values}
    insert_of(dav_nodes, tuple(row)).execute(tx, **row)
    return Node(row["id"], box.id, parent_id, name, kind, stamp, stamp, 1, values.get("content_type"),
                values.get("content_length"), values.get("blob_id"))


def stored_root(tx: Transaction, box: Box, root: Node) -> Node:
    """The box root as a row, written the first time its ACL or properties change."""
    if root.stored:
        return root
    written = _insert(tx, box, "", "", Kind.BOX, id=box.id)
    return replace(written, published=box.published)


def make_collection(tx: Transaction, located: Located, kind: Kind, *, max_children: int = MAX_CHILDREN) -> Node:
    _check_room(tx, located, collection=True, max_children=max_children)
    parent = located.deepest
    node = _insert(tx, located.box, parent.id, located.missing[0], kind)
    if kind is Kind.SERVICE:
        _insert(tx, located.box, node.id, "__src", Kind.SOURCE)
    return node


def write_file(tx: Transaction, blobs: BlobStore, located: Located, content_type: str | None, blob_id: str,
               size: int, *, staged: bool = True, max_children: int = MAX_CHILDREN) -> tuple[Node, bool]:
    """Create the file (True) or replace its body (False) with the blob ``blob_id``: a staged one is
    linked here, one stored in this transaction already is; a replaced body is released with it."""
    node = located.node
    if node is None:
        _check_room(tx, located, collection=False, max_children=max_children)
        if staged:
            blobs.link(tx, blob_id)
        parent = located.deepest
        created = _insert(tx, located.box, parent.id, located.missing[0], Kind.FILE, content_type=content_type,
                          content_length=size, blob_id=blob_id)
        return created, True
    if staged:
        blobs.link(tx, blob_id)
    if node.blob_id:
        blobs.release(tx, [node.blob_id])
    return _bump(tx, node, content_type=content_type, content_length=size, blob_id=blob_id), False


def read_file(tx: Transaction, blobs: BlobStore, node: Node, start: int = 0,
              length: int | None = None) -> Iterator[bytes]:
    """The body (or ``length`` bytes from ``start``) piece by piece, read from ``tx``."""
    return blobs.read(tx, node.blob_id, start, length) if node.blob_id else iter(())


def set_acl(tx: Transaction, box: Box, node: Node, acl: Acl) -> Node:
    """A new ACL raises the version but, as in Personium, not the last-modified time."""
    return _bump(tx, stored_root(tx, box, node), touch=False, acl=acl.to_json())


def set_props(tx: Transaction, box: Box, node: Node, changes: Iterable[tuple[str, str | None]]) -> Node:
    """``changes``: (``{namespace}local``, XML of the element or None to remove)."""
    props = dict(node.props)
    for key, xml in changes:
        if xml is None:
            props.pop(key, None)
        else:
            props[key] = xml
    return _bump(tx, stored_root(tx, box, node), props=orjson.dumps(props).decode())


def _bump(tx: Transaction, node: Node, touch: bool = True, **values: Any) -> Node:
    if touch:
        values["updated"] = clock.now_ms()
    tx.conn.execute(update(dav_nodes).where(dav_nodes.c.id == node.id).values(version=dav_nodes.c.version + 1,
                                                                               **values))
    row = tx.conn.execute(select(dav_nodes).where(dav_nodes.c.id == node.id)).one()
    return _node(row)



def subtree(tx: Transaction, node: Node) -> Iterator[Node]:
    """The node's descendants, level by level (depth is bounded, so is the number of queries)."""
    level = [node.id]
    while level:
        rows = tx.conn.execute(select(dav_nodes).where(dav_nodes.c.box_id == node.box_id,
                                                       dav_nodes.c.parent_id.in_(level))).all()
        found = [_node(row) for row in rows]
        yield from found
        level = [n.id for n in found if n.is_collection]


def remove(tx: Transaction, blobs: BlobStore, node: Node) -> int:
    """Delete the node and everything under it, releasing their bodies; returns how many nodes went."""
    doomed = [node, *subtree(tx, node)] if node.is_collection else [node]
    blobs.release(tx, [n.blob_id for n in doomed if n.blob_id])
    ids = [n.id for n in doomed]
    for chunk in range(0, len(ids), 500):
        tx.conn.execute(delete(dav_nodes).where(dav_nodes.c.id.in_(ids[chunk:chunk + 500])))
    return len(doomed)


def remove_box(tx: Transaction, blobs: BlobStore, box_id: str) -> None:
    """Everything of a box's tree, root included (box deletion)."""
    blob_ids = [r.blob_id for r in tx.conn.execute(select(dav_nodes.c.blob_id).where(
        dav_nodes.c.box_id == box_id, dav_nodes.c.blob_id.is_not(None)))]
    blobs.release(tx, blob_ids)
    tx.conn.execute(delete(dav_nodes).where(dav_nodes.c.box_id == box_id))


def move(tx: Transaction, node: Node, target: Located, *, max_children: int = MAX_CHILDREN) -> Node:
    """Re-parent and/or rename (the ETag stays); the caller has validated the destination and
    removed any file being overwritten. A collection cannot move into itself, nor below depth 50."""
    new_parent = target.deepest
    if node.is_collection and any(n.id == node.id for n in target.chain):
        raise PersoniumError("PR409-DV-0001", target.missing[0])
    if new_parent.id != node.parent_id:
        _check_room(tx, target, collection=False, max_children=max_children)
        if node.is_collection and target.depth + _height(tx, node) > MAX_DEPTH:
            raise PersoniumError("PR400-DV-0008")
    tx.conn.execute(update(dav_nodes).where(dav_nodes.c.id == node.id).values(parent_id=new_parent.id,
                                                                               name=target.missing[0]))
    return replace(node, parent_id=new_parent.id, name=target.missing[0])


def copy(tx: Transaction, blobs: BlobStore, node: Node, members: list[Node], target: Located, *,
         max_children: int = MAX_CHILDREN) -> Node:
    """A new resource at ``target`` (validated by the caller, any file there removed) with the node's
    body and dead properties, not its ACL, and copies of ``members`` (its :func:`subtree`, or none)."""
    _check_room(tx, target, collection=node.is_collection, max_children=max_children)
    depth = {node.id: 0}
    for member in members:  # level by level: a parent comes before its members
        depth[member.id] = depth[member.parent_id] + 1
    if node.is_collection and target.depth + max(depth.values()) > MAX_DEPTH:
        raise PersoniumError("PR400-DV-0008")
    top = _duplicate(tx, blobs, node, target.box, target.deepest.id, target.missing[0])
    new_ids = {node.id: top.id}
    for member in members:
        new_ids[member.id] = _duplicate(tx, blobs, member, target.box, new_ids[member.parent_id], member.name).id
    return top


def _duplicate(tx: Transaction, blobs: BlobStore, node: Node, box: Box, parent_id: str, name: str) -> Node:
    values: dict[str, Any] = {"props": orjson.dumps(node.props).decode() if node.props else None}
    if node.kind is Kind.FILE:
        values |= {"content_type": node.content_type, "content_length": node.content_length,
                   "blob_id": blobs.copy(tx, node.blob_id) if node.blob_id else None}
    return _insert(tx, box, parent_id, name, node.kind, **values)


def _height(tx: Transaction, node: Node) -> int:
    height, level = 0, [node.id]
    while True:
        level = [r.id for r in tx.conn.execute(select(dav_nodes.c.id).where(
            and_(dav_nodes.c.box_id == node.box_id, dav_nodes.c.parent_id.in_(level))))]
        if not level:
            return height
        height += 1

