"""Shared helpers for the cell control object tests (apiref 201–266, 2AB–2B0; notes §5, §7).

Every test works in one path-based cell ``c1`` (``http://localhost:8080/c1/``); each test module has a
``cell`` fixture calling :func:`new_cell`.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.conftest import UNIT
from tests.helpers import MASTER_AUTH, as_unit_user, make_cell

CELL = "c1"
CELL_URL = f"{UNIT}{CELL}/"
#: The service root of the cell control objects, as written in ``__metadata.uri`` and ``Location``.
CTL = f"{CELL_URL}__ctl/"
#: Request path prefix (the test client's base URL is the unit).
CTL_PATH = f"/{CELL}/__ctl/"

OWNER = "http://localhost:8080/admincell/#owner"
STRANGER = "http://localhost:8080/admincell/#stranger"
NO_AUTH = {"Accept": "application/json"}

SETS = ("Account", "Box", "ExtCell", "ExtRole", "Relation", "Role")

#: Navigation properties per entity type (notes §5.1, §5.3; pages 203, 213, 225, 236, 247, 258).
NAVS: dict[str, tuple[str, ...]] = {
    "Account": ("_Role", "_ReceivedMessageRead"),
    "Box": ("_Role", "_Relation", "_ReceivedMessage", "_SentMessage", "_Rule"),
    "ExtCell": ("_Role", "_Relation"),
    "ExtRole": ("_Relation", "_Role"),
    "Relation": ("_Box", "_ExtCell", "_Role", "_ExtRole"),
    "Role": ("_Box", "_Account", "_ExtCell", "_ExtRole", "_Relation"),
}
#: The navigation properties between the six types covered here (no messages, no rules).
CORE_NAVS: dict[str, tuple[str, ...]] = {
    "Account": ("_Role",),
    "Box": ("_Role", "_Relation"),
    "ExtCell": ("_Role", "_Relation"),
    "ExtRole": ("_Relation", "_Role"),
    "Relation": ("_Box", "_ExtCell", "_Role", "_ExtRole"),
    "Role": ("_Box", "_Account", "_ExtCell", "_ExtRole", "_Relation"),
}

_ETAG = re.compile(r'^W/"(\d+)-(\d+)"$')
_DATE = re.compile(r"^/Date\((-?\d+)\)/$")
_KEYED = re.compile(r"^(?P<base>.*?/__ctl/)(?P<set>[A-Za-z]+)\((?P<pred>[^)]*)\)(?P<rest>.*)$")
_FORM_SAFE = re.compile(r"[A-Za-z0-9.\-*_]")


# --- the cell under test ------------------------------------------------------------------------------------

def new_cell(client: Any) -> str:
    """Create the cell ``c1`` with the master token (no owner); test modules wrap this in a fixture."""
    make_cell(client, CELL)
    return CELL_URL


def new_owned_cell(client: Any) -> str:
    """Create the cell ``c1`` as the unit user :data:`OWNER`."""
    make_cell(client, CELL, as_unit_user(OWNER))
    return CELL_URL


# --- keys and URLs ------------------------------------------------------------------------------------------

def form_encode(value: str) -> str:
    """``application/x-www-form-urlencoded`` as Java's ``URLEncoder`` writes it (notes §5.2):
    everything but ``A-Za-z0-9.-*_`` is percent-encoded, a space becomes ``+``."""
    out = []
    for char in value:
        if _FORM_SAFE.fullmatch(char):
            out.append(char)
        elif char == " ":
            out.append("+")
        else:
            out.append("".join(f"%{b:02X}" for b in char.encode("utf-8")))
    return "".join(out)


def lit(value: str | None) -> str:
    """A key literal: ``null`` or ``'value'`` (quote doubled, then form-encoded)."""
    return "null" if value is None else f"'{form_encode(value.replace(chr(39), chr(39) * 2))}'"


def box_key(name: str) -> str:
    return f"Box({lit(name)})"


def account_key(name: str) -> str:
    return f"Account({lit(name)})"


def extcell_key(url: str) -> str:
    return f"ExtCell({lit(url)})"


def role_key(name: str, box: str | None = None) -> str:
    return f"Role(Name={lit(name)},_Box.Name={lit(box)})"


def relation_key(name: str, box: str | None = None) -> str:
    return f"Relation(Name={lit(name)},_Box.Name={lit(box)})"


def extrole_key(extrole: str, relation: str, box: str | None = None) -> str:
    return f"ExtRole(ExtRole={lit(extrole)},_Relation.Name={lit(relation)},_Relation._Box.Name={lit(box)})"


def path(key_or_set: str) -> str:
    """Request path of an entity set, entity or anything under ``__ctl/``."""
    return f"{CTL_PATH}{key_or_set}"


def uri(key: str) -> str:
    """Absolute URL of an entity, as in ``__metadata.uri``."""
    return f"{CTL}{key}"


def canonical(url: str) -> str:
    """The URL with the parts of a compound key sorted: Java writes them in hash-map order,
    so clients must accept any order (notes §5.2)."""
    match = _KEYED.match(url)
    if not match:
        return url
    parts = match.group("pred").split(",")
    if len(parts) > 1:
        parts = sorted(parts)
    return f"{match.group('base')}{match.group('set')}({','.join(parts)}){match.group('rest')}"


def assert_same_uri(actual: str, expected: str) -> None:
    assert canonical(actual) == canonical(expected), (actual, expected)


def uri_set(uris: list[str]) -> list[str]:
    return sorted(canonical(u) for u in uris)


# --- ETags and dates ----------------------------------------------------------------------------------------

def etag_parts(etag: str) -> tuple[int, int]:
    """``W/"3-1486456585171"`` → (3, 1486456585171)."""
    match = _ETAG.match(etag)
    assert match, f"not a weak OData ETag: {etag!r}"
    return int(match.group(1)), int(match.group(2))


def date_ms(value: str) -> int:
    match = _DATE.match(value)
    assert match, f"not an OData /Date(ms)/ value: {value!r}"
    return int(match.group(1))


def if_match(etag: str) -> dict[str, str]:
    return {**MASTER_AUTH, "If-Match": etag}


# --- requests -----------------------------------------------------------------------------------------------

def post(client: Any, target: str, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return client.post(path(target), json=body, headers=headers or MASTER_AUTH)


def get(client: Any, target: str, headers: dict[str, str] | None = None, **params: str) -> httpx.Response:
    return client.get(path(target), params=params, headers=headers or MASTER_AUTH)


def put(client: Any, target: str, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return client.put(path(target), json=body, headers=headers or MASTER_AUTH)


def merge(client: Any, target: str, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return client.request("MERGE", path(target), json=body, headers=headers or MASTER_AUTH)


def delete(client: Any, target: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return client.delete(path(target), headers=headers or MASTER_AUTH)


def create(client: Any, entity_set: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> dict:
    response = post(client, entity_set, body, headers)
    assert response.status_code == 201, response.text
    return response.json()["d"]["results"]


def create_box(client: Any, name: str, schema: str | None = None) -> dict:
    body: dict[str, Any] = {"Name": name}
    if schema is not None:
        body["Schema"] = schema
    return create(client, "Box", body)


def create_role(client: Any, name: str, box: str | None = None) -> dict:
    body: dict[str, Any] = {"Name": name}
    if box is not None:
        body["_Box.Name"] = box
    return create(client, "Role", body)


def create_relation(client: Any, name: str, box: str | None = None) -> dict:
    body: dict[str, Any] = {"Name": name}
    if box is not None:
        body["_Box.Name"] = box
    return create(client, "Relation", body)


def create_account(client: Any, name: str, password: str | None = None, **props: Any) -> dict:
    headers = dict(MASTER_AUTH)
    if password is not None:
        headers["X-Personium-Credential"] = password
    return create(client, "Account", {"Name": name, **props}, headers)


def create_extcell(client: Any, url: str) -> dict:
    return create(client, "ExtCell", {"Url": url})


def create_extrole(client: Any, extrole: str, relation: str, box: str | None = None) -> dict:
    body: dict[str, Any] = {"ExtRole": extrole, "_Relation.Name": relation}
    if box is not None:
        body["_Relation._Box.Name"] = box
    return create(client, "ExtRole", body)


def results(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()["d"]["results"]


def entity(client: Any, key: str) -> dict:
    return results(get(client, key))


def etag_of(client: Any, key: str) -> str:
    response = get(client, key)
    assert response.status_code == 200, response.text
    return response.headers["etag"]


def values(response: httpx.Response, prop: str = "Name") -> list[Any]:
    """One property of every entry of a list response, in response order."""
    return [entry[prop] for entry in results(response)]


def list_values(client: Any, target: str, prop: str = "Name", **params: str) -> list[Any]:
    return sorted(values(get(client, target, **params), prop))


# --- $links -------------------------------------------------------------------------------------------------

def link(client: Any, source: str, nav: str, target_uri: str, headers: dict[str, str] | None = None
         ) -> httpx.Response:
    return client.post(path(f"{source}/$links/{nav}"), json={"uri": target_uri},
                       headers=headers or MASTER_AUTH)


def must_link(client: Any, source: str, nav: str, target_key: str) -> None:
    response = link(client, source, nav, uri(target_key))
    assert response.status_code == 204, response.text


def unlink(client: Any, source: str, nav: str, target_key: str, headers: dict[str, str] | None = None
           ) -> httpx.Response:
    return client.delete(path(f"{source}/$links/{nav}{target_key[target_key.index('('):]}"),
                         headers=headers or MASTER_AUTH)


def links_of(client: Any, source: str, nav: str, **params: str) -> list[str]:
    """The ``uri`` values of ``GET {source}/$links/{nav}``, canonical and sorted."""
    response = client.get(path(f"{source}/$links/{nav}"), params=params, headers=MASTER_AUTH)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"d"} and set(body["d"]) == {"results"}, body
    for row in body["d"]["results"]:
        assert set(row) == {"uri"}, row
    return uri_set([row["uri"] for row in body["d"]["results"]])


# --- entity shape -------------------------------------------------------------------------------------------

def deferred_navs(item: dict) -> dict[str, str]:
    return {k: v["__deferred"]["uri"] for k, v in item.items() if isinstance(v, dict) and "__deferred" in v}


def assert_entity(item: dict, entity_set: str, key: str, props: dict[str, Any]) -> None:
    """Field by field: ``__metadata`` (uri, etag, type ``CellCtl.X``), ``__published``/``__updated``
    and exactly the documented properties with the given values; navigation properties aside."""
    metadata = item["__metadata"]
    assert set(metadata) == {"uri", "etag", "type"}, metadata
    assert_same_uri(metadata["uri"], uri(key))
    assert metadata["type"] == f"CellCtl.{entity_set}", metadata
    version, updated = etag_parts(metadata["etag"])
    assert version >= 1, metadata
    assert date_ms(item["__updated"]) == updated, (item["__updated"], metadata)
    assert date_ms(item["__published"]) <= updated, (item["__published"], metadata)
    plain = {k for k in item if k not in deferred_navs(item) and not isinstance(item[k], list)}
    assert plain == {"__metadata", "__published", "__updated", *props}, sorted(plain)
    for name, value in props.items():
        assert item[name] == value, (name, item[name], value)


def assert_core_navs(item: dict, entity_set: str) -> None:
    """Each navigation property between the six types is a ``__deferred`` link to ``{entity}/{nav}``."""
    navs = deferred_navs(item)
    entity_uri = item["__metadata"]["uri"]
    for nav in CORE_NAVS[entity_set]:
        assert nav in navs, (nav, sorted(navs))
        assert_same_uri(navs[nav], f"{entity_uri}/{nav}")


def assert_all_navs(item: dict, entity_set: str) -> None:
    """Exactly the navigation properties of the page's sample (messages and rules included)."""
    assert sorted(deferred_navs(item)) == sorted(NAVS[entity_set]), (sorted(deferred_navs(item)),
                                                                     NAVS[entity_set])


def assert_created(response: httpx.Response, entity_set: str, key: str, props: dict[str, Any]) -> dict:
    """A 201 from POST: JSON envelope, Location, ETag = ``__metadata.etag`` (version 1),
    DataServiceVersion."""
    assert response.status_code == 201, response.text
    assert response.headers["content-type"].startswith("application/json"), response.headers
    assert response.headers.get("dataserviceversion") == "2.0", response.headers
    item = response.json()["d"]["results"]
    assert isinstance(item, dict), item  # notes §7.1: a single entity's "results" is an object
    assert_entity(item, entity_set, key, props)
    assert_same_uri(response.headers["location"], uri(key))
    assert response.headers["etag"] == item["__metadata"]["etag"], (response.headers["etag"],
                                                                    item["__metadata"])
    assert etag_parts(response.headers["etag"])[0] == 1, response.headers["etag"]
    assert item["__published"] == item["__updated"], item
    return item


def assert_no_content(response: httpx.Response) -> None:
    assert response.status_code == 204, response.text
    assert response.content == b"", response.content


