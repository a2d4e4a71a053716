"""End to end: a whole graph of cell control objects — accounts ↔ roles ↔ boxes, relations ↔ extcells ↔ roles,
extroles ↔ roles — built, listed through ``$links`` and navigation, queried, renamed and torn down, then the
cell deleted recursively (apiref 201–266, 2AB–2B0; notes §5.3–§5.5, §2.3)."""

from __future__ import annotations

import pytest

from tests.api._ctl_support import (
    account_key,
    assert_entity,
    assert_no_content,
    box_key,
    create_account,
    create_box,
    create_extcell,
    create_relation,
    create_role,
    delete,
    entity,
    extcell_key,
    extrole_key,
    get,
    links_of,
    merge,
    must_link,
    new_cell,
    post,
    put,
    relation_key,
    results,
    role_key,
    unlink,
    uri,
    uri_set,
    values,
)
from tests.helpers import MASTER_AUTH, assert_error


@pytest.fixture
def cell(client):
    return new_cell(client)


APP = "https://app1.example/"
PARTNER = "https://partner.example/"
LOCAL = "http://localhost:8080/c3/"
DOCTOR_CLASS = f"{APP}__role/__/doctor"
NURSE_CLASS = f"{PARTNER}__role/__/nurse"


def pairs(response, second="_Box.Name"):
    return sorted((i["Name"], i[second] or "") for i in results(response))


