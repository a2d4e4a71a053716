"""``$batch`` of user data (apiref 368), as the real server reads and writes it (``ODataBatchResource``,
``BatchBodyParser`` and their tests): ``\\n`` line ends, the request's boundary echoed, the reason phrase
only for 200/201/204, Personium's error body in a failed part, parse errors failing the whole batch.
Where Cellar differs on purpose: a changeset is all or nothing (OData v2), answered by its one error."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api._dav_support import must_mkcol, new_box, path
from tests.helpers import MASTER_AUTH, assert_error

COL = "col"
B = "batch_XAmu9BiJJLBa20sRWIq74jp2UlNAVueztqu"
CS = "changeset_76c10b01-3eaf-49c2-bdd7-9fe90df24159"
BASE = f"http://localhost:8080/c1/box1/{COL}/"


@pytest.fixture
def sales(client):
    new_box(client)
    must_mkcol(client, COL, "odata")
    for name in ("Sales", "Product"):
        assert client.post(path(f"{COL}/$metadata/EntityType"), json={"Name": name},
                           headers=MASTER_AUTH).status_code == 201
    for name, entity_type, multiplicity in (("sales", "Sales", "*"), ("product", "Product", "0..1")):
        response = client.post(path(f"{COL}/$metadata/AssociationEnd"), headers=MASTER_AUTH,
                               json={"Name": name, "_EntityType.Name": entity_type, "Multiplicity": multiplicity})
        assert response.status_code == 201
    link = client.post(path(f"{COL}/$metadata/AssociationEnd(Name='sales',_EntityType.Name='Sales')/$links/"
                            "_AssociationEnd"), headers=MASTER_AUTH,
                       json={"uri": f"{BASE}$metadata/AssociationEnd(Name='product',_EntityType.Name='Product')"})
    assert link.status_code == 204


def query(request_line: str) -> str:
    return f"--{B}\nContent-Type: application/http\nContent-Transfer-Encoding:binary\n\n{request_line}\n" \
           "Accept: application/json\n\n"


def change(method: str, target: str, body: str | None = None, boundary: str = CS) -> str:
    text = f"--{boundary}\nContent-Type: application/http\nContent-Transfer-Encoding: binary\n\n" \
           f"{method} {target} HTTP/1.1\nContent-Type: application/json\nIf-Match: *\n\n"
    return text + (f"{body}\n\n" if body is not None else "")


def changeset(*changes: str, boundary: str = CS) -> str:
    return f"--{B}\nContent-Type: multipart/mixed; boundary={boundary}\n\n{''.join(changes)}--{boundary}--\n"


def post_batch(client: Any, body: str, headers: dict[str, str] | None = None) -> Any:
    return client.post(path(f"{COL}/$batch"), content=body.replace("\n", "\r\n").encode(),
                       headers={**MASTER_AUTH, "Content-Type": f"multipart/mixed; boundary={B}", **(headers or {})})


def test_a_batch_answers_every_part_in_order_as_the_real_server_writes_it(client, sales):
    body = (query("GET Sales('0000')")
            + changeset(change("POST", "Sales", '{"__id":"0000","Name":"John Smith"}'),
                        change("PUT", "Sales('0000')", '{"Name":"John","familyName":"Smith"}'))
            + query("GET Sales('0000')") + f"--{B}--\n")
    response = post_batch(client, body)
    assert response.status_code == 202, response.text
    assert response.headers["content-type"] == f"multipart/mixed; boundary={B}"
    assert response.headers["dataserviceversion"] == "2.0"
    text = response.text
    assert "\r" not in text and text.endswith(f"--{B}--")
    parts = text.split(f"--{B}\n")[1:]
    assert parts[0].startswith("Content-Type: application/http\n\nHTTP/1.1 404 \nContent-Type: application/json\n\n"
                               '{"code":"PR404-OD-0002"')
    created_etag = client.get(path(f"{COL}/Sales('0000')"), headers=MASTER_AUTH).headers["etag"]
    assert parts[1].startswith(f"Content-Type: multipart/mixed; boundary={CS}\n\n--{CS}\n"
                               "Content-Type: application/http\nContent-Transfer-Encoding: binary\n\n"
                               "HTTP/1.1 201 Created\nETag: W/")
    assert f"DataServiceVersion: 2.0\nContent-Type: application/json\nLocation: {BASE}Sales('0000')\n\n" in parts[1]
    assert f"HTTP/1.1 204 No Content\nETag: {created_etag}\nDataServiceVersion: 2.0\n\n--{CS}--\n\n" in parts[1]
    assert parts[2].startswith("Content-Type: application/http\n\nHTTP/1.1 200 OK\nDataServiceVersion: 2.0\n"
                               "Content-Type: application/json\n\n")
    assert '"familyName":"Smith"' in parts[2]


def test_a_changeset_is_all_or_nothing(client, sales):
    body = changeset(change("POST", "Sales", '{"__id":"a"}'), change("POST", "Sales", '{"__id":"a"}')) + f"--{B}--"
    response = post_batch(client, body)
    assert response.status_code == 202
    assert f"--{CS}\nContent-Type: application/http\nContent-Transfer-Encoding: binary\n\nHTTP/1.1 409 \n" \
           "Content-Type: application/json\n\n{\"code\":\"PR409-OD-0003\"" in response.text
    assert "201 Created" not in response.text
    assert_error(client.get(path(f"{COL}/Sales('a')"), headers=MASTER_AUTH), 404, "PR404-OD-0002")


def test_navigation_creation_and_links_in_a_batch(client, sales):
    body = changeset(change("POST", "Sales", '{"__id":"s1"}'),
                     change("POST", "Sales('s1')/_Product", '{"__id":"p1"}'),
                     change("POST", "Sales", '{"__id":"s2"}')) + query("GET Sales('s1')/$links/_Product") + \
        query("GET Sales('s1')/_Product") + f"--{B}--"
    response = post_batch(client, body)
    assert response.status_code == 202
    assert response.text.count("201 Created") == 3
    assert f"Location: {BASE}Product('p1')" in response.text
    assert response.text.count('"code":"PR501-MC-0001"') == 2  # GET of $links and through a navigation property
    linked = client.get(path(f"{COL}/Sales('s1')/_Product"), headers=MASTER_AUTH).json()["d"]["results"]
    assert [p["__id"] for p in linked] == ["p1"]


def test_a_list_with_query_options_and_a_missing_set(client, sales):
    for key in ("x1", "x2", "x3"):
        assert client.post(path(f"{COL}/Sales"), json={"__id": key, "n": int(key[1])},
                           headers=MASTER_AUTH).status_code == 201
    body = query("GET Sales?$filter=n%20ge%202&$orderby=n%20desc&$inlinecount=allpages") + \
        changeset(change("POST", "Nothing", "{}")) + f"--{B}--"
    response = post_batch(client, body)
    assert '"__count":"2"' in response.text and response.text.index('"x3"') < response.text.index('"x2"')
    assert "HTTP/1.1 404 \nContent-Type: application/json\n\n{\"code\":\"PR404-OD-0001\"" in response.text


@pytest.mark.parametrize(("body", "code"), [
    (f"\n--{B}\nContent-Type: application/http\n\nGET Sales\n\n--{B}--", "PR400-OD-0023"),  # a preamble
    (f"--{B}\nContent-Type: application/http\n\nGET Sales\n\n", "PR400-OD-0023"),  # no closing boundary
    (f"--{B}\n--{B}--", "PR400-OD-0021"),  # an empty batch
])
def test_a_batch_without_requests_in_their_place_is_refused(client, sales, body, code):
    assert_error(post_batch(client, body), 400, code)


@pytest.mark.parametrize(("body", "code"), [
    (f"--{B}\nContent-Type: text/html\n\nGET Sales\n\n--{B}--", "PR400-OD-0021"),
    (f"--{B}\nContent-Type: multipart/mixed; boundary={CS}\n\n--{CS}\nContent-Type: multipart/mixed; "
     f"boundary=inner\n\n--{CS}--\n--{B}--", "PR400-OD-0022"),
    (f"--{B}\nContent-Type: application/http\n\nPOT Sales\n\n--{B}--", "PR400-OD-0035"),
    (changeset(change("MERGE", "Sales('a')", "{}")) + f"--{B}--", "PR400-OD-0035"),
    (changeset(change("POST", "Sales('srcKey')", "{}")) + f"--{B}--", "PR400-OD-0034"),
    (changeset(change("PUT", "Sales", "{}")) + f"--{B}--", "PR400-OD-0034"),
    (changeset(change("POST", "Sales('srcKey')/", "{}")) + f"--{B}--", "PR400-OD-0034"),
    (query("GET Sales?$top=6000") + query("GET Sales?$top=5000") + f"--{B}--", "PR400-OD-0037"),
])
def test_a_body_the_real_server_cannot_read_fails_the_whole_batch(client, sales, body, code):
    """Nothing runs, not even the valid changeset before the bad part."""
    valid = changeset(change("POST", "Sales", '{"__id":"kept"}', boundary="first"), boundary="first")
    assert_error(post_batch(client, valid + body), 400, code)
    assert_error(client.get(path(f"{COL}/Sales('kept')"), headers=MASTER_AUTH), 404, "PR404-OD-0002")


def test_more_than_a_thousand_requests_is_refused_with_the_count(client, sales):
    body = changeset(*(change("DELETE", f"Sales('k{index}')") for index in range(1001))) + f"--{B}--"
    body_error = assert_error(post_batch(client, body), 400, "PR400-OD-0030")
    assert "[1,001]" in body_error["message"]["value"]


def test_a_batch_needs_read_or_write_on_the_collection(client, sales):
    response = client.post(path(f"{COL}/$batch"), content=f"--{B}--".encode(),
                           headers={"Content-Type": f"multipart/mixed; boundary={B}"})
    assert_error(response, 401, "PR401-AU-0001")
    assert_error(client.get(path(f"{COL}/$batch"), headers=MASTER_AUTH), 405, "PR405-MC-0001")


def test_a_large_batch_is_read_whole(client, sales):
    """More than a chunk (1 MiB) of body: staged as it arrives, then read back for the parse."""
    filler = "x" * 2000
    body = changeset(*(change("POST", "Sales", f'{{"__id":"e{index}","note":"{filler}"}}')
                       for index in range(600))) + f"--{B}--"
    assert len(body) > 1024 * 1024
    response = post_batch(client, body)
    assert response.status_code == 202, response.text[:500]
    assert response.text.count("201 Created") == 600
    count = client.get(path(f"{COL}/Sales?$top=0&$inlinecount=allpages"), headers=MASTER_AUTH).json()["d"]["__count"]
    assert count == "600"
