"""List Cell — apiref/101_List_Cell.md with the query pages 400 ($orderby), 401 ($top), 402 ($skip),
404 ($format), 406 ($select), 407 ($inlinecount) and q; notes §7.1, §7.2.
($filter has its own file, test_unit_cells_filter.py.)"""

from __future__ import annotations

import pytest
from lxml import etree

from tests.api._support import (
    CELL_SET,
    cell_uri,
    date_ms,
    etag_parts,
    list_cells,
    make_cells,
    names,
    results,
)
from tests.helpers import MASTER_AUTH, assert_error

ATOM = "{http://www.w3.org/2005/Atom}"
METADATA_NS = "{http://schemas.microsoft.com/ado/2007/08/dataservices/metadata}"
DATA_NS = "{http://schemas.microsoft.com/ado/2007/08/dataservices}"


# --- envelope -------------------------------------------------------------------------------------

def test_empty_list(client):
    response = list_cells(client)
    assert response.status_code == 200
    assert response.json() == {"d": {"results": []}}


def test_list_envelope_and_entries(client):
    make_cells(client, "cell1", "cell2")
    response = list_cells(client)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["dataserviceversion"] == "2.0"
    assert response.headers["x-personium-version"] == "1.8.4"
    body = response.json()
    assert set(body) == {"d"}
    assert "__count" not in body["d"]  # only with $inlinecount=allpages (notes §7.1)
    entries = {entry["Name"]: entry for entry in body["d"]["results"]}
    assert set(entries) == {"cell1", "cell2"}
    for name, entry in entries.items():
        assert set(entry) == {"__metadata", "Name", "__published", "__updated"}
        assert entry["__metadata"]["uri"] == cell_uri(name)
        assert entry["__metadata"]["type"] == "UnitCtl.Cell"
        version, millis = etag_parts(entry["__metadata"]["etag"])
        assert version == 1
        assert date_ms(entry["__published"]) == millis == date_ms(entry["__updated"])


def test_list_has_no_etag_header(client):
    """ETag belongs to single entities (notes §1.5); a list has none."""
    make_cells(client, "cell1")
    assert "etag" not in list_cells(client).headers


# --- $inlinecount (page 407) ---------------------------------------------------------------------------

def test_inlinecount_allpages_gives_count_as_string(client):
    make_cells(client, "a", "b", "c")
    body = list_cells(client, **{"$inlinecount": "allpages"}).json()
    assert body["d"]["__count"] == "3"


def test_inlinecount_counts_all_pages_not_the_page(client):
    make_cells(client, "a", "b", "c")
    body = list_cells(client, **{"$inlinecount": "allpages", "$top": "1", "$skip": "1"}).json()
    assert body["d"]["__count"] == "3"
    assert len(body["d"]["results"]) == 1


def test_inlinecount_with_top_zero_still_counts(client):
    make_cells(client, "a", "b")
    body = list_cells(client, **{"$inlinecount": "allpages", "$top": "0"}).json()
    assert body["d"] == {"results": [], "__count": "2"}


def test_inlinecount_of_empty_set_is_zero(client):
    assert list_cells(client, **{"$inlinecount": "allpages"}).json()["d"]["__count"] == "0"


def test_inlinecount_none_omits_count(client):
    make_cells(client, "a")
    body = list_cells(client, **{"$inlinecount": "none"}).json()
    assert "__count" not in body["d"]


@pytest.mark.parametrize("value", ["", "all", "ALLPAGES", "Allpages", "true", "1", "allpages "])
def test_inlinecount_invalid_values(client, value):
    body = assert_error(list_cells(client, **{"$inlinecount": value}), 400, "PR400-OD-0013")
    assert body["message"]["value"] == f"$inlinecount value [{value}] is invalid."


# --- $top (page 401) and $skip (page 402) ---------------------------------------------------------------

def test_top_defaults_to_25(client):
    make_cells(client, *(f"cell{i:02d}" for i in range(27)))
    response = list_cells(client, **{"$inlinecount": "allpages"})
    assert len(results(response)) == 25
    assert response.json()["d"]["__count"] == "27"


def test_top_limits_the_page(client):
    make_cells(client, "a", "b", "c")
    assert len(results(list_cells(client, **{"$top": "2"}))) == 2


