"""A declared property's ``$filter`` and ``$orderby`` read an expression index of its own (issue "User
OData": storage that stays fast at scale), on both databases; the index follows the property (rename,
Int32 to Double, delete), and the indexes of a collection that went away are swept."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, text

from cellar.app import sweep_leftovers
from cellar.odata.compile import compile_filter, compile_orderby
from cellar.odata.query.parser import parse_filter, parse_orderby
from cellar.storage import tables
from cellar.userdata import indexes
from cellar.userdata.model import user_model
from tests.api._dav_support import must_mkcol, new_box, path
from tests.helpers import MASTER_AUTH

COL = "col"


def schema(client: Any, entity_set: str, body: dict[str, Any]) -> None:
    response = client.post(path(f"{COL}/$metadata/{entity_set}"), json=body, headers=MASTER_AUTH)
    assert response.status_code == 201, response.text


def setup(client: Any) -> None:
    new_box(client)
    must_mkcol(client, COL, "odata")
    schema(client, "EntityType", {"Name": "Item"})
    schema(client, "Property", {"Name": "rating", "_EntityType.Name": "Item", "Type": "Edm.Int32"})
    schema(client, "Property", {"Name": "tags", "_EntityType.Name": "Item", "Type": "Edm.String",
                                "CollectionKind": "List"})
    for index in range(5):
        response = client.post(path(f"{COL}/Item"), json={"__id": f"i{index}", "rating": index}, headers=MASTER_AUTH)
        assert response.status_code == 201


def index_names(client: Any, type_id: str = "") -> set[str]:
    """The property indexes (of one entity type); other tests' types leave theirs until a sweep."""
    storage = client.app.state.services.storage
    with storage.transaction("test", write=False) as tx:
        if tx.conn.dialect.name == "sqlite":
            rows = tx.conn.execute(text("SELECT name FROM sqlite_master WHERE name LIKE 'ix_ud_%'"))
        else:
            rows = tx.conn.execute(text("SELECT indexname FROM pg_indexes WHERE indexname LIKE 'ix_ud_%'"))
        return {name for (name,) in rows if name.startswith(f"{indexes.PREFIX}{type_id}")}


def plan(client: Any, filter_text: str | None, orderby: str | None) -> str:
    """The database's plan for the query the store runs (PostgreSQL told to avoid a scan where it can)."""
    storage = client.app.state.services.storage
    with storage.transaction("test", write=False) as tx:
        et = tables.odata_entity_types
        collection_id, cell_id = tx.conn.execute(select(et.c.collection_id, et.c.cell_id)).one()
        model = user_model(tx, collection_id)
        store = model.store(model.type("Item"), {"cell_id": cell_id, "collection_id": collection_id})
        stmt = select(tables.odata_entities.c.id).where(store._mine())  # type: ignore[attr-defined]
        if filter_text:
            stmt = stmt.where(compile_filter(parse_filter(filter_text), store.resolve))
        if orderby:
            stmt = stmt.order_by(*compile_orderby(parse_orderby(orderby), store.resolve)).limit(50)
        sql = str(stmt.compile(dialect=tx.conn.dialect, compile_kwargs={"literal_binds": True}))
        if tx.conn.dialect.name == "sqlite":
            return " ".join(str(row[-1]) for row in tx.conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
        tx.conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        return " ".join(row[0] for row in tx.conn.exec_driver_sql(f"EXPLAIN {sql}"))


def type_id(client: Any) -> str:
    storage = client.app.state.services.storage
    with storage.transaction("test", write=False) as tx:
        return str(tx.conn.execute(select(tables.odata_entity_types.c.id)).scalar_one())


def test_filters_and_orderings_on_a_declared_property_read_its_index(client):
    setup(client)
    name = indexes.index_name(type_id(client), "rating")
    assert index_names(client, type_id(client)) == {name}  # a list (CollectionKind List) has none
    for filter_text, orderby in (("rating ge 3", None), ("rating eq 2", None), (None, "rating desc"),
                                 (None, "rating asc"), ("rating lt 4", "rating")):
        assert name in plan(client, filter_text, orderby), (filter_text, orderby)
    listed = client.get(path(f"{COL}/Item?$filter=rating ge 3&$orderby=rating desc"), headers=MASTER_AUTH)
    assert [e["__id"] for e in listed.json()["d"]["results"]] == ["i4", "i3"]


def test_the_index_follows_its_property(client):
    setup(client)
    old = indexes.index_name(type_id(client), "rating")
    url = path(f"{COL}/$metadata/Property(Name='rating',_EntityType.Name='Item')")
    response = client.put(url, json={"Name": "stars", "Type": "Edm.Double", "_EntityType.Name": "Item"},
                          headers=MASTER_AUTH)
    assert response.status_code == 204, response.text
    names = index_names(client, type_id(client))
    assert old not in names and len(names) == 1
    assert next(iter(names)) in plan(client, "stars gt 1.5", None)


def test_a_deleted_property_or_collection_leaves_no_index(client):
    setup(client)
    assert index_names(client, type_id(client))
    deleted = client.request("DELETE", path(COL), headers={**MASTER_AUTH, "X-Personium-Recursive": "true"})
    assert deleted.status_code == 204, deleted.text
    sweep_leftovers(client.app.state.services)
    assert index_names(client) == set()
