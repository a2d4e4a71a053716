"""The OData engine below HTTP: a model defined at run time, served by the same operations as control
objects, several operations in one caller-owned transaction, open and complex types."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import orjson
import pytest
from lxml import etree
from sqlalchemy import Column, Integer, MetaData, String, Table, func, select

from cellar.auth.context import ANONYMOUS, Caller
from cellar.errors import PersoniumError
from cellar.odata import atom, serialize
from cellar.odata.body import validate_entity
from cellar.odata.metadata import edmx_document
from cellar.odata.model import ComplexType, EntityModel, EntityType, KeyPart, Property
from cellar.odata.operations import Created, EntityList, EntityRead, NoContent, ODataRequest, Result, execute
from cellar.odata.replies import render
from cellar.odata.service import ServiceRoot
from cellar.odata.store import Entity, EntityStore, LinkStore, TableStore
from cellar.odata.table_stores import TableStores
from cellar.storage import Storage, Transaction, open_storage

ROOT_URL = "http://unit.example/cell/box/odata/"


class CountingStores(TableStores):
    """A factory of the model's own: proves the engine asks the model for its stores."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[str] = []

    def entity_store(self, model: EntityModel, etype: EntityType, scope: Mapping[str, Any]) -> EntityStore:
        self.asked.append(etype.name)
        return super().entity_store(model, etype, scope)

    def link_store(self, store: EntityStore) -> LinkStore:
        return super().link_store(store)


def runtime_model(definition: dict[str, Any], stores: CountingStores) -> tuple[EntityModel, MetaData]:
    """An entity type built from data, as user OData will build its types from schema rows."""
    metadata = MetaData()
    columns = [Column(p["name"].lower(), String(64) if p["type"] == "Edm.String" else Integer) for p in
               definition["properties"]]
    table = Table(definition["name"].lower(), metadata, Column("id", String(32), primary_key=True),
                  Column("scope", String(32), nullable=False), *columns, Column("published", Integer, nullable=False),
                  Column("updated", Integer, nullable=False), Column("version", Integer, nullable=False))
    etype = EntityType(definition["name"], "UserData", key=(KeyPart("Name"),), table=table,
                       properties=tuple(Property(p["name"], p["type"], nullable=p["name"] != "Name")
                                        for p in definition["properties"]))
    return EntityModel("UserData", (etype,), stores), metadata


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Storage, EntityModel, CountingStores]]:
    stores = CountingStores()
    model, metadata = runtime_model({"name": "Thing", "properties": [{"name": "Name", "type": "Edm.String"},
                                                                       {"name": "Size", "type": "Edm.Int32"}]}, stores)
    storage = open_storage(f"sqlite:///{tmp_path / 'engine.db'}")
    metadata.create_all(storage.engine)
    yield storage, model, stores
    storage.dispose()


def root_of(model: EntityModel, scope: str = "s1") -> ServiceRoot:
    return ServiceRoot(model, {"scope": scope}, ROOT_URL, Caller(ANONYMOUS), lambda etype, kind: None, hooks={})


def run(tx: Transaction, root: ServiceRoot, method: str, path: str, body: Any = None,
        query: dict[str, str] | None = None) -> Result:
    raw = orjson.dumps(body) if body is not None else b""
    return execute(tx, root, ODataRequest(method, path.split("/"), query or {}, "application/json", raw))