def test_graph_lifecycle(client, cell):
    # --- build ---------------------------------------------------------------------------------------------
    create_box(client, "box1", APP)
    create_box(client, "box2")
    create_role(client, "admin")
    assert post(client, f"{box_key('box1')}/_Role", {"Name": "doctor"}).status_code == 201
    create_role(client, "nurse", "box1")
    create_role(client, "guest", "box2")

    create_account(client, "alice", "alice-pass1")
    create_account(client, "bob", "bob-pass01", Type="basic oidc:google")
    assert post(client, f"{role_key('guest', 'box2')}/_Account", {"Name": "carol"},
                headers={**MASTER_AUTH, "X-Personium-Credential": "carol-pass"}).status_code == 201

    must_link(client, account_key("alice"), "_Role", role_key("admin"))
    must_link(client, account_key("alice"), "_Role", role_key("doctor", "box1"))
    must_link(client, role_key("nurse", "box1"), "_Account", account_key("bob"))
    must_link(client, role_key("nurse", "box1"), "_Account", account_key("alice"))

    create_relation(client, "friend")
    assert post(client, f"{box_key('box1')}/_Relation", {"Name": "+colleague:work"}).status_code == 201
    create_extcell(client, PARTNER)
    assert post(client, f"{relation_key('friend')}/_ExtCell", {"Url": LOCAL}).status_code == 201
    must_link(client, extcell_key(PARTNER), "_Relation", relation_key("+colleague:work", "box1"))
    must_link(client, extcell_key(PARTNER), "_Role", role_key("guest", "box2"))
    must_link(client, relation_key("friend"), "_Role", role_key("guest", "box2"))
    must_link(client, relation_key("+colleague:work", "box1"), "_Role", role_key("nurse", "box1"))

    colleague = relation_key("+colleague:work", "box1")
    assert post(client, f"{colleague}/_ExtRole", {"ExtRole": DOCTOR_CLASS}).status_code == 201
    assert post(client, "ExtRole", {"ExtRole": NURSE_CLASS, "_Relation.Name": "+colleague:work",
                                    "_Relation._Box.Name": "box1"}).status_code == 201
    must_link(client, extrole_key(DOCTOR_CLASS, "+colleague:work", "box1"), "_Role", role_key("doctor",
                                                                                              "box1"))
    assert post(client, f"{extrole_key(NURSE_CLASS, '+colleague:work', 'box1')}/_Role",
                {"Name": "visiting-nurse", "_Box.Name": "box1"}).status_code == 201

    # --- list through $links and navigation ---------------------------------------------------------------
    assert links_of(client, account_key("alice"), "_Role") == uri_set(
        [uri(role_key("admin")), uri(role_key("doctor", "box1")), uri(role_key("nurse", "box1"))])
    assert links_of(client, role_key("nurse", "box1"), "_Account") == uri_set(
        [uri(account_key("alice")), uri(account_key("bob"))])
    assert links_of(client, role_key("guest", "box2"), "_Account") == uri_set([uri(account_key("carol"))])
    assert links_of(client, box_key("box1"), "_Role") == uri_set(
        [uri(role_key(n, "box1")) for n in ("doctor", "nurse", "visiting-nurse")])
    assert links_of(client, box_key("box1"), "_Relation") == uri_set([uri(colleague)])
    assert links_of(client, extcell_key(PARTNER), "_Relation") == uri_set([uri(colleague)])
    assert links_of(client, relation_key("friend"), "_ExtCell") == uri_set([uri(extcell_key(LOCAL))])
    assert links_of(client, role_key("guest", "box2"), "_Relation") == uri_set([uri(relation_key("friend"))])
    assert links_of(client, role_key("guest", "box2"), "_ExtCell") == uri_set([uri(extcell_key(PARTNER))])
    assert links_of(client, colleague, "_ExtRole") == uri_set(
        [uri(extrole_key(DOCTOR_CLASS, "+colleague:work", "box1")),
         uri(extrole_key(NURSE_CLASS, "+colleague:work", "box1"))])
    assert links_of(client, role_key("visiting-nurse", "box1"), "_ExtRole") == uri_set(
        [uri(extrole_key(NURSE_CLASS, "+colleague:work", "box1"))])

    assert pairs(get(client, f"{account_key('alice')}/_Role")) == [("admin", ""), ("doctor", "box1"),
                                                                   ("nurse", "box1")]
    assert pairs(get(client, f"{box_key('box1')}/_Role")) == [("doctor", "box1"), ("nurse", "box1"),
                                                              ("visiting-nurse", "box1")]
    assert sorted(values(get(client, f"{colleague}/_ExtRole"), "ExtRole")) == [DOCTOR_CLASS, NURSE_CLASS]
    assert values(get(client, f"{extcell_key(PARTNER)}/_Role")) == ["guest"]

    # --- query ----------------------------------------------------------------------------------------------
    assert pairs(get(client, f"{account_key('alice')}/_Role", **{"$filter": "startswith(Name,'d')"})) == [
        ("doctor", "box1")]
    body = get(client, f"{role_key('nurse', 'box1')}/_Account",
               **{"$orderby": "Name desc", "$top": "1", "$inlinecount": "allpages"}).json()
    assert [i["Name"] for i in body["d"]["results"]] == ["bob"]
    assert body["d"]["__count"] == "2"
    accounts = {i["Name"]: i for i in results(get(client, "Account", **{"$expand": "_Role",
                                                                      "$orderby": "Name"}))}
    assert sorted(r["Name"] for r in accounts["alice"]["_Role"]) == ["admin", "doctor", "nurse"]
    assert [r["Name"] for r in accounts["carol"]["_Role"]] == ["guest"]
    box1 = results(get(client, box_key("box1"), **{"$expand": "_Role,_Relation"}))
    assert sorted(r["Name"] for r in box1["_Role"]) == ["doctor", "nurse", "visiting-nurse"]
    assert [r["Name"] for r in box1["_Relation"]] == ["+colleague:work"]
    assert values(get(client, "Account", **{"$filter": "Type eq 'basic oidc:google'"})) == ["bob"]
    assert values(get(client, "Relation", **{"$filter": "Name eq '+colleague:work'"})) == ["+colleague:work"]
    assert values(get(client, "ExtCell", **{"$filter": f"Url eq '{LOCAL}'"}), "Url") == [LOCAL]

    # --- rename -------------------------------------------------------------------------------------------
    assert_no_content(put(client, box_key("box1"), {"Name": "clinic", "Schema": APP}))
    colleague = relation_key("+colleague:work", "clinic")
    assert pairs(get(client, "Role", **{"$filter": "Name ne 'admin' and Name ne 'guest'"})) == [
        ("doctor", "clinic"), ("nurse", "clinic"), ("visiting-nurse", "clinic")]
    assert entity(client, colleague)["_Box.Name"] == "clinic"
    extrole = entity(client, extrole_key(DOCTOR_CLASS, "+colleague:work", "clinic"))
    assert_entity(extrole, "ExtRole", extrole_key(DOCTOR_CLASS, "+colleague:work", "clinic"),
                  {"ExtRole": DOCTOR_CLASS, "_Relation.Name": "+colleague:work",
                   "_Relation._Box.Name": "clinic"})
    assert links_of(client, account_key("alice"), "_Role") == uri_set(
        [uri(role_key("admin")), uri(role_key("doctor", "clinic")), uri(role_key("nurse", "clinic"))])
    assert links_of(client, extcell_key(PARTNER), "_Relation") == uri_set([uri(colleague)])
    assert_error(get(client, box_key("box1")), 404, "PR404-OD-0002")
    assert_error(get(client, role_key("doctor", "box1")), 404, "PR404-OD-0002")

    assert_no_content(merge(client, account_key("alice"), {"Name": "alice2"}))
    assert_no_content(merge(client, role_key("nurse", "clinic"), {"Name": "head-nurse"}))
    assert_no_content(put(client, extcell_key(PARTNER), {"Url": "https://partner2.example/"}))
    assert links_of(client, role_key("head-nurse", "clinic"), "_Account") == uri_set(
        [uri(account_key("alice2")), uri(account_key("bob"))])
    assert links_of(client, role_key("head-nurse", "clinic"), "_Relation") == uri_set([uri(colleague)])
    assert links_of(client, role_key("guest", "box2"), "_ExtCell") == uri_set(
        [uri(extcell_key("https://partner2.example/"))])

    # --- tear down ------------------------------------------------------------------------------------------
    assert_error(delete(client, box_key("clinic")), 409, "PR409-OD-0001")
    assert_error(delete(client, colleague), 409, "PR409-OD-0001")
    assert_no_content(unlink(client, account_key("alice2"), "_Role", role_key("admin")))
    assert links_of(client, role_key("admin"), "_Account") == []

    assert_no_content(delete(client, role_key("head-nurse", "clinic")))
    assert links_of(client, account_key("bob"), "_Role") == []
    assert links_of(client, colleague, "_Role") == []
    assert links_of(client, account_key("alice2"), "_Role") == uri_set([uri(role_key("doctor", "clinic"))])

    for url in (DOCTOR_CLASS, NURSE_CLASS):
        assert_no_content(delete(client, extrole_key(url, "+colleague:work", "clinic")))
    assert links_of(client, role_key("doctor", "clinic"), "_ExtRole") == []
    assert_no_content(delete(client, colleague))
    assert links_of(client, extcell_key("https://partner2.example/"), "_Relation") == []
    for name in ("doctor", "visiting-nurse"):
        assert_no_content(delete(client, role_key(name, "clinic")))
    assert_no_content(delete(client, box_key("clinic")))
    assert links_of(client, account_key("alice2"), "_Role") == []
    assert values(get(client, "Box")) == ["box2"]

    # the cell still holds objects: only the recursive delete removes it (notes §2.3)
    assert_error(client.delete("/__ctl/Cell('c1')", headers=MASTER_AUTH), 409, "PR409-OD-0001")
    response = client.delete("/c1/", headers={**MASTER_AUTH, "X-Personium-Recursive": "true"})
    assert response.status_code == 204, response.text
    assert_error(client.get("/__ctl/Cell('c1')", headers=MASTER_AUTH), 404, "PR404-OD-0002")
    assert_error(get(client, "Account"), 404, "PR404-DV-0003")


