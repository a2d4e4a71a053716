"""Create Cell — apiref/100_Create_Cell.md; notes §1.5, §5 (common rules), §5.5, §6."""

from __future__ import annotations

import json

import pytest

from tests.api._support import CELL_SET, cell_uri, date_ms, etag_parts, get_cell, list_cells, names
from tests.helpers import MASTER_AUTH, assert_error, make_cell


def post_cell(client, body, headers=None):
    """POST a JSON value (any type) as the body."""
    return client.post(CELL_SET, content=json.dumps(body), headers=headers or MASTER_AUTH)


def post_raw(client, raw: bytes, headers=None):
    return client.post(CELL_SET, content=raw, headers=headers or MASTER_AUTH)


# --- success ------------------------------------------------------------------------------------

def test_create_returns_201_with_entity_envelope(client):
    response = post_cell(client, {"Name": "cell1"})
    assert response.status_code == 201, response.text
    assert response.headers["content-type"].startswith("application/json")
    entity = response.json()["d"]["results"]
    assert isinstance(entity, dict)  # notes §7.1: a single entity's "results" is an object
    assert entity["Name"] == "cell1"
    assert entity["__metadata"]["uri"] == cell_uri("cell1")
    assert entity["__metadata"]["type"] == "UnitCtl.Cell"


def test_create_response_headers(client):
    response = post_cell(client, {"Name": "cell1"})
    assert response.status_code == 201
    # notes §1.5: Location = {ctlUrl}Cell('cell1') (doc sample shows Cell(Name='cell1'); notes win, §11)
    assert response.headers["location"] == cell_uri("cell1")
    assert response.headers["dataserviceversion"] == "2.0"
    assert response.headers["x-personium-version"] == "1.8.4"
    assert response.headers["access-control-allow-origin"] == "*"


def test_create_etag_is_version_1_and_matches_metadata(client):
    response = post_cell(client, {"Name": "cell1"})
    entity = response.json()["d"]["results"]
    etag = response.headers["etag"]
    version, millis = etag_parts(etag)
    assert version == 1
    assert entity["__metadata"]["etag"] == etag
    assert date_ms(entity["__published"]) == millis
    assert date_ms(entity["__updated"]) == millis


def test_create_exposes_only_documented_properties(client):
    """The hidden ``Owner`` never appears (notes §2.3)."""
    entity = post_cell(client, {"Name": "cell1"}).json()["d"]["results"]
    assert set(entity) == {"__metadata", "Name", "__published", "__updated"}


def test_created_cell_is_retrievable_and_listed(client):
    make_cell(client, "cell1")
    assert get_cell(client, "cell1").status_code == 200
    assert names(list_cells(client)) == ["cell1"]


def test_create_answers_json_even_when_atom_is_accepted(client):
    """notes §5.5: POST answers JSON regardless of Accept."""
    headers = {**MASTER_AUTH, "Accept": "application/atom+xml"}
    response = post_cell(client, {"Name": "cell1"}, headers)
    assert response.status_code == 201
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["d"]["results"]["Name"] == "cell1"


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml",
                                          "application/x-www-form-urlencoded"])
def test_create_treats_any_content_type_as_json(client, content_type):
    """Page 100: 'Always handles Content-Type in the request header as application/json'."""
    response = post_raw(client, b'{"Name":"cell1"}', {**MASTER_AUTH, "Content-Type": content_type})
    assert response.status_code == 201, response.text


def test_create_tolerates_whitespace_around_the_json(client):
    response = post_raw(client, b'  {"Name" : "cell1"}  ')
    assert response.status_code == 201, response.text


# --- Name validation: CELLNAME = ^[a-z0-9][a-z0-9-]{0,127}$ (page 100, notes §1.3, §5) -----------------

GOOD_NAMES = [
    pytest.param("a", id="length-1"),
    pytest.param("0", id="digit-only"),
    pytest.param("a" * 128, id="length-128"),
    pytest.param("cell-1", id="inner-hyphen"),
    pytest.param("cell-", id="trailing-hyphen"),
    pytest.param("1-2-3", id="digits-and-hyphens"),
    pytest.param("a" + "-" * 127, id="hyphens-after-first"),
]


@pytest.mark.parametrize("name", GOOD_NAMES)
def test_valid_cell_names_are_accepted(client, name):
    response = post_cell(client, {"Name": name})
    assert response.status_code == 201, response.text
    assert response.json()["d"]["results"]["Name"] == name


BAD_NAMES = [
    pytest.param("a" * 129, id="length-129"),
    pytest.param("", id="empty"),
    pytest.param("Cell1", id="uppercase-first"),
    pytest.param("cellA", id="uppercase-inside"),
    pytest.param("-cell", id="leading-hyphen"),
    pytest.param("cell_1", id="underscore"),
    pytest.param("_cell", id="leading-underscore"),
    pytest.param("__ctl", id="reserved-segment"),
    pytest.param("céll", id="non-ascii-latin"),
    pytest.param("セル", id="non-ascii-cjk"),
    pytest.param("cell 1", id="space"),
    pytest.param(" cell", id="leading-space"),
    pytest.param("cell\n", id="trailing-newline"),
    pytest.param("cell.1", id="dot"),
    pytest.param("cell/1", id="slash"),
    pytest.param("cell'1", id="quote"),
    pytest.param("cell%31", id="percent"),
    pytest.param("a\u0000b", id="nul"),
    pytest.param("a" * 51201, id="longer-than-string-limit"),
]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_invalid_cell_names_are_rejected(client, name):
    response = post_cell(client, {"Name": name})
    body = assert_error(response, 400, "PR400-OD-0006")
    assert body["message"]["value"] == "request body format error. field [Name]"
    assert names(list_cells(client)) == []


