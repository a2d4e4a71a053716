"""User data in an OData collection (apiref 364-372, 400-407): entities of types defined over HTTP,
with declared and dynamic properties, stored as documents and queried in SQL; ``$metadata`` and the
service document as the real server writes them (apiref 316, 371, 372)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from lxml import etree

from tests.api._dav_support import must_mkcol, new_box, path
from tests.helpers import MASTER_AUTH, assert_error

COL = "col"
EDM = "{http://schemas.microsoft.com/ado/2006/04/edm}"


def schema(client: Any, entity_set: str, body: dict[str, Any]) -> None:
    response = client.post(path(f"{COL}/$metadata/{entity_set}"), json=body, headers=MASTER_AUTH)
    assert response.status_code == 201, response.text


@pytest.fixture
def diary(client):
    """``Diary``: title (String), rating (Int32, default 3), when (DateTime), tags (List of String),
    place (the complex type ``Place``: city)."""
    new_box(client)
    must_mkcol(client, COL, "odata")
    schema(client, "ComplexType", {"Name": "Place"})
    schema(client, "ComplexTypeProperty", {"Name": "city", "_ComplexType.Name": "Place", "Type": "Edm.String"})
    schema(client, "EntityType", {"Name": "Diary"})
    for body in ({"Name": "title", "Type": "Edm.String"},
                 {"Name": "rating", "Type": "Edm.Int32", "DefaultValue": "3"},
                 {"Name": "when", "Type": "Edm.DateTime"},
                 {"Name": "tags", "Type": "Edm.String", "CollectionKind": "List"},
                 {"Name": "place", "Type": "Place"}):
        schema(client, "Property", {**body, "_EntityType.Name": "Diary"})


def create(client: Any, body: dict[str, Any], status: int = 201) -> Any:
    response = client.post(path(f"{COL}/Diary"), json=body, headers=MASTER_AUTH)
    assert response.status_code == status, response.text
    return response


def listed(client: Any, query: str) -> list[dict[str, Any]]:
    response = client.get(path(f"{COL}/Diary?{query}"), headers=MASTER_AUTH)
    assert response.status_code == 200, response.text
    results: list[dict[str, Any]] = response.json()["d"]["results"]
    return results


def test_create_answers_the_entity_with_defaults_and_dynamic_properties(client, diary):
    response = create(client, {"__id": "e1", "title": "first", "when": "/Date(1350451322147)/", "mood": "calm"})
    entity = response.json()["d"]["results"]
    assert response.headers["location"] == f"http://localhost:8080/c1/box1/{COL}/Diary('e1')"
    assert entity["__metadata"]["type"] == "UserData.Diary"
    assert entity["__metadata"]["etag"] == response.headers["etag"]
    assert (entity["__id"], entity["title"], entity["rating"], entity["when"], entity["mood"]) == (
        "e1", "first", 3, "/Date(1350451322147)/", "calm")
    assert entity["tags"] is None and entity["place"] is None


def test_a_generated_id_and_the_id_format(client, diary):
    generated = create(client, {"title": "x"}).json()["d"]["results"]["__id"]
    assert len(generated) == 32
    assert_error(create(client, {"__id": "_bad"}, 400), 400, "PR400-OD-0006")
    assert_error(create(client, {"__id": generated}, 409), 409, "PR409-OD-0003")


@pytest.mark.parametrize(("body", "field"), [({"title": 5}, "title"), ({"rating": "3"}, "rating"),
                                             ({"rating": 2**31}, "rating"), ({"when": "yesterday"}, "when"),
                                             ({"tags": "a"}, "tags"), ({"place": "Tokyo"}, "place"),
                                             ({"mood": {"nested": 1}}, "mood"), ({"mood": [1]}, "mood")])
def test_values_of_the_wrong_type_are_refused_and_nothing_is_stored(client, diary, body, field):
    assert_error(create(client, body, 400), 400, "PR400-OD-0006")
    assert listed(client, "") == []


def test_unknown_members_of_a_complex_value_and_management_fields(client, diary):
    assert_error(create(client, {"place": {"country": "JP"}}, 400), 400, "PR400-OD-0007")
    assert_error(create(client, {"__published": "/Date(0)/"}, 400), 400, "PR400-OD-0007")
    assert_error(client.post(path(f"{COL}/Diary"), content=b"{not json", headers=MASTER_AUTH), 400, "PR400-OD-0001")


def test_retrieve_update_merge_and_delete(client, diary):
    etag = create(client, {"__id": "e1", "title": "first", "mood": "calm"}).headers["etag"]
    url = path(f"{COL}/Diary('e1')")
    got = client.get(url, headers=MASTER_AUTH)
    assert got.status_code == 200 and got.json()["d"]["results"]["title"] == "first"
    assert client.get(url, headers={**MASTER_AUTH, "If-None-Match": etag}).status_code == 304
    assert_error(client.put(url, json={"title": "x"}, headers={**MASTER_AUTH, "If-Match": 'W/"9-1"'}),
                 412, "PR412-OD-0002")
    put = client.put(url, json={"title": "second"}, headers={**MASTER_AUTH, "If-Match": etag})
    assert put.status_code == 204 and put.headers["etag"] != etag
    replaced = client.get(url, headers=MASTER_AUTH).json()["d"]["results"]
    assert replaced["title"] == "second" and replaced["rating"] == 3 and "mood" not in replaced  # PUT replaces
    merge = client.request("MERGE", url, json={"rating": 5, "extra": True}, headers=MASTER_AUTH)
    assert merge.status_code == 204, merge.text
    merged = client.get(url, headers=MASTER_AUTH).json()["d"]["results"]
    assert (merged["title"], merged["rating"], merged["extra"]) == ("second", 5, True)
    assert client.delete(url, headers=MASTER_AUTH).status_code == 204
    assert_error(client.get(url, headers=MASTER_AUTH), 404, "PR404-OD-0002")


def test_filters_orderby_top_skip_and_inlinecount_on_declared_properties(client, diary):
    for index, (title, rating) in enumerate([("apple", 1), ("banana", 5), ("cherry", 3), ("apricot", 4)]):
        create(client, {"__id": f"e{index}", "title": title, "rating": rating, "when": 1000 * index})
    assert [e["__id"] for e in listed(client, "$filter=rating ge 3&$orderby=rating desc")] == ["e1", "e3", "e2"]
    assert [e["title"] for e in listed(client, "$filter=startswith(title,'ap')&$orderby=title")] == [
        "apple", "apricot"]
    assert [e["__id"] for e in listed(client, "$filter=rating eq 1 or title eq 'cherry'&$orderby=__id")] == [
        "e0", "e2"]
    assert [e["__id"] for e in listed(client, "$filter=when gt datetime'1970-01-01T00:00:01'&$orderby=when")] == [
        "e2", "e3"]
    page = client.get(path(f"{COL}/Diary?$orderby=title&$top=2&$skip=1&$inlinecount=allpages"),
                      headers=MASTER_AUTH).json()["d"]
    assert [e["title"] for e in page["results"]] == ["apricot", "banana"] and page["__count"] == "4"
    assert_error(client.get(path(f"{COL}/Diary?$filter=rating eq 'x'"), headers=MASTER_AUTH), 400, "PR400-OD-0046")
    assert_error(client.get(path(f"{COL}/Diary?$filter=nope eq 1"), headers=MASTER_AUTH), 400, "PR400-OD-0045")


def test_a_filter_string_is_data_never_sql(client, diary):
    create(client, {"__id": "e1", "title": "it's"})
    assert [e["__id"] for e in listed(client, "$filter=title eq 'it''s'")] == ["e1"]
    assert listed(client, "$filter=title eq '1'' or ''1''=''1'") == []


def test_metadata_is_the_real_servers_edmx(client, diary):
    response = client.get(path(f"{COL}/$metadata"), headers={"Authorization": MASTER_AUTH["Authorization"]})
    assert response.status_code == 200 and response.headers["content-type"] == "application/xml;charset=utf-8"
    document = etree.fromstring(response.content)
    schema_element = document.find(f".//{EDM}Schema")
    assert schema_element is not None and schema_element.get("Namespace") == "UserData"
    assert [child.tag for child in schema_element][:2] == [f"{EDM}ComplexType", f"{EDM}EntityType"]
    diary_type = schema_element.find(f"{EDM}EntityType[@Name='Diary']")
    assert diary_type is not None and diary_type.get("OpenType") == "true"
    props = [(p.get("Name"), p.get("Type"), p.get("DefaultValue"), p.get("CollectionKind"))
             for p in diary_type.iter(f"{EDM}Property")]
    assert props == [("__id", "Edm.String", "UUID()", None),
                     ("__published", "Edm.DateTime", "SYSUTCDATETIME()", None),
                     ("__updated", "Edm.DateTime", "SYSUTCDATETIME()", None),
                     ("title", "Edm.String", None, None), ("rating", "Edm.Int32", "3", None),
                     ("when", "Edm.DateTime", None, None), ("tags", "Edm.String", None, "List"),
                     ("place", "UserData.Place", None, None)]


def test_the_service_document_lists_the_entity_types(client, diary):
    response = client.get(path(f"{COL}/"), headers=MASTER_AUTH)
    assert response.status_code == 200 and response.json() == {"d": {"EntitySets": ["Diary"]}}


def test_a_schema_change_is_seen_at_once(client, diary):
    schema(client, "EntityType", {"Name": "Note"})
    assert client.post(path(f"{COL}/Note"), json={"__id": "n1"}, headers=MASTER_AUTH).status_code == 201
    schema(client, "Property", {"Name": "body", "_EntityType.Name": "Note", "Type": "Edm.String"})
    assert [e["__id"] for e in client.get(path(f"{COL}/Note?$filter=body eq null"),
                                          headers=MASTER_AUTH).json()["d"]["results"]] == ["n1"]


def test_unknown_entity_sets_and_keys(client, diary):
    assert_error(client.get(path(f"{COL}/Nothing"), headers=MASTER_AUTH), 404, "PR404-OD-0001")
    assert_error(client.get(path(f"{COL}/Diary('none')"), headers=MASTER_AUTH), 404, "PR404-OD-0002")


def test_deleting_the_collection_takes_its_schema_and_data(client, diary):
    create(client, {"__id": "e1"})
    # with a schema it is not empty: only X-Personium-Recursive deletes it (Personium's rule)
    assert_error(client.request("DELETE", path(COL), headers=MASTER_AUTH), 403, "PR403-DV-0003")
    response = client.request("DELETE", path(COL), headers={**MASTER_AUTH, "X-Personium-Recursive": "true"})
    assert response.status_code == 204, response.text
    must_mkcol(client, COL, "odata")
    assert client.get(path(f"{COL}/"), headers=MASTER_AUTH).json() == {"d": {"EntitySets": []}}


def test_every_write_emits_its_odata_event(client, diary):
    bus = client.app.state.services.storage.bus
    seen: list[Any] = []
    bus.subscribe(seen.append)
    entity_url = f"http://localhost:8080/c1/box1/{COL}/Diary('e1')"
    try:
        create(client, {"__id": "e1"})
        url = path(f"{COL}/Diary('e1')")
        assert client.put(url, json={"title": "t"}, headers=MASTER_AUTH).status_code == 204
        assert client.request("MERGE", url, json={"title": "u"}, headers=MASTER_AUTH).status_code == 204
        assert client.delete(url, headers=MASTER_AUTH).status_code == 204
        deadline = time.monotonic() + 10  # the dispatcher delivers on its own thread
        while len([e for e in seen if e.object == entity_url]) < 4 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        bus.unsubscribe(seen.append)
    assert [e.type for e in seen if e.object == entity_url] == ["odata.create", "odata.update", "odata.patch",
                                                                 "odata.delete"]


def test_data_needs_read_and_write_on_the_collection(client, diary):
    assert_error(client.get(path(f"{COL}/Diary")), 401, "PR401-AU-0001")
    assert_error(client.post(path(f"{COL}/Diary"), json={}), 401, "PR401-AU-0001")


@pytest.fixture
def pets(client):
    """``Owner`` (end ``owner``, 0..1) and ``Pet`` (end ``pets``, *): an owner has many pets, a pet one owner."""
    new_box(client)
    must_mkcol(client, COL, "odata")
    for name in ("Owner", "Pet"):
        schema(client, "EntityType", {"Name": name})
    schema(client, "AssociationEnd", {"Name": "owner", "_EntityType.Name": "Owner", "Multiplicity": "0..1"})
    schema(client, "AssociationEnd", {"Name": "pets", "_EntityType.Name": "Pet", "Multiplicity": "*"})
    link = client.post(path(f"{COL}/$metadata/AssociationEnd(Name='owner',_EntityType.Name='Owner')/"
                            "$links/_AssociationEnd"), headers=MASTER_AUTH,
                       json={"uri": f"http://localhost:8080/c1/box1/{COL}/$metadata/"
                                    "AssociationEnd(Name='pets',_EntityType.Name='Pet')"})
    assert link.status_code == 204, link.text
    for entity_set, key in (("Owner", "o1"), ("Owner", "o2")):
        assert client.post(path(f"{COL}/{entity_set}"), json={"__id": key}, headers=MASTER_AUTH).status_code == 201


def entity_uri(entity_set: str, key: str) -> str:
    return f"http://localhost:8080/c1/box1/{COL}/{entity_set}('{key}')"


def test_an_association_is_in_metadata_as_the_real_server_writes_it(client, pets):
    document = etree.fromstring(client.get(path(f"{COL}/$metadata"), headers=MASTER_AUTH).content)
    navs = {(n.get("Name"), n.get("Relationship"), n.get("FromRole"), n.get("ToRole"))
            for n in document.iter(f"{EDM}NavigationProperty")}
    assert navs == {("_Pet", "UserData.Owner-Pet-assoc", "Owner:owner", "Pet:pets"),
                    ("_Owner", "UserData.Owner-Pet-assoc", "Pet:pets", "Owner:owner")}
    association = document.find(f".//{EDM}Association[@Name='Owner-Pet-assoc']")
    assert association is not None
    assert [(e.get("Role"), e.get("Type"), e.get("Multiplicity")) for e in association] == [
        ("Owner:owner", "UserData.Owner", "0..1"), ("Pet:pets", "UserData.Pet", "*")]
    ends = document.find(f".//{EDM}AssociationSet[@Name='Owner-Pet-assoc']")
    assert ends is not None and [(e.get("Role"), e.get("EntitySet")) for e in ends] == [
        ("Owner:owner", "Owner"), ("Pet:pets", "Pet")]


def test_create_and_list_through_a_navigation_property_and_expand(client, pets):
    created = client.post(path(f"{COL}/Owner('o1')/_Pet"), json={"__id": "p1", "kind": "cat"}, headers=MASTER_AUTH)
    assert created.status_code == 201, created.text
    assert created.headers["location"] == entity_uri("Pet", "p1")
    listed_pets = client.get(path(f"{COL}/Owner('o1')/_Pet"), headers=MASTER_AUTH).json()["d"]["results"]
    assert [p["__id"] for p in listed_pets] == ["p1"]
    owners = client.get(path(f"{COL}/Pet('p1')/_Owner"), headers=MASTER_AUTH).json()["d"]["results"]
    assert [o["__id"] for o in owners] == ["o1"]
    links = client.get(path(f"{COL}/Owner('o1')/$links/_Pet"), headers=MASTER_AUTH).json()["d"]["results"]
    assert links == [{"uri": entity_uri("Pet", "p1")}]
    expanded = client.get(path(f"{COL}/Owner?$expand=_Pet&$orderby=__id"), headers=MASTER_AUTH).json()["d"]["results"]
    assert [(o["__id"], [p["__id"] for p in o["_Pet"]]) for o in expanded] == [("o1", ["p1"]), ("o2", [])]
    single = client.get(path(f"{COL}/Owner('o1')"), headers=MASTER_AUTH).json()["d"]["results"]
    assert single["_Pet"] == {"__deferred": {"uri": entity_uri("Owner", "o1") + "/_Pet"}}


def test_multiplicity_bounds_the_links_and_links_block_a_delete(client, pets):
    assert client.post(path(f"{COL}/Pet"), json={"__id": "p1"}, headers=MASTER_AUTH).status_code == 201
    link = path(f"{COL}/Pet('p1')/$links/_Owner")
    assert client.post(link, json={"uri": entity_uri("Owner", "o1")}, headers=MASTER_AUTH).status_code == 204
    assert_error(client.post(link, json={"uri": entity_uri("Owner", "o2")}, headers=MASTER_AUTH), 409,
                 "PR409-OD-0002")  # a pet has one owner at most (0..1)
    assert_error(client.post(link, json={"uri": entity_uri("Owner", "o1")}, headers=MASTER_AUTH), 409,
                 "PR409-OD-0002")
    assert_error(client.delete(path(f"{COL}/Owner('o1')"), headers=MASTER_AUTH), 409, "PR409-OD-0001")
    unlink = client.delete(path(f"{COL}/Owner('o1')/$links/_Pet('p1')"), headers=MASTER_AUTH)
    assert unlink.status_code == 204, unlink.text
    assert client.delete(path(f"{COL}/Owner('o1')"), headers=MASTER_AUTH).status_code == 204


def test_two_entity_types_are_associated_once(client, pets):
    schema(client, "AssociationEnd", {"Name": "owner2", "_EntityType.Name": "Owner", "Multiplicity": "*"})
    schema(client, "AssociationEnd", {"Name": "pets2", "_EntityType.Name": "Pet", "Multiplicity": "*"})
    again = client.post(path(f"{COL}/$metadata/AssociationEnd(Name='pets2',_EntityType.Name='Pet')/"
                             "$links/_AssociationEnd"), headers=MASTER_AUTH,
                        json={"uri": f"http://localhost:8080/c1/box1/{COL}/$metadata/"
                                     "AssociationEnd(Name='owner2',_EntityType.Name='Owner')"})
    assert_error(again, 409, "PR409-OD-0006")


def test_a_dynamic_property_is_typed_by_its_first_value(client, diary):
    """UserDataODataProducer.createDynamicPropertyEntity: the first entity with an undeclared property
    registers it (``IsDeclared: false``): numbers as Edm.Double, booleans as Edm.Boolean, else Edm.String."""
    create(client, {"__id": "e1", "mood": "calm", "steps": 1200, "ok": True})
    props = client.get(path(f"{COL}/$metadata/Property?$filter=IsDeclared eq false&$orderby=Name"),
                       headers=MASTER_AUTH).json()["d"]["results"]
    assert [(p["Name"], p["Type"], p["IsDeclared"]) for p in props] == [
        ("mood", "Edm.String", False), ("ok", "Edm.Boolean", False), ("steps", "Edm.Double", False)]
    assert_error(create(client, {"__id": "e2", "steps": "many"}, 400), 400, "PR400-OD-0006")
    create(client, {"__id": "e3", "steps": 99.5})
    create(client, {"__id": "e4"})
    assert [e["__id"] for e in listed(client, "$filter=steps gt 100")] == ["e1"]
    assert [e["__id"] for e in listed(client, "$filter=mood eq 'calm'")] == ["e1"]
    without = client.get(path(f"{COL}/Diary('e4')"), headers=MASTER_AUTH).json()["d"]["results"]
    assert "mood" not in without and without["title"] is None  # declared ones are null, dynamic ones absent
    document = etree.fromstring(client.get(path(f"{COL}/$metadata"), headers=MASTER_AUTH).content)
    steps = document.find(f".//{EDM}Property[@Name='steps']")
    assert steps is not None and steps.get("{urn:x-personium:xmlns}IsDeclared") == "false"


def test_an_entity_type_takes_its_dynamic_properties_along(client, diary):
    schema(client, "EntityType", {"Name": "Loose"})
    url = path(f"{COL}/Loose('x')")
    assert client.post(path(f"{COL}/Loose"), json={"__id": "x", "free": 1}, headers=MASTER_AUTH).status_code == 201
    assert_error(client.delete(path(f"{COL}/$metadata/EntityType('Loose')"), headers=MASTER_AUTH), 409,
                 "PR409-OD-0001")
    assert client.delete(url, headers=MASTER_AUTH).status_code == 204
    assert client.delete(path(f"{COL}/$metadata/EntityType('Loose')"), headers=MASTER_AUTH).status_code == 204


@pytest.mark.parametrize("raw", [b"\xff\xfe{}", b'{"title": "\xed\xa0\x80"}', b"[1,2]", b'"text"', b"{" * 5000])
def test_bodies_that_are_not_a_json_object_are_refused(client, diary, raw):
    assert_error(client.post(path(f"{COL}/Diary"), content=raw, headers=MASTER_AUTH), 400, "PR400-OD-0001")
    assert listed(client, "") == []


@pytest.mark.parametrize("key", ["x' or '1'='1", "x'); DROP TABLE odata_entities; --", "%00", "a" * 300])
def test_keys_that_look_like_sql_are_only_keys(client, diary, key):
    create(client, {"__id": "e1"})
    quoted = key.replace("'", "''")
    response = client.get(path(f"{COL}/Diary('{quoted}')"), headers=MASTER_AUTH)
    assert response.status_code in (400, 404), response.text
    assert [e["__id"] for e in listed(client, "")] == ["e1"]


def test_a_string_beyond_the_limit_is_refused(client, diary):
    assert_error(create(client, {"title": "x" * 51201}, 400), 400, "PR400-OD-0006")
    assert_error(create(client, {"free": "x" * 51201}, 400), 400, "PR400-OD-0006")


@pytest.mark.parametrize("how", [{"params": {"$format": "atomsvc"}},
                                 {"headers": {"Accept": "application/atomsvc+xml"}}])
def test_the_schemas_atom_service_document(client, diary, how):
    """apiref/371: with ``$format=atomsvc`` or that Accept, ``$metadata`` is the schema's service document."""
    headers = {"Authorization": MASTER_AUTH["Authorization"], **how.get("headers", {})}
    response = client.get(path(f"{COL}/$metadata"), params=how.get("params"), headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/atomsvc+xml;charset=utf-8"
    document = etree.fromstring(response.content)
    assert document.get("{http://www.w3.org/XML/1998/namespace}base") == \
        f"http://localhost:8080/c1/box1/{COL}/$metadata/"
    assert [c.get("href") for c in document.iter("{http://www.w3.org/2007/app}collection")] == [
        "EntityType", "AssociationEnd", "ComplexTypeProperty", "Property", "ComplexType"]
    other = client.get(path(f"{COL}/$metadata"), params={"$format": "json"},
                       headers={"Authorization": MASTER_AUTH["Authorization"]})
    assert other.headers["content-type"] == "application/xml;charset=utf-8"  # any other $format is ignored


def test_complex_values_and_lists_round_trip(client, diary):
    schema(client, "ComplexType", {"Name": "Geo"})
    schema(client, "ComplexTypeProperty", {"Name": "lat", "_ComplexType.Name": "Geo", "Type": "Edm.Double"})
    schema(client, "ComplexTypeProperty", {"Name": "where", "_ComplexType.Name": "Place", "Type": "Geo"})
    schema(client, "Property", {"Name": "stops", "_EntityType.Name": "Diary", "Type": "Place",
                                "CollectionKind": "List"})
    body = {"__id": "c1", "place": {"city": "Kyoto", "where": {"lat": 35.0}}, "tags": ["a", "b"],
            "stops": [{"city": "Nara"}, {"city": "Osaka", "where": {"lat": 34.7}}]}
    create(client, body)
    got = client.get(path(f"{COL}/Diary('c1')"), headers=MASTER_AUTH).json()["d"]["results"]
    assert got["place"] == {"city": "Kyoto", "where": {"lat": 35.0}}
    assert got["tags"] == ["a", "b"]
    assert got["stops"] == [{"city": "Nara", "where": None}, {"city": "Osaka", "where": {"lat": 34.7}}]
    assert_error(create(client, {"stops": [{"town": "x"}]}, 400), 400, "PR400-OD-0007")
    assert_error(create(client, {"place": {"where": {"lat": "north"}}}, 400), 400, "PR400-OD-0006")


def test_atom_writes_complex_values_and_lists_as_odata_v2_does(client, diary):
    create(client, {"__id": "a1", "title": "t", "tags": ["x", "y"], "place": {"city": "Kyoto"}, "ok": True})
    response = client.get(path(f"{COL}/Diary('a1')"), headers={"Authorization": MASTER_AUTH["Authorization"]})
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/atom+xml")
    d, m = "{http://schemas.microsoft.com/ado/2007/08/dataservices}", \
        "{http://schemas.microsoft.com/ado/2007/08/dataservices/metadata}"
    properties = etree.fromstring(response.content).find(f".//{m}properties")
    assert properties is not None
    tags, place = properties.find(f"{d}tags"), properties.find(f"{d}place")
    assert tags is not None and tags.get(f"{m}type") == "Bag(Edm.String)"
    assert [element.text for element in tags] == ["x", "y"]
    assert place is not None and place.get(f"{m}type") == "UserData.Place"
    assert place.find(f"{d}city").text == "Kyoto"  # type: ignore[union-attr]
    assert properties.find(f"{d}ok").text == "true"  # type: ignore[union-attr]
