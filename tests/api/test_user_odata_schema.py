"""The schema API of a user OData collection (apiref 318-363; errors apiref/004): ``EntityType``,
``Property``, ``ComplexType``, ``ComplexTypeProperty`` and ``AssociationEnd`` under
``{CellURL}{box}/{collection}/$metadata/``, with their navigation properties and ``$links``.

Where the pages are vague, the behaviour of personium-core's ``UserSchemaODataProducer`` decides: which
types and default values are accepted, that an update may only rename (and widen ``Edm.Int32`` to
``Edm.Double``), that schema objects that data or other schema objects depend on cannot be deleted, the
limit of 100 entity types per collection, and that the schema is written with ``alter-schema``.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from lxml import etree

from tests.api._auth_support import grant_role, make_account, make_role, password_params, token
from tests.api._dav_support import CELL_URL, must_mkcol, new_box, path, url
from tests.helpers import MASTER_AUTH, assert_error

COL = "col"
META = f"{url(COL)}/$metadata/"
NS = "ODataSvcSchema"
EDMX = {"edmx": "http://schemas.microsoft.com/ado/2007/06/edmx", "edm": "http://schemas.microsoft.com/ado/2006/04/edm"}
P = "urn:x-personium:xmlns"
PROPERTY_FIELDS = ("Name", "_EntityType.Name", "Type", "Nullable", "DefaultValue", "CollectionKind", "IsKey",
                   "UniqueKey")
CTP_FIELDS = ("Name", "_ComplexType.Name", "Type", "Nullable", "DefaultValue", "CollectionKind")


# --- helpers ------------------------------------------------------------------------------------------------

def m(rel: str = "") -> str:
    """Request path under the collection's ``$metadata``."""
    return path(f"{COL}/$metadata/{rel}" if rel else f"{COL}/$metadata")


def lit(value: str | None) -> str:
    return "null" if value is None else f"'{value}'"


def et_key(name: str) -> str:
    return f"EntityType('{name}')"


def ct_key(name: str) -> str:
    return f"ComplexType('{name}')"


def prop_key(name: str, entity_type: str) -> str:
    return f"Property(Name='{name}',_EntityType.Name='{entity_type}')"


def ctp_key(name: str, complex_type: str) -> str:
    return f"ComplexTypeProperty(Name='{name}',_ComplexType.Name='{complex_type}')"


def ae_key(name: str, entity_type: str) -> str:
    return f"AssociationEnd(Name='{name}',_EntityType.Name='{entity_type}')"