def test_a_type_defined_at_run_time_is_served_by_the_generic_operations(served: Any) -> None:
    storage, model, stores = served
    root = root_of(model)
    with storage.transaction("t") as tx:
        created = run(tx, root, "POST", "Thing", {"Name": "a", "Size": 3})
        assert isinstance(created, Created) and created.entity.values == {"Name": "a", "Size": 3}
        assert isinstance(run(tx, root, "MERGE", "Thing('a')", {"Size": 4}), NoContent)
    with storage.transaction("t", write=False) as tx:
        listed = run(tx, root, "GET", "Thing", query={"$filter": "Size gt 3", "$inlinecount": "allpages"})
        read = run(tx, root, "GET", "Thing('a')")
    assert isinstance(listed, EntityList) and [e.values["Size"] for e in listed.result.entities] == [4]
    assert listed.result.count == 1
    assert isinstance(read, EntityRead) and read.entity.version == 2
    reply = render(root, read)
    assert reply.status == 200 and reply.headers["ETag"] == read.entity.etag
    assert orjson.loads(reply.body)["d"]["results"]["__metadata"]["uri"] == f"{ROOT_URL}Thing('a')"
    assert set(stores.asked) == {"Thing"}


def test_operations_share_the_callers_transaction_and_roll_back_together(served: Any) -> None:
    """What a $batch changeset needs: several operations, one transaction, all or nothing."""
    storage, model, _ = served
    root = root_of(model)
    with pytest.raises(PersoniumError) as failure, storage.transaction("changeset") as tx:
        run(tx, root, "POST", "Thing", {"Name": "b", "Size": 1})
        run(tx, root, "POST", "Thing", {"Name": "b", "Size": 2})
    assert failure.value.code == "PR409-OD-0003"
    with storage.transaction("t", write=False) as tx:
        table = model.type("Thing").table
        assert table is not None
        assert tx.conn.execute(select(func.count()).select_from(table)).scalar_one() == 0


def test_the_scope_separates_roots_over_one_store(served: Any) -> None:
    storage, model, _ = served
    with storage.transaction("t") as tx:
        run(tx, root_of(model, "s1"), "POST", "Thing", {"Name": "c"})
        with pytest.raises(PersoniumError) as missing:
            run(tx, root_of(model, "s2"), "GET", "Thing('c')")
    assert missing.value.code == "PR404-OD-0002"


def test_errors_come_in_personiums_order_before_any_data(served: Any) -> None:
    storage, model, _ = served
    root = root_of(model)
    with storage.transaction("t") as tx:
        for method, path, code in [("GET", "Nothing", "PR404-OD-0001"), ("PATCH", "Thing", "PR405-MC-0001"),
                                   ("POST", "Thing", "PR400-OD-0001"), ("GET", "Thing('a')/_X", "PR404-OD-0003")]:
            with pytest.raises(PersoniumError) as error:
                run(tx, root, method, path)
            assert error.value.code == code


# --- open and complex types -------------------------------------------------------------------------

ADDRESS = ComplexType("Address", (Property("City", nullable=False), Property("Zip", "Edm.Int32")))
PERSON = EntityType("Person", "UserData", key=(KeyPart("Name"),), open=True, properties=(
    Property("Name", nullable=False), Property("Home", "Address"), Property("Tags", collection=True)))
CLOSED = EntityType("Closed", "UserData", key=(KeyPart("Name"),), properties=(Property("Name", nullable=False),))
MODEL = EntityModel("UserData", (PERSON, CLOSED), TableStores(), complex_types=(ADDRESS,))


def test_an_open_type_keeps_dynamic_properties() -> None:
    values = validate_entity(MODEL, PERSON, {"Name": "n", "age": 3, "x-y_z": "s", "ok": True, "n1": None,
                                             "f": 1.5}, partial=False)
    assert values == {"Name": "n", "Home": None, "Tags": None, "age": 3, "x-y_z": "s", "ok": True, "n1": None,
                      "f": 1.5}


@pytest.mark.parametrize("body", [{"_a": 1}, {"-a": 1}, {"a" * 129: 1}, {"a b": 1}, {"a": [1]}, {"a": {"b": 1}},
                                  {"a": "x\x00"}, {"a": "x" * 51201}])
def test_bad_dynamic_properties_are_refused(body: dict[str, Any]) -> None:
    with pytest.raises(PersoniumError) as error:
        validate_entity(MODEL, PERSON, {"Name": "n", **body}, partial=False)
    assert error.value.code == "PR400-OD-0006"


