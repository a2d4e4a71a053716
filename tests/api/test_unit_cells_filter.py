"""$filter on the Cell list — apiref/403_Filter_Query.md; notes §7.2 (supported operators, functions,
literal typing and every error code)."""

from __future__ import annotations

import pytest

from tests.api._support import date_ms, list_cells, make_cells, names, results
from tests.helpers import assert_error

CELLS = ("alpha", "alphabet", "beta", "gamma", "a-b")


@pytest.fixture
def cells(client):
    make_cells(client, *CELLS)
    return client


def matched(client, expression: str) -> list[str]:
    return sorted(names(list_cells(client, **{"$filter": expression, "$top": "100"})))


# --- supported operators and functions -------------------------------------------------------------

MATCHES = [
    ("Name eq 'beta'", ["beta"]),
    ("Name eq 'nosuch'", []),
    ("Name eq 'Beta'", []),  # eq is exact and case-sensitive
    ("Name ne 'beta'", ["a-b", "alpha", "alphabet", "gamma"]),
    ("Name gt 'beta'", ["gamma"]),
    ("Name ge 'beta'", ["beta", "gamma"]),
    ("Name lt 'alphabet'", ["a-b", "alpha"]),
    ("Name le 'alphabet'", ["a-b", "alpha", "alphabet"]),
    ("Name eq 'alpha' or Name eq 'gamma'", ["alpha", "gamma"]),
    ("Name ge 'alpha' and Name lt 'beta'", ["alpha", "alphabet"]),
    ("Name eq 'beta' or (Name ge 'alpha' and Name le 'alpha')", ["alpha", "beta"]),
    ("(Name eq 'beta')", ["beta"]),
    ("((Name eq 'beta'))", ["beta"]),
    ("Name eq 'beta' and (Name eq 'alpha' or Name eq 'beta')", ["beta"]),
    ("startswith(Name,'alpha')", ["alpha", "alphabet"]),
    ("startswith(Name, 'al')", ["alpha", "alphabet"]),
    ("startswith(Name,'Alpha')", []),  # case-sensitive prefix (notes §7.2)
    ("startswith(Name,'alpha') and Name ne 'alpha'", ["alphabet"]),
    # substringof is a phrase match in Java (analyser unverified, notes §7.2): only whole-word cases here
    ("substringof('beta',Name)", ["beta"]),
    ("substringof('gamma', Name)", ["gamma"]),
    ("substringof('BETA',Name)", ["beta"]),  # "in practice case-insensitive"
    ("Name eq null", []),
    ("Name ne null", list(sorted(CELLS))),
    ("Name eq 'a''b'", []),  # a doubled quote is a literal quote
    ("Name  eq   'beta'", ["beta"]),  # extra whitespace
]


@pytest.mark.parametrize(("expression", "expected"), MATCHES, ids=[m[0] for m in MATCHES])
def test_filter_matches(cells, expression, expected):
    assert matched(cells, expression) == expected


def test_filter_with_hyphenated_literal(cells):
    assert matched(cells, "Name eq 'a-b'") == ["a-b"]


def test_filter_on_published_with_epoch_millis(cells):
    """Edm.DateTime accepts integer milliseconds (page 403 'If an integer value is specified...')."""
    first = min(date_ms(e["__published"]) for e in results(list_cells(cells)))
    assert matched(cells, f"__published ge {first}") == sorted(CELLS)
    assert matched(cells, f"__published lt {first}") == []


def test_filter_on_updated_with_datetime_literals(cells):
    assert matched(cells, "__updated gt datetime'2000-01-01T00:00:00'") == sorted(CELLS)
    assert matched(cells, "__updated lt datetimeoffset'2000-01-01T09:00:00+09:00'") == []


def test_filter_combined_with_top_skip_orderby_and_count(cells):
    response = list_cells(cells, **{"$filter": "startswith(Name,'a')", "$orderby": "Name desc",
                                    "$top": "2", "$skip": "1", "$inlinecount": "allpages"})
    assert names(response) == ["alpha", "a-b"]
    assert response.json()["d"]["__count"] == "3"


# --- errors (notes §7.2 and page 004) ------------------------------------------------------------------

PARSE_ERRORS = [  # PR400-OD-0003 "OData $filter Parse Error."
    "Name eq",
    "eq 'beta'",
    "Name 'beta'",
    "Name eq 'unterminated",
    "Name eq beta'",
    "Name eq 'a' and",
    "Name eq 'a' or or Name eq 'b'",
    "(Name eq 'beta'",
    "Name eq 'beta')",
    "Name === 'beta'",
    "Name eq 'a' Name eq 'b'",
    "startswith(Name)",
    "startswith(Name,'a','b')",
    "Name gt true",  # booleans have no order
    "Name lt false",
    "Name gt null",  # neither does null
    "Name le null",
    "Name eq 1.0f",  # suffixed numbers are parse errors
    "Name eq 1.0m",
    "Name eq #",
]