def post(client: Any, rel: str, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return client.post(m(rel), json=body, headers=headers or MASTER_AUTH)


def get(client: Any, rel: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return client.get(m(rel), headers=headers or MASTER_AUTH)


def put(client: Any, rel: str, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return client.put(m(rel), json=body, headers={**MASTER_AUTH, **(headers or {})})


def delete(client: Any, rel: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return client.delete(m(rel), headers={**MASTER_AUTH, **(headers or {})})


def created(response: httpx.Response, set_name: str, key: str) -> dict[str, Any]:
    """A 201 of the schema service: Location, ETag and the entity in ``d.results``."""
    assert response.status_code == 201, response.text
    assert response.headers["content-type"].startswith("application/json")
    entity = response.json()["d"]["results"]
    assert isinstance(entity, dict), entity
    assert entity["__metadata"]["type"] == f"{NS}.{set_name}"
    assert entity["__metadata"]["uri"] == META + key
    assert response.headers["location"] == META + key
    assert response.headers["etag"] == entity["__metadata"]["etag"]
    assert entity["__published"].startswith("/Date(") and entity["__updated"].startswith("/Date(")
    return entity


def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()["d"]["results"]


def no_content(response: httpx.Response) -> None:
    assert response.status_code == 204, response.text
    assert response.content == b""


def make_et(client: Any, name: str) -> dict[str, Any]:
    return created(post(client, "EntityType", {"Name": name}), "EntityType", et_key(name))


def make_ct(client: Any, name: str) -> dict[str, Any]:
    return created(post(client, "ComplexType", {"Name": name}), "ComplexType", ct_key(name))


def make_prop(client: Any, name: str, entity_type: str, edm_type: str = "Edm.String", **more: Any) -> dict[str, Any]:
    body = {"Name": name, "_EntityType.Name": entity_type, "Type": edm_type, **more}
    return created(post(client, "Property", body), "Property", prop_key(name, entity_type))


def make_ctp(client: Any, name: str, complex_type: str, edm_type: str = "Edm.String", **more: Any
             ) -> dict[str, Any]:
    body = {"Name": name, "_ComplexType.Name": complex_type, "Type": edm_type, **more}
    return created(post(client, "ComplexTypeProperty", body), "ComplexTypeProperty", ctp_key(name, complex_type))


def make_ae(client: Any, name: str, entity_type: str, multiplicity: str = "*") -> dict[str, Any]:
    body = {"Name": name, "_EntityType.Name": entity_type, "Multiplicity": multiplicity}
    return created(post(client, "AssociationEnd", body), "AssociationEnd", ae_key(name, entity_type))


def make_entity(client: Any, entity_type: str, entity_id: str = "e1") -> None:
    response = client.post(path(f"{COL}/{entity_type}"), json={"__id": entity_id}, headers=MASTER_AUTH)
    assert response.status_code == 201, response.text


def typed(values: dict[str, Any]) -> dict[str, tuple[str, Any]]:
    """Values with their JSON types, so that ``0`` is not taken for ``false``."""
    return {key: (type(value).__name__, value) for key, value in values.items()}


def fields(entity: dict[str, Any], *keys: str) -> dict[str, tuple[str, Any]]:
    return typed({key: entity[key] for key in keys})


def names(results: list[dict[str, Any]]) -> list[str]:
    return sorted(entity["Name"] for entity in results)


def uris(results: list[dict[str, Any]]) -> list[str]:
    return sorted(item["uri"] for item in results)


def assert_field_error(response: httpx.Response, code: str, field: str, status: int = 400) -> None:
    assert_error(response, status, code)
    assert f"[{field}]" in response.json()["message"]["value"], response.text


@pytest.fixture
def col(client):
    new_box(client)
    must_mkcol(client, COL, "odata")
    return client


# --- EntityType (apiref 345-354) ----------------------------------------------------------------------------

def test_create_entity_type(col):
    entity = make_et(col, "entity-type1")
    assert entity["Name"] == "entity-type1"
    assert entity["__metadata"]["etag"].startswith('W/"1-')
    assert entity["_Property"]["__deferred"]["uri"] == META + "EntityType('entity-type1')/_Property"
    assert entity["_AssociationEnd"]["__deferred"]["uri"] == META + "EntityType('entity-type1')/_AssociationEnd"


@pytest.mark.parametrize("name", ["a", "A" * 128, "0start", "with-hyphen_and_underscore"])
def test_entity_type_names_that_are_valid(col, name):
    assert make_et(col, name)["Name"] == name


@pytest.mark.parametrize("name", ["", "-a", "_a", "A" * 129, "a b", "a.b", "ä", 12, None])
def test_entity_type_names_that_are_invalid_are_od_0006(col, name):
    if name is None:
        assert_field_error(post(col, "EntityType", {"Name": None}), "PR400-OD-0009", "Name")
    else:
        assert_field_error(post(col, "EntityType", {"Name": name}), "PR400-OD-0006", "Name")


def test_create_entity_type_without_name_is_od_0009(col):
    assert_field_error(post(col, "EntityType", {}), "PR400-OD-0009", "Name")


def test_create_entity_type_twice_is_409(col):
    make_et(col, "T")
    assert_error(post(col, "EntityType", {"Name": "T"}), 409, "PR409-OD-0003")


def test_create_with_a_body_that_is_no_json_is_od_0001(col):
    response = col.post(m("EntityType"), content=b"{not json", headers=MASTER_AUTH)
    assert_error(response, 400, "PR400-OD-0001")


def test_the_same_entity_type_name_in_two_collections(col):
    must_mkcol(col, "col2", "odata")
    make_et(col, "T")
    response = col.post(path("col2/$metadata/EntityType"), json={"Name": "T"}, headers=MASTER_AUTH)
    assert response.status_code == 201, response.text
    assert response.headers["location"] == f"{url('col2')}/$metadata/EntityType('T')"


def test_list_entity_types(col):
    assert ok(get(col, "EntityType")) == []
    for name in ("B", "A", "C"):
        make_et(col, name)
    results = ok(get(col, "EntityType"))
    assert names(results) == ["A", "B", "C"]
    assert all(r["__metadata"]["type"] == f"{NS}.EntityType" for r in results)
    filtered = ok(get(col, "EntityType?$filter=Name eq 'B'"))
    assert names(filtered) == ["B"]


def test_list_entity_types_with_inlinecount(col):
    make_et(col, "A")
    make_et(col, "B")
    response = get(col, "EntityType?$inlinecount=allpages&$top=1")
    assert response.status_code == 200, response.text
    body = response.json()["d"]
    assert int(body["__count"]) == 2
    assert len(body["results"]) == 1


def test_retrieve_entity_type(col):
    made = make_et(col, "T")
    response = get(col, et_key("T"))
    entity = ok(response)
    assert entity["Name"] == "T"
    assert entity["__metadata"] == made["__metadata"]
    assert response.headers["etag"] == made["__metadata"]["etag"]


def test_retrieve_entity_type_that_does_not_exist_is_404(col):
    assert_error(get(col, et_key("Nope")), 404, "PR404-OD-0002")


def test_an_unknown_schema_set_is_404(col):
    assert_error(get(col, "Nope"), 404, "PR404-OD-0001")


def test_update_entity_type_renames_it(col):
    made = make_et(col, "T")
    make_prop(col, "p", "T")
    response = put(col, et_key("T"), {"Name": "T2"})
    no_content(response)
    assert response.headers["etag"] != made["__metadata"]["etag"]
    assert_error(get(col, et_key("T")), 404, "PR404-OD-0002")
    renamed = ok(get(col, et_key("T2")))
    assert renamed["__metadata"]["etag"] == response.headers["etag"]
    props = ok(get(col, et_key("T2") + "/_Property"))
    assert [(p["Name"], p["_EntityType.Name"]) for p in props] == [("p", "T2")]
    assert ok(get(col, prop_key("p", "T2")))["Name"] == "p"
    service = col.get(path(f"{COL}/"), headers=MASTER_AUTH)
    assert service.status_code == 200, service.text
    assert service.json()["d"]["EntitySets"] == ["T2"]


def test_update_entity_type_to_an_existing_name_is_409(col):
    make_et(col, "A")
    make_et(col, "B")
    assert_error(put(col, et_key("A"), {"Name": "B"}), 409, "PR409-OD-0003")


def test_update_entity_type_to_an_invalid_name_is_od_0006(col):
    make_et(col, "A")
    assert_field_error(put(col, et_key("A"), {"Name": "-bad"}), "PR400-OD-0006", "Name")


def test_update_entity_type_that_does_not_exist_is_404(col):
    assert_error(put(col, et_key("Nope"), {"Name": "X"}), 404, "PR404-OD-0002")


def test_update_entity_type_with_if_match(col):
    made = make_et(col, "T")
    assert_error(put(col, et_key("T"), {"Name": "T2"}, {"If-Match": 'W/"9-1"'}), 412, "PR412-OD-0002")
    no_content(put(col, et_key("T"), {"Name": "T2"}, {"If-Match": made["__metadata"]["etag"]}))


def test_delete_entity_type(col):
    make_et(col, "T")
    no_content(delete(col, et_key("T")))
    assert_error(get(col, et_key("T")), 404, "PR404-OD-0002")
    assert_error(delete(col, et_key("T")), 404, "PR404-OD-0002")
    make_et(col, "T")  # the name is free again


def test_delete_entity_type_with_if_match(col):
    made = make_et(col, "T")
    assert_error(delete(col, et_key("T"), {"If-Match": 'W/"9-1"'}), 412, "PR412-OD-0002")
    no_content(delete(col, et_key("T"), {"If-Match": made["__metadata"]["etag"]}))


def test_delete_entity_type_with_a_property_is_409(col):
    make_et(col, "T")
    make_prop(col, "p", "T")
    assert_error(delete(col, et_key("T")), 409, "PR409-OD-0001")
    no_content(delete(col, prop_key("p", "T")))
    no_content(delete(col, et_key("T")))


def test_delete_entity_type_with_an_association_end_is_409(col):
    make_et(col, "T")
    make_ae(col, "a", "T")
    assert_error(delete(col, et_key("T")), 409, "PR409-OD-0001")
    no_content(delete(col, ae_key("a", "T")))
    no_content(delete(col, et_key("T")))


def test_delete_entity_type_with_entities_is_409(col):
    make_et(col, "T")
    make_entity(col, "T")
    assert_error(delete(col, et_key("T")), 409, "PR409-OD-0001")
    assert ok(get(col, et_key("T")))["Name"] == "T"
    response = col.delete(path(f"{COL}/T('e1')"), headers=MASTER_AUTH)
    assert response.status_code == 204, response.text
    no_content(delete(col, et_key("T")))


def test_the_101st_entity_type_is_od_0033(col):
    for i in range(100):
        response = post(col, "EntityType", {"Name": f"T{i}"})
        assert response.status_code == 201, (i, response.text)
    assert_error(post(col, "EntityType", {"Name": "T100"}), 400, "PR400-OD-0033")
    no_content(delete(col, et_key("T0")))
    assert post(col, "EntityType", {"Name": "T100"}).status_code == 201


def test_the_entity_type_limit_is_per_collection(col):
    must_mkcol(col, "col2", "odata")
    for i in range(100):
        assert post(col, "EntityType", {"Name": f"T{i}"}).status_code == 201
    response = col.post(path("col2/$metadata/EntityType"), json={"Name": "T100"}, headers=MASTER_AUTH)
    assert response.status_code == 201, response.text


def test_entity_type_navigation_lists_properties_and_association_ends(col):
    make_et(col, "T")
    make_et(col, "U")
    make_prop(col, "p1", "T")
    make_prop(col, "p2", "T", "Edm.Int32")
    make_prop(col, "q", "U")
    make_ae(col, "a", "T")
    make_ae(col, "b", "U")
    props = ok(get(col, et_key("T") + "/_Property"))
    assert names(props) == ["p1", "p2"]
    assert all(p["__metadata"]["type"] == f"{NS}.Property" for p in props)
    ends = ok(get(col, et_key("T") + "/_AssociationEnd"))
    assert names(ends) == ["a"]
    assert uris(ok(get(col, et_key("T") + "/$links/_AssociationEnd"))) == [META + ae_key("a", "T")]
    assert uris(ok(get(col, et_key("T") + "/$links/_Property"))) == [META + prop_key("p1", "T"),
                                                                      META + prop_key("p2", "T")]


def test_entity_type_unknown_navigation_property_is_404(col):
    make_et(col, "T")
    assert_error(get(col, et_key("T") + "/_Nope"), 404, "PR404-OD-0003")


def test_entity_type_navigation_of_a_missing_entity_type_is_404(col):
    assert_error(get(col, et_key("Nope") + "/_Property"), 404, "PR404-OD-0002")


def test_create_property_through_the_entity_type(col):
    make_et(col, "T")
    response = post(col, et_key("T") + "/_Property", {"Name": "p", "Type": "Edm.Int32"})
    entity = created(response, "Property", prop_key("p", "T"))
    assert entity["_EntityType.Name"] == "T" and entity["Type"] == "Edm.Int32"
    assert names(ok(get(col, et_key("T") + "/_Property"))) == ["p"]


def test_create_association_end_through_the_entity_type(col):
    make_et(col, "T")
    response = post(col, et_key("T") + "/_AssociationEnd", {"Name": "a", "Multiplicity": "0..1"})
    entity = created(response, "AssociationEnd", ae_key("a", "T"))
    assert entity["_EntityType.Name"] == "T" and entity["Multiplicity"] == "0..1"


# --- the schema as the data service sees it ($metadata, service document) -----------------------------------

def test_metadata_document_lists_the_schema(col):
    make_et(col, "T")
    make_et(col, "U")
    make_ct(col, "Addr")
    make_ctp(col, "city", "Addr")
    make_prop(col, "p", "T", "Edm.Int32")
    make_prop(col, "addr", "U", "Addr")
    response = col.get(m(), headers=MASTER_AUTH)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    root = etree.fromstring(response.content)
    assert root.tag == f"{{{EDMX['edmx']}}}Edmx"
    types = {e.get("Name"): e for e in root.iterfind(".//edm:EntityType", EDMX)}
    assert set(types) == {"T", "U"}
    t_props = {p.get("Name"): p.get("Type") for p in types["T"].iterfind("edm:Property", EDMX)}
    assert t_props["p"] == "Edm.Int32"
    assert t_props["__id"] == "Edm.String"
    u_props = {p.get("Name"): p.get("Type") for p in types["U"].iterfind("edm:Property", EDMX)}
    assert u_props["addr"].endswith("Addr")
    complex_types = {e.get("Name") for e in root.iterfind(".//edm:ComplexType", EDMX)}
    assert complex_types == {"Addr"}
    sets = {e.get("Name") for e in root.iterfind(".//edm:EntitySet", EDMX)}
    assert sets == {"T", "U"}


def test_service_document_lists_the_entity_types(col):
    make_et(col, "T")
    make_et(col, "U")
    response = col.get(path(f"{COL}/"), headers=MASTER_AUTH)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert sorted(response.json()["d"]["EntitySets"]) == ["T", "U"]
    no_content(delete(col, et_key("U")))
    assert col.get(path(f"{COL}/"), headers=MASTER_AUTH).json()["d"]["EntitySets"] == ["T"]


# --- Property (apiref 355-363) ------------------------------------------------------------------------------

def test_create_property_with_defaults(col):
    make_et(col, "T")
    entity = make_prop(col, "p", "T")
    assert fields(entity, *PROPERTY_FIELDS) == typed({
        "Name": "p", "_EntityType.Name": "T", "Type": "Edm.String", "Nullable": True, "DefaultValue": None,
        "CollectionKind": "None", "IsKey": False, "UniqueKey": None})
    assert entity["_EntityType"]["__deferred"]["uri"] == META + prop_key("p", "T") + "/_EntityType"


def test_create_property_with_every_field(col):
    make_et(col, "T")
    entity = make_prop(col, "p", "T", "Edm.Int32", Nullable=False, DefaultValue="5", CollectionKind="None",
                       IsKey=False, UniqueKey="uk1")
    expected = typed({"Nullable": False, "DefaultValue": "5", "IsKey": False, "UniqueKey": "uk1"})
    assert fields(entity, "Nullable", "DefaultValue", "IsKey", "UniqueKey") == expected
    stored = ok(get(col, prop_key("p", "T")))
    assert fields(stored, "Nullable", "DefaultValue", "IsKey", "UniqueKey") == expected


@pytest.mark.parametrize(("edm_type", "default"), [
    ("Edm.Boolean", "true"), ("Edm.Boolean", "false"),
    ("Edm.String", "hello"), ("Edm.String", ""),
    ("Edm.Int32", "2147483647"), ("Edm.Int32", "-2147483648"), ("Edm.Int32", "0"),
    ("Edm.Int64", "9223372036854775807"),
    ("Edm.Single", "1.5"), ("Edm.Single", "-12345.12345"),
    ("Edm.Double", "1.5"), ("Edm.Double", "-3"),
    ("Edm.DateTime", "/Date(1420589956172)/"), ("Edm.DateTime", "SYSUTCDATETIME()"),
    ("Edm.String", None),
])
def test_property_types_and_default_values_that_are_valid(col, edm_type, default):
    make_et(col, "T")
    entity = make_prop(col, "p", "T", edm_type, DefaultValue=default)
    assert (entity["Type"], entity["DefaultValue"]) == (edm_type, default)


@pytest.mark.parametrize(("edm_type", "default"), [
    ("Edm.Boolean", "yes"), ("Edm.Boolean", "True"), ("Edm.Boolean", "1"),
    ("Edm.Int32", "2147483648"), ("Edm.Int32", "-2147483649"), ("Edm.Int32", "1.5"), ("Edm.Int32", "abc"),
    ("Edm.Int32", 5),
    ("Edm.Int64", "9223372036854775808"),
    ("Edm.Single", "123456.1"), ("Edm.Single", "1.123456"), ("Edm.Single", "abc"), ("Edm.Single", "1"),
    ("Edm.Double", "abc"),
    ("Edm.DateTime", "2015-01-07"), ("Edm.DateTime", "/Date(abc)/"), ("Edm.DateTime", "NOW()"),
    ("Edm.Boolean", True),
])
def test_property_default_values_that_do_not_fit_the_type_are_od_0006(col, edm_type, default):
    make_et(col, "T")
    response = post(col, "Property", {"Name": "p", "_EntityType.Name": "T", "Type": edm_type,
                                      "DefaultValue": default})
    assert_field_error(response, "PR400-OD-0006", "DefaultValue")
    assert ok(get(col, "Property")) == []


@pytest.mark.parametrize("edm_type", ["Edm.Foo", "edm.string", "String", "Edm.Decimal", "Nope", "", 3])
def test_property_types_that_are_unknown_are_od_0006(col, edm_type):
    make_et(col, "T")
    response = post(col, "Property", {"Name": "p", "_EntityType.Name": "T", "Type": edm_type})
    assert_field_error(response, "PR400-OD-0006", "Type")


def test_property_type_may_be_a_complex_type_of_the_same_collection(col):
    make_et(col, "T")
    make_ct(col, "Addr")
    assert make_prop(col, "addr", "T", "Addr")["Type"] == "Addr"
    must_mkcol(col, "col2", "odata")
    other = col.post(path("col2/$metadata/EntityType"), json={"Name": "T"}, headers=MASTER_AUTH)
    assert other.status_code == 201, other.text
    response = col.post(path("col2/$metadata/Property"),
                        json={"Name": "addr", "_EntityType.Name": "T", "Type": "Addr"}, headers=MASTER_AUTH)
    assert_field_error(response, "PR400-OD-0006", "Type")


@pytest.mark.parametrize("kind", ["None", "List"])
def test_property_collection_kinds_that_are_valid(col, kind):
    make_et(col, "T")
    assert make_prop(col, "p", "T", CollectionKind=kind)["CollectionKind"] == kind


@pytest.mark.parametrize("kind", ["Bag", "list", "", 1])
def test_property_collection_kinds_that_are_invalid_are_od_0006(col, kind):
    make_et(col, "T")
    response = post(col, "Property", {"Name": "p", "_EntityType.Name": "T", "Type": "Edm.String",
                                      "CollectionKind": kind})
    assert_field_error(response, "PR400-OD-0006", "CollectionKind")


def test_property_not_nullable_on_an_entity_type_with_entities_is_od_0006(col):
    make_et(col, "T")
    make_entity(col, "T")
    response = post(col, "Property", {"Name": "p", "_EntityType.Name": "T", "Type": "Edm.String",
                                      "Nullable": False})
    assert_field_error(response, "PR400-OD-0006", "Nullable")
    assert make_prop(col, "p", "T", Nullable=True)["Nullable"] is True


def test_list_properties(col):
    make_et(col, "T")
    make_et(col, "U")
    make_prop(col, "p", "T", "Edm.Boolean", Nullable=False, DefaultValue="true")
    make_prop(col, "q", "U", IsKey=False)
    results = ok(get(col, "Property"))
    assert sorted((r["Name"], r["_EntityType.Name"]) for r in results) == [("p", "T"), ("q", "U")]
    p = next(r for r in results if r["Name"] == "p")
    assert fields(p, "Type", "Nullable", "DefaultValue", "IsKey") == typed(
        {"Type": "Edm.Boolean", "Nullable": False, "DefaultValue": "true", "IsKey": False})
    assert names(ok(get(col, "Property?$filter=Name eq 'q'"))) == ["q"]


def test_retrieve_property(col):
    make_et(col, "T")
    made = make_prop(col, "p", "T", "Edm.Boolean", Nullable=False, DefaultValue="true")
    response = get(col, prop_key("p", "T"))
    entity = ok(response)
    assert response.headers["etag"] == made["__metadata"]["etag"]
    assert entity["__metadata"] == made["__metadata"]
    # Nullable and IsKey are Edm.Boolean: JSON booleans, as in the create answer and the list.
    assert fields(entity, *PROPERTY_FIELDS) == typed({
        "Name": "p", "_EntityType.Name": "T", "Type": "Edm.Boolean", "Nullable": False, "DefaultValue": "true",
        "CollectionKind": "None", "IsKey": False, "UniqueKey": None})


def test_retrieve_property_that_does_not_exist_is_404(col):
    make_et(col, "T")
    assert_error(get(col, prop_key("p", "T")), 404, "PR404-OD-0002")
    assert_error(get(col, prop_key("p", "Nope")), 404, "PR404-OD-0002")


def _full_property(name: str = "p", edm_type: str = "Edm.String", **more: Any) -> dict[str, Any]:
    return {"Name": name, "_EntityType.Name": "T", "Type": edm_type, "Nullable": True, "DefaultValue": None,
            "CollectionKind": "None", "IsKey": False, "UniqueKey": None, **more}


def test_update_property_renames_it(col):
    make_et(col, "T")
    made = make_prop(col, "p", "T")
    response = put(col, prop_key("p", "T"), _full_property("p2"))
    no_content(response)
    assert response.headers["etag"] != made["__metadata"]["etag"]
    assert_error(get(col, prop_key("p", "T")), 404, "PR404-OD-0002")
    entity = ok(get(col, prop_key("p2", "T")))
    assert fields(entity, "Name", "Type", "Nullable") == typed({"Name": "p2", "Type": "Edm.String", "Nullable": True})
    assert entity["__metadata"]["uri"] == META + prop_key("p2", "T")


def test_update_property_from_int32_to_double(col):
    make_et(col, "T")
    make_prop(col, "n", "T", "Edm.Int32")
    no_content(put(col, prop_key("n", "T"), _full_property("n", "Edm.Double")))
    assert ok(get(col, prop_key("n", "T")))["Type"] == "Edm.Double"


def test_update_property_with_nothing_changed(col):
    make_et(col, "T")
    make_prop(col, "p", "T", "Edm.Int32", Nullable=False, DefaultValue="3", UniqueKey="u")
    no_content(put(col, prop_key("p", "T"), _full_property("p", "Edm.Int32", Nullable=False, DefaultValue="3",
                                                            UniqueKey="u")))


@pytest.mark.parametrize(("created_with", "change"), [
    ({"Type": "Edm.String"}, {"Type": "Edm.Int32"}),
    ({"Type": "Edm.Double"}, {"Type": "Edm.Int32"}),
    ({"Type": "Edm.Int32"}, {"Type": "Edm.Int64"}),
    ({"Type": "Edm.Int32"}, {"Type": "Edm.String"}),
    ({}, {"Nullable": False}),
    ({"Nullable": False}, {"Nullable": True}),
    ({}, {"DefaultValue": "x"}),
    ({"DefaultValue": "x"}, {"DefaultValue": "y"}),
    ({}, {"CollectionKind": "List"}),
    ({}, {"IsKey": True}),
    ({}, {"UniqueKey": "u"}),
])
def test_update_property_other_than_name_is_od_0042(col, created_with, change):
    make_et(col, "T")
    initial = {"Type": "Edm.String", **created_with}
    make_prop(col, "p", "T", **initial)
    response = put(col, prop_key("p", "T"), _full_property("p", **{**initial, **change}))
    assert_error(response, 400, "PR400-OD-0042")
    entity = ok(get(col, prop_key("p", "T")))
    assert entity["__metadata"]["etag"].startswith('W/"1-')  # unchanged
    assert entity["Type"] == initial["Type"]


def test_update_property_to_an_existing_name_is_409(col):
    make_et(col, "T")
    make_prop(col, "p", "T")
    make_prop(col, "q", "T")
    assert_error(put(col, prop_key("p", "T"), _full_property("q")), 409, "PR409-OD-0003")


def test_update_property_to_an_invalid_name_is_od_0006(col):
    make_et(col, "T")
    make_prop(col, "p", "T")
    assert_field_error(put(col, prop_key("p", "T"), _full_property("_p")), "PR400-OD-0006", "Name")


def test_update_property_that_does_not_exist_is_404(col):
    make_et(col, "T")
    assert_error(put(col, prop_key("p", "T"), _full_property("p")), 404, "PR404-OD-0002")


def test_delete_property(col):
    make_et(col, "T")
    make_prop(col, "p", "T")
    no_content(delete(col, prop_key("p", "T")))
    assert_error(get(col, prop_key("p", "T")), 404, "PR404-OD-0002")
    assert_error(delete(col, prop_key("p", "T")), 404, "PR404-OD-0002")
    assert ok(get(col, et_key("T") + "/_Property")) == []


def test_delete_property_of_an_entity_type_with_entities_is_409(col):
    make_et(col, "T")
    make_prop(col, "p", "T")
    make_entity(col, "T")
    assert_error(delete(col, prop_key("p", "T")), 409, "PR409-OD-0001")
    assert ok(get(col, prop_key("p", "T")))["Name"] == "p"


def test_property_navigation_and_links_to_its_entity_type(col):
    make_et(col, "T")
    make_prop(col, "p", "T")
    parents = ok(get(col, prop_key("p", "T") + "/_EntityType"))  # a navigation GET is a list
    assert names(parents) == ["T"]
    assert parents[0]["__metadata"]["uri"] == META + et_key("T")
    assert uris(ok(get(col, prop_key("p", "T") + "/$links/_EntityType"))) == [META + et_key("T")]


# --- ComplexType (apiref 327-335) ---------------------------------------------------------------------------

def test_create_complex_type(col):
    entity = make_ct(col, "complex-type1")
    assert entity["Name"] == "complex-type1"
    assert entity["_ComplexTypeProperty"]["__deferred"]["uri"] == \
        META + "ComplexType('complex-type1')/_ComplexTypeProperty"


@pytest.mark.parametrize("name", ["-c", "_c", "c" * 129, "c d", ""])
def test_complex_type_names_that_are_invalid_are_od_0006(col, name):
    assert_field_error(post(col, "ComplexType", {"Name": name}), "PR400-OD-0006", "Name")


def test_create_complex_type_without_name_is_od_0009(col):
    assert_field_error(post(col, "ComplexType", {}), "PR400-OD-0009", "Name")


def test_create_complex_type_twice_is_409(col):
    make_ct(col, "C")
    assert_error(post(col, "ComplexType", {"Name": "C"}), 409, "PR409-OD-0003")


def test_list_and_retrieve_complex_types(col):
    assert ok(get(col, "ComplexType")) == []
    made = make_ct(col, "C1")
    make_ct(col, "C2")
    assert names(ok(get(col, "ComplexType"))) == ["C1", "C2"]
    response = get(col, ct_key("C1"))
    entity = ok(response)
    assert entity["Name"] == "C1"
    assert entity["__metadata"] == made["__metadata"]
    assert response.headers["etag"] == made["__metadata"]["etag"]
    assert_error(get(col, ct_key("Nope")), 404, "PR404-OD-0002")


def test_update_complex_type_renames_it(col):
    made = make_ct(col, "C")
    make_ctp(col, "x", "C")
    response = put(col, ct_key("C"), {"Name": "C2"})
    no_content(response)
    assert response.headers["etag"] != made["__metadata"]["etag"]
    assert_error(get(col, ct_key("C")), 404, "PR404-OD-0002")
    assert ok(get(col, ct_key("C2")))["Name"] == "C2"
    props = ok(get(col, ct_key("C2") + "/_ComplexTypeProperty"))
    assert [(p["Name"], p["_ComplexType.Name"]) for p in props] == [("x", "C2")]


def test_update_complex_type_to_an_existing_name_is_409(col):
    make_ct(col, "A")
    make_ct(col, "B")
    assert_error(put(col, ct_key("A"), {"Name": "B"}), 409, "PR409-OD-0003")


def test_delete_complex_type(col):
    make_ct(col, "C")
    no_content(delete(col, ct_key("C")))
    assert_error(get(col, ct_key("C")), 404, "PR404-OD-0002")
    assert_error(delete(col, ct_key("C")), 404, "PR404-OD-0002")


def test_delete_complex_type_used_by_a_property_is_409(col):
    make_ct(col, "C")
    make_et(col, "T")
    make_prop(col, "c", "T", "C")
    assert_error(delete(col, ct_key("C")), 409, "PR409-OD-0001")
    no_content(delete(col, prop_key("c", "T")))
    no_content(delete(col, ct_key("C")))


def test_delete_complex_type_used_by_a_complex_type_property_is_409(col):
    make_ct(col, "Inner")
    make_ct(col, "Outer")
    make_ctp(col, "inner", "Outer", "Inner")
    assert_error(delete(col, ct_key("Inner")), 409, "PR409-OD-0001")
    no_content(delete(col, ctp_key("inner", "Outer")))
    no_content(delete(col, ct_key("Inner")))


def test_delete_complex_type_with_properties_is_409(col):
    make_ct(col, "C")
    make_ctp(col, "x", "C")
    assert_error(delete(col, ct_key("C")), 409, "PR409-OD-0001")
    no_content(delete(col, ctp_key("x", "C")))
    no_content(delete(col, ct_key("C")))


def test_complex_type_navigation_and_links(col):
    make_ct(col, "C")
    make_ct(col, "D")
    make_ctp(col, "x", "C")
    make_ctp(col, "y", "C", "Edm.Int32")
    make_ctp(col, "z", "D")
    props = ok(get(col, ct_key("C") + "/_ComplexTypeProperty"))
    assert names(props) == ["x", "y"]
    assert all(p["__metadata"]["type"] == f"{NS}.ComplexTypeProperty" for p in props)
    links = ok(get(col, ct_key("C") + "/$links/_ComplexTypeProperty"))
    assert uris(links) == [META + ctp_key("x", "C"), META + ctp_key("y", "C")]


def test_create_complex_type_property_through_the_complex_type(col):
    make_ct(col, "C")
    response = post(col, ct_key("C") + "/_ComplexTypeProperty", {"Name": "x", "Type": "Edm.Boolean"})
    entity = created(response, "ComplexTypeProperty", ctp_key("x", "C"))
    assert (entity["_ComplexType.Name"], entity["Type"]) == ("C", "Edm.Boolean")


# --- ComplexTypeProperty (apiref 336-344) -------------------------------------------------------------------

def test_create_complex_type_property_with_defaults(col):
    make_ct(col, "C")
    entity = make_ctp(col, "x", "C")
    assert fields(entity, *CTP_FIELDS) == typed({
        "Name": "x", "_ComplexType.Name": "C", "Type": "Edm.String", "Nullable": True, "DefaultValue": None,
        "CollectionKind": "None"})
    assert "IsKey" not in entity and "UniqueKey" not in entity
    assert entity["_ComplexType"]["__deferred"]["uri"] == META + ctp_key("x", "C") + "/_ComplexType"


def test_create_complex_type_property_with_every_field(col):
    make_ct(col, "C")
    entity = make_ctp(col, "x", "C", "Edm.Int32", Nullable=False, DefaultValue="12", CollectionKind="List")
    expected = typed({"Nullable": False, "DefaultValue": "12", "CollectionKind": "List"})
    assert fields(entity, "Nullable", "DefaultValue", "CollectionKind") == expected
    assert fields(ok(get(col, ctp_key("x", "C"))), "Nullable", "DefaultValue", "CollectionKind") == expected


@pytest.mark.parametrize(("edm_type", "default"), [
    ("Edm.Boolean", "false"), ("Edm.Int32", "-7"), ("Edm.Single", "0.5"), ("Edm.Double", "2.25"),
    ("Edm.DateTime", "/Date(0)/"), ("Edm.String", "s"), ("Edm.Int64", "-9223372036854775808"),
])
def test_complex_type_property_default_values_that_are_valid(col, edm_type, default):
    make_ct(col, "C")
    entity = make_ctp(col, "x", "C", edm_type, DefaultValue=default)
    assert (entity["Type"], entity["DefaultValue"]) == (edm_type, default)


@pytest.mark.parametrize(("edm_type", "default"), [
    ("Edm.Boolean", "no"), ("Edm.Int32", "99999999999"), ("Edm.Single", "1e5"), ("Edm.DateTime", "today"),
])
def test_complex_type_property_default_values_that_do_not_fit_are_od_0006(col, edm_type, default):
    make_ct(col, "C")
    response = post(col, "ComplexTypeProperty", {"Name": "x", "_ComplexType.Name": "C", "Type": edm_type,
                                                 "DefaultValue": default})
    assert_field_error(response, "PR400-OD-0006", "DefaultValue")


@pytest.mark.parametrize(("field", "value"), [
    ("Type", "Edm.Foo"), ("Type", "NoSuchComplexType"), ("CollectionKind", "Bag"), ("Name", "-x"), ("Name", "x" * 129),
])
def test_complex_type_property_invalid_fields_are_od_0006(col, field, value):
    make_ct(col, "C")
    body = {"Name": "x", "_ComplexType.Name": "C", "Type": "Edm.String", field: value}
    assert_field_error(post(col, "ComplexTypeProperty", body), "PR400-OD-0006", field)


def test_complex_type_property_may_have_a_complex_type(col):
    make_ct(col, "Inner")
    make_ct(col, "Outer")
    assert make_ctp(col, "inner", "Outer", "Inner")["Type"] == "Inner"


def test_list_and_retrieve_complex_type_properties(col):
    make_ct(col, "C")
    made = make_ctp(col, "x", "C", "Edm.Boolean", Nullable=False, DefaultValue="false")
    make_ctp(col, "y", "C")
    results = ok(get(col, "ComplexTypeProperty"))
    assert names(results) == ["x", "y"]
    listed = next(r for r in results if r["Name"] == "x")
    assert fields(listed, "Nullable", "DefaultValue") == typed({"Nullable": False, "DefaultValue": "false"})
    response = get(col, ctp_key("x", "C"))
    entity = ok(response)
    assert response.headers["etag"] == made["__metadata"]["etag"]
    assert fields(entity, *CTP_FIELDS) == typed({
        "Name": "x", "_ComplexType.Name": "C", "Type": "Edm.Boolean", "Nullable": False, "DefaultValue": "false",
        "CollectionKind": "None"})
    assert_error(get(col, ctp_key("nope", "C")), 404, "PR404-OD-0002")


def _full_ctp(name: str = "x", edm_type: str = "Edm.String", **more: Any) -> dict[str, Any]:
    return {"Name": name, "_ComplexType.Name": "C", "Type": edm_type, "Nullable": True, "DefaultValue": None,
            "CollectionKind": "None", **more}


def test_update_complex_type_property_renames_it(col):
    make_ct(col, "C")
    make_ctp(col, "x", "C")
    no_content(put(col, ctp_key("x", "C"), _full_ctp("x2")))
    assert_error(get(col, ctp_key("x", "C")), 404, "PR404-OD-0002")
    assert ok(get(col, ctp_key("x2", "C")))["Name"] == "x2"


def test_update_complex_type_property_from_int32_to_double(col):
    make_ct(col, "C")
    make_ctp(col, "n", "C", "Edm.Int32")
    no_content(put(col, ctp_key("n", "C"), _full_ctp("n", "Edm.Double")))
    assert ok(get(col, ctp_key("n", "C")))["Type"] == "Edm.Double"


@pytest.mark.parametrize(("created_with", "change"), [
    ({"Type": "Edm.String"}, {"Type": "Edm.Boolean"}),
    ({"Type": "Edm.Double"}, {"Type": "Edm.Int32"}),
    ({}, {"Nullable": False}),
    ({}, {"DefaultValue": "d"}),
    ({}, {"CollectionKind": "List"}),
])
def test_update_complex_type_property_other_than_name_is_od_0042(col, created_with, change):
    make_ct(col, "C")
    initial = {"Type": "Edm.String", **created_with}
    make_ctp(col, "x", "C", **initial)
    response = put(col, ctp_key("x", "C"), _full_ctp("x", **{**initial, **change}))
    assert_error(response, 400, "PR400-OD-0042")
    assert ok(get(col, ctp_key("x", "C")))["Type"] == initial["Type"]


def test_delete_complex_type_property(col):
    make_ct(col, "C")
    make_ctp(col, "x", "C")
    no_content(delete(col, ctp_key("x", "C")))
    assert_error(get(col, ctp_key("x", "C")), 404, "PR404-OD-0002")
    assert_error(delete(col, ctp_key("x", "C")), 404, "PR404-OD-0002")


def test_complex_type_property_navigation_and_links_to_its_complex_type(col):
    make_ct(col, "C")
    make_ctp(col, "x", "C")
    parents = ok(get(col, ctp_key("x", "C") + "/_ComplexType"))
    assert names(parents) == ["C"]
    assert uris(ok(get(col, ctp_key("x", "C") + "/$links/_ComplexType"))) == [META + ct_key("C")]


# --- AssociationEnd (apiref 318-326) ------------------------------------------------------------------------

def test_create_association_end(col):
    make_et(col, "entity-type1")
    entity = make_ae(col, "association-end1", "entity-type1", "1")
    assert (entity["Name"], entity["Multiplicity"], entity["_EntityType.Name"]) == (
        "association-end1", "1", "entity-type1")
    key = ae_key("association-end1", "entity-type1")
    assert entity["_EntityType"]["__deferred"]["uri"] == META + key + "/_EntityType"
    assert entity["_AssociationEnd"]["__deferred"]["uri"] == META + key + "/_AssociationEnd"


@pytest.mark.parametrize("multiplicity", ["0..1", "1", "*"])
def test_association_end_multiplicities_that_are_valid(col, multiplicity):
    make_et(col, "T")
    assert make_ae(col, "a", "T", multiplicity)["Multiplicity"] == multiplicity


@pytest.mark.parametrize("multiplicity", ["0 .. 1", "2", "many", "", "0..*", 1])
def test_association_end_multiplicities_that_are_invalid_are_od_0006(col, multiplicity):
    make_et(col, "T")
    response = post(col, "AssociationEnd", {"Name": "a", "_EntityType.Name": "T", "Multiplicity": multiplicity})
    assert_field_error(response, "PR400-OD-0006", "Multiplicity")


def test_list_and_retrieve_association_ends(col):
    make_et(col, "T")
    make_et(col, "U")
    assert ok(get(col, "AssociationEnd")) == []
    made = make_ae(col, "a", "T", "0..1")
    make_ae(col, "b", "U", "*")
    results = ok(get(col, "AssociationEnd"))
    assert sorted((r["Name"], r["_EntityType.Name"], r["Multiplicity"]) for r in results) == [
        ("a", "T", "0..1"), ("b", "U", "*")]
    response = get(col, ae_key("a", "T"))
    entity = ok(response)
    assert entity["__metadata"] == made["__metadata"]
    assert response.headers["etag"] == made["__metadata"]["etag"]
    assert (entity["Name"], entity["Multiplicity"], entity["_EntityType.Name"]) == ("a", "0..1", "T")
    assert_error(get(col, ae_key("a", "U")), 404, "PR404-OD-0002")


def test_update_association_end_renames_it(col):
    make_et(col, "T")
    make_ae(col, "a", "T", "*")
    no_content(put(col, ae_key("a", "T"), {"Name": "a2", "Multiplicity": "*", "_EntityType.Name": "T"}))
    assert_error(get(col, ae_key("a", "T")), 404, "PR404-OD-0002")
    assert ok(get(col, ae_key("a2", "T")))["Name"] == "a2"


def test_update_association_end_that_does_not_exist_is_404(col):
    make_et(col, "T")
    response = put(col, ae_key("a", "T"), {"Name": "a", "Multiplicity": "*", "_EntityType.Name": "T"})
    assert_error(response, 404, "PR404-OD-0002")


def test_delete_association_end(col):
    make_et(col, "T")
    make_ae(col, "a", "T")
    no_content(delete(col, ae_key("a", "T")))
    assert_error(get(col, ae_key("a", "T")), 404, "PR404-OD-0002")
    assert_error(delete(col, ae_key("a", "T")), 404, "PR404-OD-0002")
    assert ok(get(col, et_key("T") + "/_AssociationEnd")) == []


def _link_ends(client: Any) -> None:
    make_et(client, "T")
    make_et(client, "U")
    make_ae(client, "a", "T", "*")
    make_ae(client, "b", "U", "0..1")
    response = post(client, ae_key("a", "T") + "/$links/_AssociationEnd", {"uri": META + ae_key("b", "U")})
    no_content(response)


def test_link_association_ends(col):
    _link_ends(col)
    assert uris(ok(get(col, ae_key("a", "T") + "/$links/_AssociationEnd"))) == [META + ae_key("b", "U")]
    assert uris(ok(get(col, ae_key("b", "U") + "/$links/_AssociationEnd"))) == [META + ae_key("a", "T")]


def test_association_end_navigation_lists_the_linked_end(col):
    _link_ends(col)
    other = ok(get(col, ae_key("a", "T") + "/_AssociationEnd"))
    assert [(e["Name"], e["_EntityType.Name"], e["Multiplicity"]) for e in other] == [("b", "U", "0..1")]
    assert other[0]["__metadata"]["type"] == f"{NS}.AssociationEnd"
    back = ok(get(col, ae_key("b", "U") + "/_AssociationEnd"))
    assert [(e["Name"], e["_EntityType.Name"]) for e in back] == [("a", "T")]
    parents = ok(get(col, ae_key("a", "T") + "/_EntityType"))
    assert names(parents) == ["T"]


def test_unlink_association_ends(col):
    _link_ends(col)
    no_content(delete(col, ae_key("a", "T") + "/$links/_AssociationEnd(Name='b',_EntityType.Name='U')"))
    assert ok(get(col, ae_key("a", "T") + "/$links/_AssociationEnd")) == []
    assert ok(get(col, ae_key("b", "U") + "/$links/_AssociationEnd")) == []
    no_content(delete(col, ae_key("a", "T")))
    no_content(delete(col, ae_key("b", "U")))


def test_link_association_end_to_one_that_does_not_exist_is_od_0006(col):
    """notes §5: a ``uri`` whose target is missing → 400 ``PR400-OD-0006`` naming ``uri``."""
    make_et(col, "T")
    make_ae(col, "a", "T")
    response = post(col, ae_key("a", "T") + "/$links/_AssociationEnd", {"uri": META + ae_key("nope", "T")})
    assert_field_error(response, "PR400-OD-0006", "uri")
    assert ok(get(col, ae_key("a", "T") + "/$links/_AssociationEnd")) == []


def test_link_of_an_association_end_that_does_not_exist_is_404(col):
    make_et(col, "T")
    make_ae(col, "b", "T")
    response = post(col, ae_key("nope", "T") + "/$links/_AssociationEnd", {"uri": META + ae_key("b", "T")})
    assert_error(response, 404, "PR404-OD-0000")


def test_link_association_ends_twice_is_409(col):
    """The real server (EsODataProducer.createLinks) checks the entity types' association
    (PR409-OD-0006) before the link itself (PR409-OD-0002): a second link of the same pair is 0006."""
    _link_ends(col)
    response = post(col, ae_key("a", "T") + "/$links/_AssociationEnd", {"uri": META + ae_key("b", "U")})
    assert_error(response, 409, "PR409-OD-0006")


def test_two_ends_of_multiplicity_one_are_not_linked(col):
    """EsODataProducer.createLinks: both ends "1" is INVALID_MULTIPLICITY, before anything else."""
    make_et(col, "T")
    make_et(col, "U")
    for name, entity_type in (("one", "T"), ("other", "U")):
        assert post(col, "AssociationEnd", {"Name": name, "_EntityType.Name": entity_type,
                                            "Multiplicity": "1"}).status_code == 201
    response = post(col, ae_key("one", "T") + "/$links/_AssociationEnd", {"uri": META + ae_key("other", "U")})
    assert_error(response, 400, "PR400-OD-0031")


def test_link_association_ends_again_from_the_other_end_is_409(col):
    """The link between two ends is one link, whichever end it is seen from."""
    _link_ends(col)
    response = post(col, ae_key("b", "U") + "/$links/_AssociationEnd", {"uri": META + ae_key("a", "T")})
    assert_error(response, 409, "PR409-OD-0006")  # the association check comes first, as above
    assert uris(ok(get(col, ae_key("a", "T") + "/$links/_AssociationEnd"))) == [META + ae_key("b", "U")]


# --- privileges (notes: the schema is read with ``read``, written with ``alter-schema``) ---------------------

PASSWORD = "password1234"


def _acl(aces: dict[str, list[str]]) -> bytes:
    def privilege(name: str) -> str:
        prefix = "D" if name in ("read", "write", "all") else "p"
        return f"<D:privilege><{prefix}:{name}/></D:privilege>"

    body = "".join(f"<D:ace><D:principal><D:href>{role}</D:href></D:principal><D:grant>"
                   f"{''.join(privilege(p) for p in privileges)}</D:grant></D:ace>"
                   for role, privileges in aces.items())
    return (f'<?xml version="1.0" encoding="utf-8"?><D:acl xmlns:D="DAV:" xmlns:p="{P}" '
            f'xml:base="{CELL_URL}__role/__/">{body}</D:acl>').encode()


def _account_token(client: Any, account: str, role: str) -> dict[str, str]:
    make_role(client, "c1", role)
    make_account(client, "c1", account, PASSWORD)
    grant_role(client, "c1", account, role)
    response = token(client, "c1", password_params(account, PASSWORD))
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}", "Accept": "application/json"}


@pytest.fixture
def callers(col):
    make_et(col, "T")
    reader = _account_token(col, "reader", "reading")
    writer = _account_token(col, "writer", "writing")
    designer = _account_token(col, "designer", "designing")
    acl = _acl({"reading": ["read"], "writing": ["read", "write"], "designing": ["read", "alter-schema"]})
    response = col.request("ACL", path(COL), content=acl, headers=MASTER_AUTH)
    assert response.status_code == 200, response.text
    return {"reader": reader, "writer": writer, "designer": designer}


def test_schema_is_read_with_read(col, callers):
    for who in ("reader", "writer", "designer"):
        assert names(ok(get(col, "EntityType", callers[who]))) == ["T"], who
        assert ok(get(col, et_key("T"), callers[who]))["Name"] == "T", who


def test_schema_is_written_with_alter_schema(col, callers):
    for who in ("reader", "writer"):
        assert_error(post(col, "EntityType", {"Name": "U"}, callers[who]), 403, "PR403-AU-0002")
        assert_error(col.put(m(et_key("T")), json={"Name": "T2"}, headers=callers[who]), 403, "PR403-AU-0002")
        assert_error(col.delete(m(et_key("T")), headers=callers[who]), 403, "PR403-AU-0002")
        response = post(col, "Property", {"Name": "p", "_EntityType.Name": "T", "Type": "Edm.String"},
                        callers[who])
        assert_error(response, 403, "PR403-AU-0002")
    assert ok(get(col, "Property")) == []
    created(post(col, "EntityType", {"Name": "U"}, callers["designer"]), "EntityType", et_key("U"))
    created(post(col, "Property", {"Name": "p", "_EntityType.Name": "U", "Type": "Edm.String"},
                 callers["designer"]), "Property", prop_key("p", "U"))
    no_content(col.delete(m(prop_key("p", "U")), headers=callers["designer"]))


def test_schema_without_a_token_is_401(col):
    assert_error(col.get(m("EntityType"), headers={"Accept": "application/json"}), 401, "PR401-AU-0001")
    response = col.post(m("EntityType"), json={"Name": "T"}, headers={"Accept": "application/json"})
    assert_error(response, 401, "PR401-AU-0001")


# --- the real server's own refusals (ODataSvcSchemaResource) ---------------------------------------------

@pytest.mark.parametrize("entity_set", ["Property", "ComplexType", "ComplexTypeProperty"])
def test_merge_of_these_schema_sets_is_not_implemented(col, entity_set):
    """beforeMerge: Property, ComplexType and ComplexTypeProperty are not partially updated (501)."""
    make_et(col, "T")
    assert post(col, "ComplexType", {"Name": "C"}).status_code == 201
    body = {"Name": "c", "_ComplexType.Name": "C", "Type": "Edm.String"}
    assert post(col, "ComplexTypeProperty", body).status_code == 201
    make_prop(col, "p", "T")
    keys = {"Property": "Property(Name='p',_EntityType.Name='T')", "ComplexType": "ComplexType('C')",
            "ComplexTypeProperty": "ComplexTypeProperty(Name='c',_ComplexType.Name='C')"}
    response = col.request("MERGE", path(f"{COL}/$metadata/{keys[entity_set]}"), json={"Name": "x"},
                           headers=MASTER_AUTH)
    assert_error(response, 501, "PR501-MC-0001")


@pytest.mark.parametrize(("source", "nav", "target"), [
    ("EntityType('T')", "_Property", "Property(Name='p',_EntityType.Name='U')"),
    ("Property(Name='p',_EntityType.Name='U')", "_EntityType", "EntityType('T')"),
    ("EntityType('T')", "_AssociationEnd", "AssociationEnd(Name='a',_EntityType.Name='U')")])
def test_links_other_than_between_association_ends_are_no_association(col, source, nav, target):
    """checkNonSupportLinks: a Property or an AssociationEnd belongs to its type from its creation."""
    make_et(col, "T")
    make_et(col, "U")
    make_prop(col, "p", "U")
    assert post(col, "AssociationEnd", {"Name": "a", "_EntityType.Name": "U", "Multiplicity": "*"}).status_code == 201
    response = post(col, f"{source}/$links/{nav}", {"uri": META + target})
    assert_error(response, 400, "PR400-OD-0008")


# --- what the sets that belong to a parent share (Property, ComplexTypeProperty, AssociationEnd) ----------

#: set: (its parent set, the body's parent key, the rest of a valid body)
CHILD_SETS = {
    "Property": ("EntityType", "_EntityType.Name", {"Type": "Edm.String"}),
    "ComplexTypeProperty": ("ComplexType", "_ComplexType.Name", {"Type": "Edm.String"}),
    "AssociationEnd": ("EntityType", "_EntityType.Name", {"Multiplicity": "*"}),
}


def child_body(entity_set: str, name: str, parent: str) -> dict[str, Any]:
    _, parent_key, rest = CHILD_SETS[entity_set]
    return {"Name": name, parent_key: parent, **rest}


def make_parent(col: Any, entity_set: str, name: str) -> None:
    assert post(col, CHILD_SETS[entity_set][0], {"Name": name}).status_code == 201


@pytest.mark.parametrize("entity_set", sorted(CHILD_SETS))
@pytest.mark.parametrize("name", ["-p", "_p", "p" * 129, "p q", "p/q"])
def test_child_names_that_are_invalid_are_od_0006(col, entity_set, name):
    make_parent(col, entity_set, "T")
    assert_field_error(post(col, entity_set, child_body(entity_set, name, "T")), "PR400-OD-0006", "Name")


@pytest.mark.parametrize("entity_set", sorted(CHILD_SETS))
@pytest.mark.parametrize("which", [0, 1, 2])
def test_child_without_a_required_field_is_od_0009(col, entity_set, which):
    make_parent(col, entity_set, "T")
    body = child_body(entity_set, "p", "T")
    missing = list(body)[which]  # Name, the parent key, Type or Multiplicity
    del body[missing]
    assert_field_error(post(col, entity_set, body), "PR400-OD-0009", missing)


@pytest.mark.parametrize("entity_set", sorted(CHILD_SETS))
def test_child_of_an_unknown_parent_is_od_0024(col, entity_set):
    assert_field_error(post(col, entity_set, child_body(entity_set, "p", "Nope")), "PR400-OD-0024", "Nope")


@pytest.mark.parametrize("entity_set", sorted(CHILD_SETS))
def test_child_twice_is_409_but_the_name_is_per_parent(col, entity_set):
    make_parent(col, entity_set, "T")
    make_parent(col, entity_set, "U")
    assert post(col, entity_set, child_body(entity_set, "p", "T")).status_code == 201
    assert_error(post(col, entity_set, child_body(entity_set, "p", "T")), 409, "PR409-OD-0003")
    assert post(col, entity_set, child_body(entity_set, "p", "U")).status_code == 201