@pytest.mark.parametrize("name", ["__metadata", "__published", "__updated"])
def test_management_names_are_refused_even_by_open_types(name: str) -> None:
    with pytest.raises(PersoniumError) as error:
        validate_entity(MODEL, PERSON, {"Name": "n", name: 1}, partial=False)
    assert error.value.code == "PR400-OD-0007"


def test_a_closed_type_refuses_undeclared_properties() -> None:
    with pytest.raises(PersoniumError) as error:
        validate_entity(MODEL, CLOSED, {"Name": "n", "age": 3}, partial=False)
    assert error.value.code == "PR400-OD-0007"


def test_complex_and_collection_values_are_checked_member_by_member() -> None:
    values = validate_entity(MODEL, PERSON, {"Name": "n", "Home": {"City": "Tokyo"}, "Tags": ["a", "b"]},
                             partial=True)
    assert values == {"Name": "n", "Home": {"City": "Tokyo", "Zip": None}, "Tags": ["a", "b"]}


@pytest.mark.parametrize(("body", "code"), [
    ({"Home": "Tokyo"}, "PR400-OD-0006"),
    ({"Home": {"City": "T", "Zip": "x"}}, "PR400-OD-0006"),
    ({"Home": {"Zip": 1}}, "PR400-OD-0009"),
    ({"Home": {"City": "T", "Street": "s"}}, "PR400-OD-0007"),
    ({"Tags": "a"}, "PR400-OD-0006"),
    ({"Tags": ["a", 1]}, "PR400-OD-0006"),
])
def test_bad_complex_and_collection_values_are_refused(body: dict[str, Any], code: str) -> None:
    with pytest.raises(PersoniumError) as error:
        validate_entity(MODEL, PERSON, {"Name": "n", **body}, partial=True)
    assert error.value.code == code


def test_dynamic_properties_are_written_in_json_and_atom() -> None:
    entity = Entity(PERSON, "id1", {"Name": "n", "Home": None, "Tags": None, "age": 3, "ok": True}, 1, 2, 1)
    body = serialize.entity_json(entity, f"{ROOT_URL}Person('n')")
    assert (body["age"], body["ok"]) == (3, True)
    assert "age" not in serialize.entity_json(entity, "u", select=["ok"])
    entry = etree.fromstring(atom.entry_document(entity, f"{ROOT_URL}Person('n')", ROOT_URL, None))
    props = {el.tag.split("}")[1]: el for el in entry.iter() if "dataservices}" in el.tag}
    assert props["age"].text == "3" and props["ok"].text == "true"


def test_metadata_declares_open_types_and_complex_types() -> None:
    document = etree.fromstring(edmx_document(MODEL.namespace, MODEL.types, MODEL.complex_types))
    edm = "{http://schemas.microsoft.com/ado/2006/04/edm}"
    person = document.find(f".//{edm}EntityType[@Name='Person']")
    assert person is not None and person.get("OpenType") == "true"
    assert document.find(f".//{edm}EntityType[@Name='Closed']").get("OpenType") is None  # type: ignore[union-attr]
    types = {p.get("Name"): (p.get("Type"), p.get("CollectionKind")) for p in person.iter(f"{edm}Property")}
    # odata4j (the real server's writer) says a list with CollectionKind, as bar files' EDMX do
    assert types["Home"] == ("UserData.Address", None) and types["Tags"] == ("Edm.String", "List")
    address = document.find(f".//{edm}ComplexType[@Name='Address']")
    assert address is not None
    assert [(p.get("Name"), p.get("Nullable")) for p in address] == [("City", "false"), ("Zip", "true")]


def test_a_table_store_refuses_a_type_without_a_table() -> None:
    with pytest.raises(AssertionError):
        TableStore(MODEL, PERSON, {})