WRONG_TYPES = [
    pytest.param(123, id="integer"),
    pytest.param(1.5, id="float"),
    pytest.param(True, id="boolean"),
    pytest.param({"x": "cell1"}, id="object"),
    pytest.param(["cell1"], id="array"),
]


@pytest.mark.parametrize("value", WRONG_TYPES)
def test_non_string_names_are_rejected(client, value):
    """notes §5: a wrong JSON type → 400 PR400-OD-0006 (the notes also allow 0012; Cellar uses 0006).

    Java's parser turns JSON scalars into their text ("123" would pass the regex); the team rejects
    every non-string instead, which the notes' "wrong JSON type" rule covers.
    """
    response = post_cell(client, {"Name": value})
    assert_error(response, 400, "PR400-OD-0006")
    assert names(list_cells(client)) == []


def test_null_name_is_a_missing_required_property(client):
    body = assert_error(post_cell(client, {"Name": None}), 400, "PR400-OD-0009")
    assert body["message"]["value"] == "[Name] is required."


def test_missing_name_is_rejected(client):
    body = assert_error(post_cell(client, {}), 400, "PR400-OD-0009")
    assert body["message"]["value"] == "[Name] is required."


# --- other body errors ----------------------------------------------------------------------------

def test_unknown_property_is_rejected(client):
    body = assert_error(post_cell(client, {"Name": "cell1", "Foo": "bar"}), 400, "PR400-OD-0007")
    assert body["message"]["value"] == "[unknown property Foo for Cell]"  # notes §5
    assert names(list_cells(client)) == []


def test_hidden_owner_cannot_be_set(client):
    """``Owner`` is hidden and not exposed through OData (notes §2.3), so it is an unknown property."""
    assert_error(post_cell(client, {"Name": "cell1", "Owner": "someone"}), 400, "PR400-OD-0007")


@pytest.mark.parametrize("field", ["__published", "__updated"])
def test_management_dates_cannot_be_sent(client, field):
    """notes §1.5: clients may not send ``__published``/``__updated`` → PR400-OD-0007."""
    body = assert_error(post_cell(client, {"Name": "cell1", field: "/Date(0)/"}), 400, "PR400-OD-0007")
    assert body["message"]["value"] == f"[{field} is management information name. Cannot request.]"


def test_metadata_cannot_be_sent(client):
    body = {"Name": "cell1", "__metadata": {"uri": cell_uri("cell1")}}
    assert_error(post_cell(client, body), 400, "PR400-OD-0007")


INVALID_JSON = [
    pytest.param(b"", id="empty"),
    pytest.param(b"   ", id="whitespace"),
    pytest.param(b"{", id="truncated"),
    pytest.param(b"{'Name':'cell1'}", id="single-quotes"),
    pytest.param(b'{"Name":"cell1",}', id="trailing-comma"),
    pytest.param(b'{"Name":"cell1"} {}', id="two-documents"),
    pytest.param(b"Name=cell1", id="form-encoded"),
    pytest.param(b"<Name>cell1</Name>", id="xml"),
    pytest.param(b'{"Name":"\xff\xfe"}', id="invalid-utf8"),
]


@pytest.mark.parametrize("raw", INVALID_JSON)
def test_invalid_json_is_a_parse_error(client, raw):
    body = assert_error(post_raw(client, raw), 400, "PR400-OD-0001")
    assert body["message"]["value"] == "JSON parse error."


NOT_AN_OBJECT = [
    pytest.param([{"Name": "cell1"}], id="array"),
    pytest.param("cell1", id="string"),
    pytest.param(1, id="number"),
    pytest.param(None, id="null"),
    pytest.param(True, id="boolean"),
]


@pytest.mark.parametrize("value", NOT_AN_OBJECT)
def test_json_that_is_not_an_object_is_a_parse_error(client, value):
    assert_error(post_cell(client, value), 400, "PR400-OD-0001")
    assert names(list_cells(client)) == []


# --- duplicates -----------------------------------------------------------------------------------

def test_duplicate_name_conflicts(client):
    make_cell(client, "cell1")
    body = assert_error(post_cell(client, {"Name": "cell1"}), 409, "PR409-OD-0003")
    assert body["message"]["value"] == "The entity already exists."
    assert names(list_cells(client)) == ["cell1"]


def test_duplicate_check_is_exact(client):
    """Names differing only by a trailing hyphen are different cells."""
    make_cell(client, "cell1")
    assert post_cell(client, {"Name": "cell1-"}).status_code == 201


def test_deleted_name_can_be_reused(client):
    first = make_cell(client, "cell1")
    assert client.delete("/__ctl/Cell('cell1')", headers=MASTER_AUTH).status_code == 204
    second = make_cell(client, "cell1")
    assert etag_parts(second.headers["etag"])[0] == 1
    assert date_ms(second.json()["d"]["results"]["__published"]) >= etag_parts(first.headers["etag"])[1]