def test_top_larger_than_the_set_returns_everything(client):
    make_cells(client, "a", "b", "c")
    assert len(results(list_cells(client, **{"$top": "10"}))) == 3


def test_top_zero_returns_nothing(client):
    make_cells(client, "a")
    assert results(list_cells(client, **{"$top": "0"})) == []


def test_top_maximum_is_10000(client):
    make_cells(client, *(f"cell{i:02d}" for i in range(27)))
    assert len(results(list_cells(client, **{"$top": "10000"}))) == 27


def test_skip_omits_the_first_entries(client):
    make_cells(client, "a", "b", "c", "d")
    response = list_cells(client, **{"$orderby": "Name", "$skip": "1", "$top": "2"})
    assert names(response) == ["b", "c"]


def test_skip_beyond_the_end_is_empty(client):
    make_cells(client, "a", "b")
    assert results(list_cells(client, **{"$skip": "5"})) == []


def test_skip_maximum_is_100000(client):
    make_cells(client, "a")
    assert results(list_cells(client, **{"$skip": "100000"})) == []


def test_skip_and_top_page_through_everything_once(client):
    all_names = [f"cell{i:02d}" for i in range(7)]
    make_cells(client, *all_names)
    seen = []
    for skip in range(0, 7, 3):
        seen += names(list_cells(client, **{"$orderby": "Name", "$top": "3", "$skip": str(skip)}))
    assert seen == all_names


@pytest.mark.parametrize("option", ["$top", "$skip"])
@pytest.mark.parametrize("value", ["-1", "-100"])
def test_negative_top_and_skip_are_invalid_values(client, option, value):
    """notes §7.2: an integer outside 0..max → PR400-OD-0029 'Query value [$top]=[n] is invalid.'"""
    body = assert_error(list_cells(client, **{option: value}), 400, "PR400-OD-0029")
    assert body["message"]["value"] == f"Query value [{option}]=[{value}] is invalid."


@pytest.mark.parametrize(("option", "value"),
                         [("$top", "10001"), ("$skip", "100001"), ("$top", "2147483647")])
def test_top_and_skip_above_maximum_are_invalid_values(client, option, value):
    body = assert_error(list_cells(client, **{option: value}), 400, "PR400-OD-0029")
    assert body["message"]["value"] == f"Query value [{option}]=[{value}] is invalid."


NOT_INTEGERS = ["", "abc", "1.5", "1e3", "0x10", "ten", "2147483648", "99999999999999999999", "1 ", " 1"]


@pytest.mark.parametrize("option", ["$top", "$skip"])
@pytest.mark.parametrize("value", NOT_INTEGERS)
def test_top_and_skip_that_are_not_integers_are_parse_errors(client, option, value):
    """notes §7.2: not an (int32) integer → PR400-OD-0036 'OData Query [$top] parse error.'"""
    body = assert_error(list_cells(client, **{option: value}), 400, "PR400-OD-0036")
    assert body["message"]["value"] == f"OData Query [{option}] parse error."


# --- $orderby (page 400) ------------------------------------------------------------------------------

def test_orderby_name_ascending_is_the_default_direction(client):
    make_cells(client, "b", "c", "a")
    assert names(list_cells(client, **{"$orderby": "Name"})) == ["a", "b", "c"]
    assert names(list_cells(client, **{"$orderby": "Name asc"})) == ["a", "b", "c"]


def test_orderby_name_descending(client):
    make_cells(client, "b", "c", "a")
    assert names(list_cells(client, **{"$orderby": "Name desc"})) == ["c", "b", "a"]


def test_orderby_is_bytewise_for_strings(client):
    """Digits sort before letters and a prefix before its extensions (untouched ES field, notes §9.1)."""
    make_cells(client, "ab", "a", "9", "a-b", "b")
    assert names(list_cells(client, **{"$orderby": "Name"})) == ["9", "a", "a-b", "ab", "b"]


def test_orderby_published_descending(client):
    make_cells(client, "a", "b", "c")
    entries = results(list_cells(client, **{"$orderby": "__published desc"}))
    published = [date_ms(entry["__published"]) for entry in entries]
    assert published == sorted(published, reverse=True)


def test_orderby_several_keys(client):
    make_cells(client, "a", "b")
    response = list_cells(client, **{"$orderby": "__published asc,Name desc"})
    assert sorted(names(response)) == ["a", "b"]


