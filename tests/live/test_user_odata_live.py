"""One app's whole flow with user OData over real HTTP against ``cellar serve`` (issue "User OData"):
make an OData collection, define two related entity types, load data with ``$batch``, query with
``$expand`` and ``$filter``, search with ``q``, and delete the collection with everything in it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.live.test_serve import serve

MASTER = "live-master"
AUTH = {"Authorization": f"Bearer {MASTER}", "Accept": "application/json"}
BOUNDARY = "batch_live"


@pytest.fixture
def collection(tmp_path: Path) -> Iterator[str]:
    process, base = serve(tmp_path, CELLAR_MASTER_TOKEN=MASTER)
    try:
        assert httpx.post(f"{base}__ctl/Cell", headers=AUTH, json={"Name": "cell1"}).status_code == 201
        assert httpx.post(f"{base}cell1/__ctl/Box", headers=AUTH, json={"Name": "diary"}).status_code == 201
        yield f"{base}cell1/diary/data"
    finally:
        process.terminate()
        process.wait(timeout=10)


def _batch(entries: list[tuple[str, str]]) -> str:
    changes = "".join(f"--cs\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"
                      f"POST {target} HTTP/1.1\r\nContent-Type: application/json\r\n\r\n{body}\r\n\r\n"
                      for target, body in entries)
    return f"--{BOUNDARY}\r\nContent-Type: multipart/mixed; boundary=cs\r\n\r\n{changes}--cs--\r\n--{BOUNDARY}--\r\n"


def test_a_diary_app(collection: str) -> None:
    mkcol = ('<D:mkcol xmlns:D="DAV:" xmlns:p="urn:x-personium:xmlns"><D:set><D:prop><D:resourcetype>'
             '<D:collection/><p:odata/></D:resourcetype></D:prop></D:set></D:mkcol>')
    assert httpx.request("MKCOL", collection, headers=AUTH, content=mkcol).status_code == 201
    meta = f"{collection}/$metadata"
    for entity_set, body in [
            ("EntityType", {"Name": "Entry"}), ("EntityType", {"Name": "Tag"}),
            ("Property", {"Name": "title", "_EntityType.Name": "Entry", "Type": "Edm.String"}),
            ("Property", {"Name": "day", "_EntityType.Name": "Entry", "Type": "Edm.Int32"}),
            ("Property", {"Name": "label", "_EntityType.Name": "Tag", "Type": "Edm.String"}),
            ("AssociationEnd", {"Name": "entries", "_EntityType.Name": "Entry", "Multiplicity": "*"}),
            ("AssociationEnd", {"Name": "tags", "_EntityType.Name": "Tag", "Multiplicity": "*"})]:
        response = httpx.post(f"{meta}/{entity_set}", headers=AUTH, json=body)
        assert response.status_code == 201, response.text
    link = httpx.post(f"{meta}/AssociationEnd(Name='entries',_EntityType.Name='Entry')/$links/_AssociationEnd",
                      headers=AUTH, json={"uri": f"{meta}/AssociationEnd(Name='tags',_EntityType.Name='Tag')"})
    assert link.status_code == 204, link.text
    entries = [("Entry", f'{{"__id":"d{day}","title":"day {day} walking in the park","day":{day}}}')
               for day in range(1, 31)]
    tags = [("Entry('d1')/_Tag", '{"__id":"walk","label":"walk"}'), ("Entry('d2')/_Tag", '{"__id":"rain"}')]
    loaded = httpx.post(f"{collection}/$batch", content=_batch(entries + tags),
                        headers={**AUTH, "Content-Type": f"multipart/mixed; boundary={BOUNDARY}"})
    assert loaded.status_code == 202 and loaded.text.count("HTTP/1.1 201 Created") == 32, loaded.text[-2000:]
    listed = httpx.get(f"{collection}/Entry", headers=AUTH, params={
        "$filter": "day ge 28 or startswith(title,'day 1 ')", "$orderby": "day desc", "$expand": "_Tag",
        "$inlinecount": "allpages"}).json()["d"]
    assert listed["__count"] == "4"
    assert [(e["__id"], [t["__id"] for t in e["_Tag"]]) for e in listed["results"]] == [
        ("d30", []), ("d29", []), ("d28", []), ("d1", ["walk"])]
    found = httpx.get(f"{collection}/Entry", headers=AUTH, params={"q": "PARK day", "$top": "100"}).json()["d"]
    assert len(found["results"]) == 30
    metadata = httpx.get(meta, headers={"Authorization": AUTH["Authorization"]})
    assert metadata.status_code == 200 and b'Name="Entry-Tag-assoc"' in metadata.content
    deleted = httpx.request("DELETE", collection, headers={**AUTH, "X-Personium-Recursive": "true"})
    assert deleted.status_code == 204, deleted.text
    assert httpx.get(f"{collection}/Entry", headers=AUTH).status_code == 404