@pytest.mark.parametrize("expression", PARSE_ERRORS)
def test_filter_parse_errors(cells, expression):
    body = assert_error(list_cells(cells, **{"$filter": expression}), 400, "PR400-OD-0003")
    assert body["message"]["value"] == "OData $filter Parse Error."


UNSUPPORTED_OPERATORS = [  # PR400-OD-0043
    "not (Name eq 'beta')",
    "not Name eq 'beta'",
    "Name eq 'a' add 1",
    "__published add 1 eq 2",
    "__published sub 1 eq 2",
    "__published mul 2 eq 2",
    "__published div 2 eq 2",
    "__published mod 2 eq 0",
]


@pytest.mark.parametrize("expression", UNSUPPORTED_OPERATORS)
def test_filter_unsupported_operators(cells, expression):
    body = assert_error(list_cells(cells, **{"$filter": expression}), 400, "PR400-OD-0043")
    assert body["message"]["value"] == "Unsupported operator specified in query."


UNSUPPORTED_FUNCTIONS = [  # PR400-OD-0044
    "endswith(Name,'a')",
    "indexof(Name,'a') eq 1",
    "length(Name) eq 4",
    "replace(Name,'a','b') eq 'b'",
    "substring(Name,1) eq 'eta'",
    "tolower(Name) eq 'beta'",
    "toupper(Name) eq 'BETA'",
    "trim(Name) eq 'beta'",
    "concat(Name,'x') eq 'betax'",
    "year(__published) eq 2020",
    "month(__published) eq 1",
    "day(__published) eq 1",
    "hour(__published) eq 1",
    "minute(__published) eq 1",
    "second(__published) eq 1",
    "round(__published) eq 1",
    "floor(__published) eq 1",
    "ceiling(__published) eq 1",
    "isof(Name,'Edm.String')",
    "cast(Name,'Edm.String') eq 'beta'",
]


@pytest.mark.parametrize("expression", UNSUPPORTED_FUNCTIONS)
def test_filter_unsupported_functions(cells, expression):
    body = assert_error(list_cells(cells, **{"$filter": expression}), 400, "PR400-OD-0044")
    assert body["message"]["value"] == "Unsupported function specified in query."


UNKNOWN_PROPERTIES = [
    ("NoSuch eq 'x'", "NoSuch"),
    ("Owner eq 'x'", "Owner"),  # hidden, not exposed through OData (notes §2.3)
    ("name eq 'beta'", "name"),  # property names are case-sensitive
    ("startswith(NoSuch,'a')", "NoSuch"),
    ("substringof('a',NoSuch)", "NoSuch"),
    ("Name eq 'beta' and NoSuch eq 1", "NoSuch"),
]


@pytest.mark.parametrize(("expression", "prop"), UNKNOWN_PROPERTIES, ids=[u[0] for u in UNKNOWN_PROPERTIES])
def test_filter_unknown_property(cells, expression, prop):
    """notes §7.2: an unknown property → 400 PR400-OD-0045.

    Doc mismatch: page 403 says an unknown property is ignored; the notes (the code) win.
    """
    body = assert_error(list_cells(cells, **{"$filter": expression}), 400, "PR400-OD-0045")
    assert body["message"]["value"] == f"An unknown property with name '{prop}' was found."


TYPE_MISMATCHES = [  # PR400-OD-0046 naming the property
    ("Name eq 1", "Name"),
    ("Name eq 1.5", "Name"),
    ("Name eq true", "Name"),
    ("Name gt 10", "Name"),
    ("Name eq datetime'2017-12-15T09:39:10'", "Name"),
    ("startswith(Name,1)", "Name"),
    ("substringof(1,Name)", "Name"),
    ("startswith(__published,'1')", "__published"),
    ("__published eq 'yesterday'", "__published"),
    ("__published eq true", "__published"),
    ("__updated gt 'x'", "__updated"),
]


@pytest.mark.parametrize(("expression", "prop"), TYPE_MISMATCHES, ids=[t[0] for t in TYPE_MISMATCHES])
def test_filter_type_mismatch(cells, expression, prop):
    body = assert_error(list_cells(cells, **{"$filter": expression}), 400, "PR400-OD-0046")
    assert body["message"]["value"] == f"Mismatched operand/argument is specified for '{prop}'."


@pytest.mark.parametrize("expression", ["__published eq 253402300800000", "__published ge -6847804800001",
                                        "__updated lt datetime'1700-01-01T00:00:00'"])
def test_filter_datetime_out_of_range(cells, expression):
    """notes §7.2: DateTime literals outside [-6847804800000, 253402300799999] → PR400-OD-0047."""
    assert_error(list_cells(cells, **{"$filter": expression}), 400, "PR400-OD-0047")


def test_filter_datetime_range_limits_are_inclusive(cells):
    assert matched(cells, "__published le 253402300799999") == sorted(CELLS)
    assert matched(cells, "__published ge -6847804800000") == sorted(CELLS)