def test_orderby_unknown_property_is_ignored(client):
    """Page 400: 'If you specify a property name that does not exist in $orderby, ignore the
    specified item'."""
    make_cells(client, "b", "a")
    response = list_cells(client, **{"$orderby": "NoSuchProperty desc,Name"})
    assert names(response) == ["a", "b"]


@pytest.mark.parametrize("value", ["Name sideways", "Name desc desc", "Name,,", "'Name'", "Name eq 'a'"])
def test_orderby_syntax_errors(client, value):
    assert_error(list_cells(client, **{"$orderby": value}), 400, "PR400-OD-0015")


def test_orderby_with_top_takes_the_first_of_the_ordered_set(client):
    make_cells(client, "c", "a", "b")
    assert names(list_cells(client, **{"$orderby": "Name desc", "$top": "1"})) == ["c"]


# --- $select (page 406) ------------------------------------------------------------------------------

def test_select_name(client):
    make_cells(client, "cell1")
    entry = results(list_cells(client, **{"$select": "Name"}))[0]
    assert set(entry) == {"__metadata", "Name", "__published", "__updated"}


def test_select_star_returns_every_property(client):
    make_cells(client, "cell1")
    entry = results(list_cells(client, **{"$select": "*"}))[0]
    assert set(entry) == {"__metadata", "Name", "__published", "__updated"}


def test_select_keeps_management_fields_when_not_selected(client):
    """Page 406: __published, __updated and __metadata are always returned; so is the key, which
    the real server's OEntityDocHandler always adds (for user data the key is __id)."""
    make_cells(client, "cell1")
    entry = results(list_cells(client, **{"$select": "__published"}))[0]
    assert {"__metadata", "__published", "__updated", "Name"} == set(entry)


def test_select_unknown_property_is_ignored(client):
    """Page 406: 'If you specify a property name that does not exist in $select, ignore the
    specified item'."""
    make_cells(client, "cell1")
    entry = results(list_cells(client, **{"$select": "NoSuchProperty"}))[0]
    assert "NoSuchProperty" not in entry
    assert {"__metadata", "__published", "__updated"} <= set(entry)


def test_select_unknown_and_known(client):
    make_cells(client, "cell1")
    entry = results(list_cells(client, **{"$select": "NoSuchProperty,Name"}))[0]
    assert entry["Name"] == "cell1"


@pytest.mark.parametrize("value", ["", ",", "Name,", "'Name'", "Name desc"])
def test_select_syntax_errors(client, value):
    """notes §7.2: an empty $select → PR400-OD-0017; so is anything that is not a property list."""
    assert_error(list_cells(client, **{"$select": value}), 400, "PR400-OD-0017")


# --- $format (page 404) and Accept (notes §7.1) -------------------------------------------------------------

