"""``q`` on user data (apiref 408): the words of every searched value, kept in ``odata_search`` (and
indexed by PostgreSQL's ``to_tsvector('simple')``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import delete, func, insert, select

from cellar.storage import tables
from cellar.storage.migrations import SEARCH_BACKFILL
from cellar.userdata import reindex
from tests.api._dav_support import path
from tests.api.test_user_odata import COL, create, diary, listed, schema  # noqa: F401 - the fixture
from tests.helpers import MASTER_AUTH, assert_error

pytestmark = pytest.mark.usefixtures("diary")


def found(client: Any, q: str, extra: str = "") -> list[str]:
    return sorted(e["__id"] for e in listed(client, f"q={quote(q)}{extra}"))


def test_each_word_is_a_phrase_of_words_in_some_value_and_the_words_are_anded(client):
    """Half-width spaces separate the words, double quotes do not join them (the page's ``"Pochi Tama"``);
    a word matches whole words only, ignoring case; punctuation inside a word separates its words,
    which must then follow each other, as the real server's phrase match does."""
    create(client, {"__id": "a", "title": "Walking in the Park", "mood": "happy day"})
    create(client, {"__id": "b", "title": "rain", "place": {"city": "Kyoto"}, "tags": ["park", "walk"]})
    create(client, {"__id": "c", "title": "Pochi and Tama"})
    for q, expected in [("park", ["a", "b"]), ("PARK walking", ["a"]), ("kyoto", ["b"]), ("happy", ["a"]),
                        ("the-park", ["a"]), ("park-the", []), ("par", []), ("park rain", ["b"]),
                        ("nothing", []), ("Pochi Tama", ["c"]), ('"Pochi Tama"', ["c"]), ("tama pochi", ["c"]),
                        ("Pochi Mike", []), ("!!!", []), ("a", ["a"])]:
        assert found(client, q) == expected, q


def test_the_index_follows_updates_merges_and_deletes(client):
    create(client, {"__id": "a", "title": "park"})
    create(client, {"__id": "b", "title": "park"})
    url = path(f"{COL}/Diary('a')")
    assert client.request("MERGE", url, json={"title": "indoors"}, headers=MASTER_AUTH).status_code == 204
    assert found(client, "park") == ["b"] and found(client, "indoors") == ["a"]
    assert client.put(url, json={"title": "garden"}, headers=MASTER_AUTH).status_code == 204
    assert found(client, "indoors") == [] and found(client, "garden") == ["a"]
    assert client.delete(path(f"{COL}/Diary('b')"), headers=MASTER_AUTH).status_code == 204
    assert found(client, "park") == []
    create(client, {"__id": "b", "title": "again"})  # the same key anew: nothing of the old one remains
    assert found(client, "park") == [] and found(client, "again") == ["b"]


def test_what_is_searched_follows_the_types_of_the_page(client):
    """apiref 408: String, Boolean, Single, Int32 are searched, Double only as a dynamic property,
    DateTime never; ``__published`` / ``__updated`` by their milliseconds; complex members and lists too."""
    schema(client, "Property", {"Name": "weight", "Type": "Edm.Double", "_EntityType.Name": "Diary"})
    schema(client, "Property", {"Name": "ratio", "Type": "Edm.Single", "_EntityType.Name": "Diary"})
    entity = create(client, {"__id": "a", "rating": 7, "when": "/Date(1350451322147)/", "weight": 61.5,
                             "ratio": 2.5, "done": True, "score": 88.25, "tags": ["tea"]}).json()["d"]["results"]
    published = entity["__published"].removeprefix("/Date(").removesuffix(")/")
    for q, expected in [("7", ["a"]), ("1350451322147", []), ("61.5", []), ("2.5", ["a"]), ("true", ["a"]),
                        ("88.25", ["a"]), ("tea", ["a"]), (published, ["a"]), ("3", [])]:
        assert found(client, q) == expected, q


def test_double_byte_text_matches_in_part_and_width_or_case_does_not_matter(client):
    """apiref 408: double-byte characters are searchable for partial matches; full-width letters are
    the half-width ones (NFKC)."""
    create(client, {"__id": "a", "title": "東京都で散歩した", "mood": "ＨＡＰＰＹ"})
    create(client, {"__id": "b", "title": "京都の寺"})
    create(client, {"__id": "c", "title": "ｶﾀｶﾅ"})
    for q, expected in [("東京", ["a"]), ("京都", ["a", "b"]), ("散歩", ["a"]), ("寺 京", ["b"]), ("都寺", []),
                        ("happy", ["a"]), ("ｈａｐｐｙ", ["a"]), ("カタカナ", ["c"]), ("タカ", ["c"])]:
        assert found(client, q) == expected, q


def test_q_goes_with_filter_orderby_top_skip_and_inlinecount(client):
    for n in range(6):
        create(client, {"__id": f"e{n}", "title": "walk" if n % 2 else "run", "rating": n})
    assert found(client, "walk") == ["e1", "e3", "e5"]
    assert found(client, "walk", "&$filter=rating+gt+1") == ["e3", "e5"]
    ordered = listed(client, "q=walk&$orderby=rating+desc&$top=2&$skip=0")
    assert [e["__id"] for e in ordered] == ["e5", "e3"]
    assert [e["__id"] for e in listed(client, "q=walk&$orderby=rating+desc&$skip=2")] == ["e1"]
    counted = client.get(path(f"{COL}/Diary?q=walk&$inlinecount=allpages&$top=1"), headers=MASTER_AUTH).json()
    assert counted["d"]["__count"] == "3" and len(counted["d"]["results"]) == 1
    assert len(listed(client, "q=walk&$top=2")) == 2


def test_q_searches_one_entity_type_and_navigation_lists(client):
    schema(client, "EntityType", {"Name": "Note"})
    for body in ({"Name": "Diary-Note", "_EntityType.Name": "Diary", "Multiplicity": "*"},
                 {"Name": "Note-Diary", "_EntityType.Name": "Note", "Multiplicity": "*"}):
        schema(client, "AssociationEnd", body)
    response = client.post(path(f"{COL}/$metadata/AssociationEnd(Name='Diary-Note',_EntityType.Name='Diary')/"
                                "$links/_AssociationEnd"),
                           json={"uri": f"http://localhost:8080/c1/box1/{COL}/$metadata/"
                                        "AssociationEnd(Name='Note-Diary',_EntityType.Name='Note')"},
                           headers=MASTER_AUTH)
    assert response.status_code == 204, response.text
    create(client, {"__id": "d", "title": "tea"})
    for key, title in (("n1", "tea"), ("n2", "coffee")):
        response = client.post(path(f"{COL}/Diary('d')/_Note"), json={"__id": key, "title": title},
                               headers=MASTER_AUTH)
        assert response.status_code == 201, response.text
    response = client.post(path(f"{COL}/Note"), json={"__id": "n3", "title": "tea"}, headers=MASTER_AUTH)
    assert response.status_code == 201
    assert found(client, "tea") == ["d"]
    notes = client.get(path(f"{COL}/Diary('d')/_Note?q=tea"), headers=MASTER_AUTH)
    assert notes.status_code == 200 and [e["__id"] for e in notes.json()["d"]["results"]] == ["n1"]
    everywhere = client.get(path(f"{COL}/Note?q=tea"), headers=MASTER_AUTH).json()["d"]["results"]
    assert sorted(e["__id"] for e in everywhere) == ["n1", "n3"]


def test_q_is_one_to_255_bytes(client):
    """apiref 408 and ``Common.MAX_Q_VALUE_LENGTH``: bytes of UTF-8, not characters."""
    create(client, {"__id": "a", "title": "x" * 255})
    assert found(client, "x" * 255) == ["a"]
    for q in ("x" * 256, "あ" * 86, ""):
        assert_error(client.get(path(f"{COL}/Diary?q={quote(q)}"), headers=MASTER_AUTH), 400, "PR400-OD-0029")
    assert found(client, "あ" * 85) == []


@pytest.mark.parametrize("target", [f"{COL}", ""])
def test_the_index_goes_with_the_collection_or_the_cell(client, storage, target):
    create(client, {"__id": "a", "title": "park"})
    assert client.delete(path(f"{COL}/Diary('a')"), headers=MASTER_AUTH).status_code == 204
    create(client, {"__id": "b", "title": "park"})
    url = path(target) if target else "/c1"
    response = client.delete(url, headers={**MASTER_AUTH, "X-Personium-Recursive": "true"})
    assert response.status_code == 204, response.text
    with storage.transaction("test.read", write=False) as tx:
        assert tx.conn.execute(select(func.count()).select_from(tables.odata_search)).scalar_one() == 0


def test_entities_of_a_database_from_before_the_index_are_indexed_by_the_sweep(client, storage):
    """Step 12 of the migrations flags a database that has entities; the sweep indexes them in batches."""
    for n in range(3):
        create(client, {"__id": f"e{n}", "title": "old" if n else "first old", "place": {"city": "Nara"}})
    with storage.transaction("test.old", write=True) as tx:
        tx.conn.execute(delete(tables.odata_search))
        tx.conn.execute(insert(tables.unit_kv).values(key=SEARCH_BACKFILL, value="1"))
    assert found(client, "old") == []
    with storage.transaction("test.backfill", write=True) as tx:
        assert reindex.backfill(tx) == 3
    with storage.transaction("test.backfill", write=True) as tx:
        assert reindex.backfill(tx) == 0
        flag = tables.unit_kv.c.key == SEARCH_BACKFILL
        assert tx.conn.execute(select(tables.unit_kv.c.key).where(flag)).first() is None
    assert found(client, "old") == ["e0", "e1", "e2"] and found(client, "first old") == ["e0"]
    assert found(client, "nara") == ["e0", "e1", "e2"]