def test_box_rename_moves_the_whole_subtree(client, cell):
    """Renaming a Box (PUT or MERGE) keeps ``_Box.Name`` of its Roles and Relations, and
    ``_Relation._Box.Name`` of their ExtRoles, in sync."""
    create_box(client, "box1")
    create_role(client, "role1", "box1")
    create_relation(client, "rel1", "box1")
    assert post(client, f"{relation_key('rel1', 'box1')}/_ExtRole",
                {"ExtRole": DOCTOR_CLASS}).status_code == 201
    must_link(client, role_key("role1", "box1"), "_ExtRole", extrole_key(DOCTOR_CLASS, "rel1", "box1"))
    assert_no_content(merge(client, box_key("box1"), {"Name": "box2"}))
    assert entity(client, role_key("role1", "box2"))["_Box.Name"] == "box2"
    assert entity(client, relation_key("rel1", "box2"))["_Box.Name"] == "box2"
    assert entity(client, extrole_key(DOCTOR_CLASS, "rel1", "box2"))["_Relation._Box.Name"] == "box2"
    assert links_of(client, role_key("role1", "box2"), "_ExtRole") == uri_set(
        [uri(extrole_key(DOCTOR_CLASS, "rel1", "box2"))])
    assert pairs(get(client, f"{box_key('box2')}/_Role")) == [("role1", "box2")]
    results_ = results(get(client, "Role", **{"$expand": "_Box"}))
    assert [b["Name"] for b in results_[0]["_Box"]] == ["box2"]


def test_account_role_matrix(client, cell):
    """Many accounts × many roles: every link is listed exactly once from each side."""
    create_box(client, "box1")
    accounts = [f"acc{i}" for i in range(4)]
    roles = [("r0", None), ("r1", "box1"), ("r2", None)]
    for name in accounts:
        create_account(client, name)
    for name, box in roles:
        create_role(client, name, box)
    expected: dict[str, set[str]] = {a: set() for a in accounts}
    for i, account in enumerate(accounts):
        for j, (role, box) in enumerate(roles):
            if (i + j) % 2 == 0:
                must_link(client, account_key(account), "_Role", role_key(role, box))
                expected[account].add(role)
    for account in accounts:
        assert sorted(values(get(client, f"{account_key(account)}/_Role"))) == sorted(expected[account])
    for role, box in roles:
        linked = sorted(a for a in accounts if role in expected[a])
        assert links_of(client, role_key(role, box),
                        "_Account") == uri_set([uri(account_key(a)) for a in linked])
    assert_no_content(delete(client, account_key("acc0")))
    assert links_of(client, role_key("r0"), "_Account") == uri_set([uri(account_key("acc2"))])