def test_format_json_without_accept(client):
    make_cells(client, "cell1")
    headers = {"Authorization": MASTER_AUTH["Authorization"]}
    response = client.get(CELL_SET, params={"$format": "json"}, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert names(response) == ["cell1"]


def test_format_wins_over_accept(client):
    """notes §7.1: $format decides; Accept is not consulted (even an unacceptable one)."""
    make_cells(client, "cell1")
    headers = {**MASTER_AUTH, "Accept": "text/html"}
    response = client.get(CELL_SET, params={"$format": "json"}, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")


def _atom_feed(response):
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = etree.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed"
    return feed


def test_format_atom(client):
    make_cells(client, "cell1", "cell2")
    feed = _atom_feed(list_cells(client, **{"$format": "atom"}))
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 2
    found = {e.find(f"{ATOM}content/{METADATA_NS}properties/{DATA_NS}Name").text for e in entries}
    assert found == {"cell1", "cell2"}
    ids = {e.find(f"{ATOM}id").text for e in entries}
    assert ids == {cell_uri("cell1"), cell_uri("cell2")}


def test_atom_entries_carry_the_etag(client):
    make_cells(client, "cell1")
    entry = _atom_feed(list_cells(client, **{"$format": "atom"})).find(f"{ATOM}entry")
    assert etag_parts(entry.get(f"{METADATA_NS}etag"))[0] == 1


def test_atom_inlinecount(client):
    make_cells(client, "a", "b")
    feed = _atom_feed(list_cells(client, **{"$format": "atom", "$inlinecount": "allpages", "$top": "1"}))
    assert feed.find(f"{METADATA_NS}count").text == "2"
    assert len(feed.findall(f"{ATOM}entry")) == 1


@pytest.mark.parametrize("value", ["bogus", "", "jsonp", "html", "text/html", "application/json"])
def test_format_invalid_values(client, value):
    body = assert_error(list_cells(client, **{"$format": value}), 400, "PR400-OD-0005")
    assert body["message"]["value"] == f"$format value [{value}] is invalid."


@pytest.mark.parametrize("value", ["xml", "JSON", "Atom"])
def test_format_accepts_only_exact_json_and_atom(client, value):
    """Notes §7.1 (Java equals()): only 'json' and 'atom' are valid; anything else → PR400-OD-0005.

    Doc mismatch: page 404 lists 'xml' and shows '$format=JSON'; the notes (the code) win.
    """
    assert_error(list_cells(client, **{"$format": value}), 400, "PR400-OD-0005")


ATOM_ACCEPTS = [
    pytest.param(None, id="no-accept"),
    pytest.param("*/*", id="wildcard"),
    pytest.param("application/atom+xml", id="atom"),
    pytest.param("application/xml", id="xml"),
    pytest.param("application/json,application/xml", id="xml-wins-over-json"),
    pytest.param("application/xml,application/json", id="xml-wins-listed-first"),
    pytest.param("application/atom+xml;q=0.5", id="parameters-ignored"),
]


@pytest.mark.parametrize("accept", ATOM_ACCEPTS)
def test_accept_negotiates_atom(client, accept):
    """notes §7.1: without $format, atom/xml/*/* (or no Accept at all) → Atom; XML wins over JSON."""
    make_cells(client, "cell1")
    headers = {"Authorization": MASTER_AUTH["Authorization"]}
    if accept is not None:
        headers["Accept"] = accept
    _atom_feed(client.get(CELL_SET, headers=headers))


@pytest.mark.parametrize("accept", ["application/json", "application/json;charset=utf-8"])
def test_accept_negotiates_json(client, accept):
    make_cells(client, "cell1")
    response = client.get(CELL_SET, headers={**MASTER_AUTH, "Accept": accept})
    assert response.headers["content-type"].startswith("application/json")
    assert names(response) == ["cell1"]


@pytest.mark.parametrize("accept", ["text/html", "text/plain", "image/png", "application/*",
                                    "application/jsonx"])
def test_unacceptable_accept_is_406(client, accept):
    """notes §7.1: anything other than atom/xml/json/*/* → 406 PR406-OD-0001."""
    response = client.get(CELL_SET, headers={**MASTER_AUTH, "Accept": accept})
    assert_error(response, 406, "PR406-OD-0001")


def test_non_ascii_accept_is_400(client):
    """notes §7.2: an Accept value with non-ASCII characters → 400 PR400-OD-0041."""
    headers = {"Authorization": MASTER_AUTH["Authorization"], "Accept": "application/jsön".encode("latin-1")}
    assert_error(client.get(CELL_SET, headers=headers), 400, "PR400-OD-0041")


# --- q (full-text search; notes §7.2) --------------------------------------------------------------------

def test_q_matches_a_word(client):
    make_cells(client, "alpha", "beta", "gamma")
    assert names(list_cells(client, q="beta")) == ["beta"]


def test_q_words_are_combined_with_and(client):
    make_cells(client, "red-apple", "green-apple", "red-cherry")
    assert names(list_cells(client, q="red apple")) == ["red-apple"]


def test_q_of_255_bytes_is_accepted(client):
    assert list_cells(client, q="a" * 255).status_code == 200


@pytest.mark.parametrize("value", ["", "a" * 256, "あ" * 86])
def test_q_outside_1_to_255_bytes_is_invalid(client, value):
    """notes §7.2: q must be 1..255 bytes (86 × 3-byte characters = 258 bytes)."""
    assert_error(list_cells(client, q=value), 400, "PR400-OD-0029")


# --- unknown options --------------------------------------------------------------------------------------

def test_unknown_query_parameters_are_ignored(client):
    make_cells(client, "cell1")
    assert names(list_cells(client, foo="bar", **{"$unknown": "x"})) == ["cell1"]
