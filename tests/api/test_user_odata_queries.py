"""Property-based: ``$filter``, ``$orderby``, ``$top``, ``$skip`` and ``$inlinecount`` over random user
entities answer what a plain Python evaluation of the same query answers, on both databases (the
queries are compiled to SQL over JSON paths, never filtered in Python). Personium's rules: ``ne`` also
matches an entity without the value, ordering comparisons never match one, and a missing value sorts
as the smallest (notes §7.2)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api._dav_support import must_mkcol, new_box, path
from tests.helpers import MASTER_AUTH

COL = "q"
FIELDS = {"title": "Edm.String", "rating": "Edm.Int32", "score": "Edm.Double", "flag": "Edm.Boolean"}
VALUES = {"title": st.none() | st.text(alphabet="abAB", max_size=3),
          "rating": st.none() | st.integers(-3, 3),
          "score": st.none() | st.sampled_from([-1.5, 0.0, 0.25, 2.0, 3.5]),
          "flag": st.none() | st.booleans()}
entities = st.lists(st.fixed_dictionaries({name: strategy for name, strategy in VALUES.items()}),
                    min_size=0, max_size=12)


@dataclass(frozen=True)
class Comparison:
    field: str
    op: str
    value: Any

    def odata(self) -> str:
        if self.op == "startswith":
            return f"startswith({self.field},{_literal(self.value)})"
        return f"{self.field} {self.op} {_literal(self.value)}"

    def holds(self, entity: dict[str, Any]) -> bool:
        mine = entity.get(self.field)
        if self.op == "startswith":
            return isinstance(mine, str) and mine.startswith(self.value)
        if self.op == "eq":
            return mine == self.value if self.value is not None else mine is None
        if self.op == "ne":
            return mine != self.value if self.value is not None else mine is not None
        if mine is None:
            return False
        return {"gt": mine > self.value, "ge": mine >= self.value, "lt": mine < self.value,
                "le": mine <= self.value}[self.op]


@dataclass(frozen=True)
class Junction:
    op: str  # "and" | "or"
    items: tuple[Any, ...]

    def odata(self) -> str:
        return f" {self.op} ".join(f"({item.odata()})" for item in self.items)

    def holds(self, entity: dict[str, Any]) -> bool:
        results = [item.holds(entity) for item in self.items]
        return all(results) if self.op == "and" else any(results)


def _literal(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return repr(value)


def _comparisons() -> st.SearchStrategy[Comparison]:
    ordered = st.sampled_from(["eq", "ne", "gt", "ge", "lt", "le"])
    return st.one_of(
        st.builds(Comparison, st.just("title"), ordered, st.text(alphabet="abAB", min_size=1, max_size=2)),
        st.builds(Comparison, st.just("title"), st.just("startswith"), st.text(alphabet="abAB", min_size=1,
                                                                                   max_size=2)),
        st.builds(Comparison, st.just("rating"), ordered, st.integers(-3, 3)),
        st.builds(Comparison, st.just("score"), ordered, st.sampled_from([-1.5, 0.0, 0.25, 2.0])),
        st.builds(Comparison, st.sampled_from(["title", "rating", "flag"]), st.sampled_from(["eq", "ne"]),
                  st.none()),
        st.builds(Comparison, st.just("flag"), st.sampled_from(["eq", "ne"]), st.booleans()),
    )


filters = st.recursive(_comparisons(), lambda inner: st.builds(
    Junction, st.sampled_from(["and", "or"]), st.lists(inner, min_size=2, max_size=3).map(tuple)), max_leaves=5)
orderings = st.lists(st.tuples(st.sampled_from(sorted(FIELDS)), st.booleans()), min_size=0, max_size=2,
                     unique_by=lambda item: item[0])


def _sort_key(entity: dict[str, Any], ordering: list[tuple[str, bool]]) -> list[Any]:
    """A missing value is the smallest: ascending it comes first, descending last; then the key."""
    key: list[Any] = []
    for field, descending in ordering:
        value = entity.get(field)
        rank = (0, 0) if value is None else (1, value)
        key.append(_Reversed(rank) if descending else rank)
    return [*key, entity["__id"]]


class _Reversed:
    def __init__(self, value: Any) -> None:
        self.value = value

    def __lt__(self, other: _Reversed) -> bool:
        return bool(self.value > other.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reversed) and self.value == other.value


def _load(client: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    stored = []
    for index, row in enumerate(rows):
        entity = {"__id": f"e{index:02}", **row}
        response = client.post(path(f"{COL}/Item"), json=entity, headers=MASTER_AUTH)
        assert response.status_code == 201, response.text
        stored.append(entity)
    return stored


def _fresh_collection(client: Any) -> None:
    response = client.request("DELETE", path(COL), headers={**MASTER_AUTH, "X-Personium-Recursive": "true"})
    assert response.status_code in (204, 404), response.text
    must_mkcol(client, COL, "odata")
    for name, body in [("EntityType", {"Name": "Item"})] + [
            ("Property", {"Name": field, "_EntityType.Name": "Item", "Type": edm}) for field, edm in FIELDS.items()]:
        assert client.post(path(f"{COL}/$metadata/{name}"), json=body, headers=MASTER_AUTH).status_code == 201


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=entities, where=filters, ordering=orderings, top=st.integers(0, 6), skip=st.integers(0, 4))
def test_queries_answer_what_python_answers(client, rows, where, ordering, top, skip):
    if client.get(path(), headers=MASTER_AUTH).status_code == 404:
        new_box(client)
    _fresh_collection(client)
    stored = _load(client, rows)
    order = ",".join(f"{field} {'desc' if descending else 'asc'}" for field, descending in ordering)
    query = f"$filter={quote(where.odata())}&$top={top}&$skip={skip}&$inlinecount=allpages"
    if order:
        query += f"&$orderby={quote(order)}"
    response = client.get(path(f"{COL}/Item?{query}"), headers=MASTER_AUTH)
    assert response.status_code == 200, (where.odata(), response.text)
    body = response.json()["d"]
    matching = [entity for entity in stored if where.holds(entity)]
    assert body["__count"] == str(len(matching)), where.odata()
    got = [entity["__id"] for entity in body["results"]]
    if ordering:
        expected = [e["__id"] for e in sorted(matching, key=lambda e: _sort_key(e, ordering))][skip:skip + top]
        assert got == expected, (where.odata(), order)
    else:  # without $orderby the order is unspecified: the page is some slice of the matches
        assert len(got) == len(matching[skip:skip + top]) and set(got) <= {e["__id"] for e in matching}
