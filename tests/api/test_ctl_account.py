"""Account — apiref 212 (create), 213 (retrieve), 214 (list), 215 (update), 2AC (merge), 216 (delete),
221/222 (navigation); notes §5 (NAME_WITH_SIGN), §5.1 (Type, IPAddressRange, Status, hidden hash),
§8.1 (``X-Personium-Credential`` policy), §5.4, §5.5."""

from __future__ import annotations

import json

import pytest

from tests.api._ctl_support import (
    account_key,
    assert_all_navs,
    assert_core_navs,
    assert_created,
    assert_entity,
    assert_no_content,
    create_account,
    create_box,
    create_role,
    delete,
    entity,
    etag_of,
    etag_parts,
    form_encode,
    get,
    if_match,
    links_of,
    merge,
    must_link,
    new_cell,
    post,
    put,
    results,
    role_key,
    uri,
    uri_set,
    values,
)
from tests.helpers import MASTER_AUTH, assert_error


@pytest.fixture
def cell(client):
    return new_cell(client)


DEFAULTS = {"Type": "basic", "Cell": None, "IPAddressRange": None, "Status": "active"}
PASSWORD = "Secret-pass_1"
HIDDEN = ("HashedCredential", "HashAlgorithm", "HashAttributes")


def account(name, **props):
    return {"Name": name, **DEFAULTS, **props}


def with_credential(password):
    return {**MASTER_AUTH, "X-Personium-Credential": password}


def assert_no_secret(response, password=PASSWORD):
    """Neither the password nor any hidden hash field appears anywhere in a response (notes §5.1)."""
    text = response.text
    assert password not in text
    for field in HIDDEN:
        assert field not in text
    assert "scrypt" not in text.lower()


# --- create (page 212) --------------------------------------------------------------------------------------

def test_create_minimal_account(client, cell):
    response = post(client, "Account", {"Name": "acc1"})
    item = assert_created(response, "Account", account_key("acc1"), account("acc1"))
    assert_core_navs(item, "Account")


def test_create_with_every_property(client, cell):
    body = {"Name": "acc1", "Type": "basic oidc:google", "IPAddressRange": "192.127.0.2,192.128.0.0/24",
            "Status": "deactivated"}
    response = post(client, "Account", body)
    assert_created(response, "Account", account_key("acc1"), account("acc1", **body))


def test_create_with_credential(client, cell):
    response = post(client, "Account", {"Name": "acc1"}, headers=with_credential(PASSWORD))
    assert_created(response, "Account", account_key("acc1"), account("acc1"))
    assert_no_secret(response)


def test_created_account_is_retrievable(client, cell):
    created = create_account(client, "acc1", PASSWORD, Status="passwordChangeRequired")
    response = get(client, account_key("acc1"))
    assert response.status_code == 200
    assert response.headers["etag"] == created["__metadata"]["etag"]
    assert_entity(results(response), "Account", account_key("acc1"), account("acc1",
                                                                             Status="passwordChangeRequired"))
    assert_no_secret(response)


GOOD_NAMES = [
    pytest.param("a", id="length-1"),
    pytest.param("0", id="digit"),
    pytest.param("A" * 128, id="length-128"),
    pytest.param("user.name@example.com", id="email"),
    pytest.param("a-_!$*=^`{|}~.@", id="every-sign"),
    pytest.param("Z" + "!" * 127, id="signs-after-first-128"),
]


@pytest.mark.parametrize("name", GOOD_NAMES)
def test_valid_account_names(client, cell, name):
    response = post(client, "Account", {"Name": name})
    assert_created(response, "Account", account_key(name), account(name))
    assert results(get(client, account_key(name)))["Name"] == name


def test_metadata_uri_form_encodes_signs(client, cell):
    """notes §5.2: single keys are form-encoded in ``__metadata.uri``/``Location`` (Java URLEncoder:
    only ``A-Za-z0-9.-*_`` stay as they are)."""
    item = results(get(client, account_key(create_account(client, "a!$*=^`{|}~.@")["Name"])))
    expected = "http://localhost:8080/c1/__ctl/Account('a%21%24*%3D%5E%60%7B%7C%7D%7E.%40')"
    assert item["__metadata"]["uri"] == expected
    assert form_encode("a!$*=^`{|}~.@") == "a%21%24*%3D%5E%60%7B%7C%7D%7E.%40"


BAD_NAMES = [
    pytest.param("", id="empty"),
    pytest.param("a" * 129, id="length-129"),
    pytest.param("-a", id="leading-hyphen"),
    pytest.param("_a", id="leading-underscore"),
    pytest.param(".a", id="leading-dot"),
    pytest.param("@a", id="leading-at"),
    pytest.param("!a", id="leading-bang"),
    pytest.param("~a", id="leading-tilde"),
    pytest.param("a b", id="space"),
    pytest.param("a/b", id="slash"),
    pytest.param("a'b", id="quote"),
    pytest.param("a#b", id="hash"),
    pytest.param("a%b", id="percent"),
    pytest.param("a&b", id="ampersand"),
    pytest.param("a(b", id="parenthesis"),
    pytest.param("a,b", id="comma"),
    pytest.param("a:b", id="colon"),
    pytest.param("a+b", id="plus"),
    pytest.param("a?b", id="question-mark"),
    pytest.param("añb", id="non-ascii"),
]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_invalid_account_names(client, cell, name):
    body = assert_error(post(client, "Account", {"Name": name}), 400, "PR400-OD-0006")
    assert "Name" in body["message"]["value"]
    assert values(get(client, "Account")) == []


GOOD_TYPES = ["basic", "oidc:google", "basic oidc:google", "oidc:google basic"]


@pytest.mark.parametrize("account_type", GOOD_TYPES)
def test_valid_types(client, cell, account_type):
    response = post(client, "Account", {"Name": "acc1", "Type": account_type})
    assert_created(response, "Account", account_key("acc1"), account("acc1", Type=account_type))


BAD_TYPES = [
    pytest.param("basic basic", id="duplicate-basic"),
    pytest.param("oidc:google basic oidc:google", id="duplicate-oidc"),
    pytest.param("unknown", id="unknown"),
    pytest.param("basic unknown", id="basic-and-unknown"),
    pytest.param("Basic", id="capitalised"),
    pytest.param("oidc", id="oidc-alone"),
    pytest.param("basic,oidc:google", id="comma-separated"),
    pytest.param("", id="empty"),
]


@pytest.mark.parametrize("account_type", BAD_TYPES)
def test_invalid_types(client, cell, account_type):
    body = assert_error(post(client, "Account", {"Name": "acc1", "Type": account_type}), 400, "PR400-OD-0006")
    assert "Type" in body["message"]["value"]
    assert_error(get(client, account_key("acc1")), 404, "PR404-OD-0002")


@pytest.mark.parametrize("status", ["active", "deactivated", "passwordChangeRequired"])
def test_valid_statuses(client, cell, status):
    response = post(client, "Account", {"Name": "acc1", "Status": status})
    assert_created(response, "Account", account_key("acc1"), account("acc1", Status=status))


@pytest.mark.parametrize("status", ["Active", "inactive", "locked", "passwordchangerequired", "", "active "])
def test_invalid_statuses(client, cell, status):
    body = assert_error(post(client, "Account", {"Name": "acc1", "Status": status}), 400, "PR400-OD-0006")
    assert "Status" in body["message"]["value"]


GOOD_RANGES = [
    pytest.param("192.168.0.1", id="address"),
    pytest.param("0.0.0.0", id="zero-address"),
    pytest.param("255.255.255.255", id="broadcast"),
    pytest.param("10.0.0.0/1", id="cidr-1"),
    pytest.param("10.0.0.0/8", id="cidr-8"),
    pytest.param("192.168.0.0/24", id="cidr-24"),
    pytest.param("192.168.0.1/32", id="cidr-32"),
    pytest.param("192.127.0.2,192.128.0.0/24", id="page-212-sample"),
    pytest.param("1.2.3.4,5.6.7.8,9.10.11.0/16", id="three-entries"),
]


@pytest.mark.parametrize("ip_range", GOOD_RANGES)
def test_valid_ip_address_ranges(client, cell, ip_range):
    response = post(client, "Account", {"Name": "acc1", "IPAddressRange": ip_range})
    assert_created(response, "Account", account_key("acc1"), account("acc1", IPAddressRange=ip_range))


def test_every_cidr_prefix_from_1_to_32(client, cell):
    """notes §5.1: CIDR prefixes /1 to /32 are allowed (Java: ``/[1-9]|/[1-2][0-9]|/3[0-2]``)."""
    create_account(client, "acc1")
    for prefix in range(1, 33):
        ip_range = f"10.1.2.3/{prefix},192.168.0.0/{prefix}"
        response = merge(client, account_key("acc1"), {"IPAddressRange": ip_range})
        assert response.status_code == 204, (prefix, response.text)
        assert entity(client, account_key("acc1"))["IPAddressRange"] == ip_range


@pytest.mark.parametrize("prefix", ["0", "33", "01", "08", "100", "+8", " 8"])
def test_cidr_prefixes_outside_1_to_32(client, cell, prefix):
    response = post(client, "Account", {"Name": "acc1", "IPAddressRange": f"10.0.0.0/{prefix}"})
    assert_error(response, 400, "PR400-OD-0006")


BAD_RANGES = [
    pytest.param("192.168.0.0/0", id="cidr-0"),
    pytest.param("192.168.0.0/33", id="cidr-33"),
    pytest.param("192.168.0.0/", id="empty-prefix"),
    pytest.param("192.168.0.0/x", id="letter-prefix"),
    pytest.param("192.168.0.0/-1", id="negative-prefix"),
    pytest.param("256.0.0.1", id="octet-256"),
    pytest.param("01.2.3.4", id="leading-zero-octet"),
    pytest.param("192.168.0", id="three-octets"),
    pytest.param("192.168.0.1.5", id="five-octets"),
    pytest.param("192.168.0.a", id="letter-octet"),
    pytest.param("::1", id="ipv6"),
    pytest.param("localhost", id="hostname"),
    pytest.param("garbage", id="garbage"),
    pytest.param("", id="empty"),
    pytest.param("1.2.3.4,", id="trailing-comma"),
    pytest.param(",1.2.3.4", id="leading-comma"),
    pytest.param("1.2.3.4;5.6.7.8", id="semicolon"),
    pytest.param("1.2.3.4-1.2.3.9", id="dash-range"),
]


@pytest.mark.parametrize("ip_range", BAD_RANGES)
def test_invalid_ip_address_ranges(client, cell, ip_range):
    body = assert_error(post(client, "Account", {"Name": "acc1", "IPAddressRange": ip_range}), 400,
                        "PR400-OD-0006")
    assert "IPAddressRange" in body["message"]["value"]


def test_missing_name(client, cell):
    body = assert_error(post(client, "Account", {"Type": "basic"}), 400, "PR400-OD-0009")
    assert body["message"]["value"] == "[Name] is required."


@pytest.mark.parametrize("field", [*HIDDEN, "Password", "Foo", "_Box.Name"])
def test_unknown_and_hidden_properties_are_rejected(client, cell, field):
    """Hidden fields are not exposed through OData (notes §5.1), so they are unknown properties."""
    assert_error(post(client, "Account", {"Name": "acc1", field: "x"}), 400, "PR400-OD-0007")
    assert_error(get(client, account_key("acc1")), 404, "PR404-OD-0002")


@pytest.mark.parametrize("prop,value", [("Type", 1), ("Status", True), ("IPAddressRange", ["1.2.3.4"]),
                                        ("Name", {"x": 1})])
def test_non_string_values(client, cell, prop, value):
    body = {"Name": "acc1", prop: value}
    assert_error(post(client, "Account", body), 400, "PR400-OD-0006")


def test_duplicate(client, cell):
    create_account(client, "acc1")
    assert_error(post(client, "Account", {"Name": "acc1"}), 409, "PR409-OD-0003")


# --- credential policy (notes §8.1: 1..256 chars and ^[a-zA-Z0-9-_!$*=^`{|}~.@]{6,32}$) ---------------------

GOOD_PASSWORDS = [
    pytest.param("abc123", id="length-6"),
    pytest.param("p" * 32, id="length-32"),
    pytest.param("-_!$*=^`{|}~.@", id="every-sign"),
    pytest.param("Passw0rd", id="mixed"),
]


@pytest.mark.parametrize("password", GOOD_PASSWORDS)
def test_credentials_that_meet_the_policy(client, cell, password):
    response = post(client, "Account", {"Name": "acc1"}, headers=with_credential(password))
    assert response.status_code == 201, response.text
    assert_no_secret(response, password)


BAD_PASSWORDS = [
    pytest.param("", id="empty"),
    pytest.param("abc12", id="length-5"),
    pytest.param("p" * 33, id="length-33"),
    pytest.param("p" * 257, id="length-257"),
    pytest.param("pass word", id="space"),
    pytest.param("password#1", id="hash"),
    pytest.param("pass&word", id="ampersand"),
    pytest.param("pass'word", id="quote"),
    pytest.param("pass(word)", id="parentheses"),
    pytest.param("pass/word", id="slash"),
]


@pytest.mark.parametrize("password", BAD_PASSWORDS)
def test_credential_breaking_the_policy_creates_nothing(client, cell, password):
    response = post(client, "Account", {"Name": "acc1"}, headers=with_credential(password))
    body = assert_error(response, 400, "PR400-AU-0001")
    assert body["message"]["value"] == "Password format is invalid."
    assert_error(get(client, account_key("acc1")), 404, "PR404-OD-0002")
    assert values(get(client, "Account")) == []


def test_put_with_bad_credential_changes_nothing(client, cell):
    etag = create_account(client, "acc1", PASSWORD)["__metadata"]["etag"]
    response = put(client, account_key("acc1"), {"Name": "acc2", "Status": "deactivated"},
                   headers=with_credential("short"))
    assert_error(response, 400, "PR400-AU-0001")
    assert etag_of(client, account_key("acc1")) == etag
    assert_error(get(client, account_key("acc2")), 404, "PR404-OD-0002")


def test_merge_with_bad_credential_changes_nothing(client, cell):
    etag = create_account(client, "acc1", PASSWORD)["__metadata"]["etag"]
    response = merge(client, account_key("acc1"), {"Status": "deactivated"},
                     headers=with_credential("a b c d e f"))
    assert_error(response, 400, "PR400-AU-0001")
    assert etag_of(client, account_key("acc1")) == etag
    assert entity(client, account_key("acc1"))["Status"] == "active"


def test_put_and_merge_with_a_good_credential(client, cell):
    create_account(client, "acc1", PASSWORD)
    response = put(client, account_key("acc1"), {"Name": "acc1"}, headers=with_credential("Another-1"))
    assert_no_content(response)
    response = merge(client, account_key("acc1"), {}, headers=with_credential("Third-pass"))
    assert_no_content(response)
    assert etag_parts(etag_of(client, account_key("acc1")))[0] == 3


def test_password_never_appears_in_any_response(client, cell):
    create_box(client, "box1")
    create_role(client, "role1", "box1")
    created = post(client, "Account", {"Name": "acc1"}, headers=with_credential(PASSWORD))
    assert_no_secret(created)
    must_link(client, account_key("acc1"), "_Role", role_key("role1", "box1"))
    responses = [
        get(client, account_key("acc1")),
        get(client, "Account"),
        get(client, "Account", **{"$select": "*"}),
        get(client, "Account", **{"$expand": "_Role"}),
        get(client, "Account", **{"$format": "atom"}),
        get(client, f"{role_key('role1', 'box1')}/_Account"),
        get(client, role_key("role1", "box1"), **{"$expand": "_Account"}),
        get(client, "Role", **{"$expand": "_Account"}),
        put(client, account_key("acc1"), {"Name": "acc1"}, headers=with_credential(PASSWORD)),
        merge(client, account_key("acc1"), {"Status": "active"}, headers=with_credential(PASSWORD)),
    ]
    for response in responses:
        assert response.status_code in (200, 204), response.text
        assert_no_secret(response)
    listed = results(get(client, "Account"))[0]
    assert set(listed) - {"_Role", "_ReceivedMessageRead"} == {
        "__metadata", "__published", "__updated", "Name", "Type", "Cell", "IPAddressRange", "Status"}


def test_filter_on_a_hidden_field_is_unknown(client, cell):
    create_account(client, "acc1", PASSWORD)
    assert_error(get(client, "Account", **{"$filter": "HashedCredential eq 'x'"}), 400, "PR400-OD-0045")


# --- retrieve (page 213) ------------------------------------------------------------------------------------

@pytest.mark.parametrize("key", ["Account('acc1')", "Account(Name='acc1')"])
def test_key_forms(client, cell, key):
    create_account(client, "acc1")
    assert_entity(results(get(client, key)), "Account", account_key("acc1"), account("acc1"))


def test_retrieve_navigation_like_page_213(client, cell):
    """Page 213's sample: ``_Role`` and ``_ReceivedMessageRead`` (notes §5.1)."""
    create_account(client, "acc1")
    assert_all_navs(entity(client, account_key("acc1")), "Account")


def test_retrieve_missing(client, cell):
    assert_error(get(client, account_key("nope")), 404, "PR404-OD-0002")


def test_retrieve_a_name_with_signs_by_its_metadata_uri(client, cell):
    created = create_account(client, "a~b.c@d")
    response = client.get(created["__metadata"]["uri"], headers=MASTER_AUTH)
    assert response.status_code == 200, response.text
    assert results(response)["Name"] == "a~b.c@d"


# --- list (page 214) ----------------------------------------------------------------------------------------

@pytest.fixture
def accounts(client, cell):
    create_account(client, "alice", Type="basic", Status="active")
    create_account(client, "bob", Type="oidc:google", Status="deactivated", IPAddressRange="10.0.0.0/8")
    create_account(client, "carol", Type="basic oidc:google", Status="passwordChangeRequired")
    return client


def test_list(accounts):
    items = {i["Name"]: i for i in results(get(accounts, "Account"))}
    assert sorted(items) == ["alice", "bob", "carol"]
    assert_entity(items["bob"], "Account", account_key("bob"),
                  account("bob", Type="oidc:google", Status="deactivated", IPAddressRange="10.0.0.0/8"))


@pytest.mark.parametrize("expression,expected", [
    ("Status eq 'deactivated'", ["bob"]),
    ("Type eq 'basic'", ["alice"]),
    ("IPAddressRange eq null", ["alice", "carol"]),
    ("IPAddressRange ne null", ["bob"]),
    ("startswith(Type,'basic')", ["alice", "carol"]),
    ("Name eq 'carol' and Status eq 'passwordChangeRequired'", ["carol"]),
    ("Name eq 'nobody'", []),
])
def test_list_filter(accounts, expression, expected):
    assert sorted(values(get(accounts, "Account", **{"$filter": expression}))) == expected


def test_list_orderby_top_skip_count(accounts):
    body = get(accounts, "Account", **{"$orderby": "Status desc,Name", "$top": "2", "$skip": "1",
                                       "$inlinecount": "allpages"}).json()
    assert [i["Name"] for i in body["d"]["results"]] == ["bob", "alice"]
    assert body["d"]["__count"] == "3"


def test_list_select(accounts):
    items = results(get(accounts, "Account", **{"$select": "Status", "$orderby": "Name"}))
    assert [i["Status"] for i in items] == ["active", "deactivated", "passwordChangeRequired"]
    assert [i["Name"] for i in items] == ["alice", "bob", "carol"]  # the key is always there
    assert all("Type" not in i for i in items)


# --- update (page 215) --------------------------------------------------------------------------------------

def test_put_resets_omitted_properties(client, cell):
    """Page 215: Type → basic, IPAddressRange → null, Status → active when omitted."""
    created = create_account(client, "acc1", Type="oidc:google", IPAddressRange="10.0.0.1",
                             Status="deactivated")
    response = put(client, account_key("acc1"), {"Name": "acc1"})
    assert_no_content(response)
    assert etag_parts(response.headers["etag"])[0] == 2
    item = entity(client, account_key("acc1"))
    assert_entity(item, "Account", account_key("acc1"), account("acc1"))
    assert item["__published"] == created["__published"]


def test_put_rename_with_type(client, cell):
    """Page 215's second sample: ``{"Name": "account2","Type":"oidc:google"}``."""
    create_account(client, "account1")
    assert_no_content(put(client, account_key("account1"), {"Name": "account2", "Type": "oidc:google"}))
    assert_error(get(client, account_key("account1")), 404, "PR404-OD-0002")
    assert_entity(entity(client, account_key("account2")), "Account", account_key("account2"),
                  account("account2", Type="oidc:google"))


def test_put_rename_keeps_role_links(client, cell):
    create_account(client, "acc1")
    create_role(client, "role1")
    must_link(client, account_key("acc1"), "_Role", role_key("role1"))
    assert_no_content(put(client, account_key("acc1"), {"Name": "acc2"}))
    assert links_of(client, account_key("acc2"), "_Role") == uri_set([uri(role_key("role1"))])
    assert links_of(client, role_key("role1"), "_Account") == uri_set([uri(account_key("acc2"))])


def test_put_rename_onto_an_existing_account(client, cell):
    create_account(client, "acc1")
    create_account(client, "acc2")
    assert_error(put(client, account_key("acc1"), {"Name": "acc2"}), 409, "PR409-OD-0003")


@pytest.mark.parametrize("body", [{"Name": "acc1", "Type": "basic basic"}, {"Name": "acc1", "Status": "x"},
                                  {"Name": "acc1", "IPAddressRange": "1.2.3.4/0"}, {"Name": "-acc"}])
def test_put_invalid_values_change_nothing(client, cell, body):
    etag = create_account(client, "acc1", Status="deactivated")["__metadata"]["etag"]
    assert_error(put(client, account_key("acc1"), body), 400, "PR400-OD-0006")
    assert etag_of(client, account_key("acc1")) == etag


def test_put_if_match(client, cell):
    etag = create_account(client, "acc1")["__metadata"]["etag"]
    stale = {**MASTER_AUTH, "If-Match": 'W/"1-1"'}
    assert_error(put(client, account_key("acc1"), {"Name": "acc1", "Status": "deactivated"}, headers=stale),
                 412,
                 "PR412-OD-0002")
    assert_no_content(put(client, account_key("acc1"), {"Name": "acc1", "Status": "deactivated"},
                          headers=if_match(etag)))


# --- partial update (page 2AC) ------------------------------------------------------------------------------

def test_merge_changes_only_given_properties(client, cell):
    create_account(client, "acc1", Type="oidc:google", IPAddressRange="10.0.0.1")
    response = merge(client, account_key("acc1"), {"Status": "deactivated"})
    assert_no_content(response)
    assert etag_parts(response.headers["etag"])[0] == 2
    assert_entity(entity(client, account_key("acc1")), "Account", account_key("acc1"),
                  account("acc1", Type="oidc:google", IPAddressRange="10.0.0.1", Status="deactivated"))


def test_merge_rename_with_type(client, cell):
    create_account(client, "account1", Status="deactivated")
    assert_no_content(merge(client, account_key("account1"), {"Name": "account2", "Type": "oidc:google"}))
    assert_entity(entity(client, account_key("account2")), "Account", account_key("account2"),
                  account("account2", Type="oidc:google", Status="deactivated"))


def test_merge_ip_range_to_null(client, cell):
    create_account(client, "acc1", IPAddressRange="10.0.0.1")
    assert_no_content(merge(client, account_key("acc1"), {"IPAddressRange": None}))
    assert entity(client, account_key("acc1"))["IPAddressRange"] is None


def test_merge_invalid_value_changes_nothing(client, cell):
    create_account(client, "acc1")
    assert_error(merge(client, account_key("acc1"), {"Status": "frozen", "Type": "oidc:google"}), 400,
                 "PR400-OD-0006")
    assert_entity(entity(client, account_key("acc1")), "Account", account_key("acc1"), account("acc1"))


def test_merge_if_match(client, cell):
    create_account(client, "acc1")
    assert_error(merge(client, account_key("acc1"), {"Status": "deactivated"},
                       headers=if_match('W/"5-5"')), 412, "PR412-OD-0002")


def test_merge_missing(client, cell):
    assert_error(merge(client, account_key("nope"), {"Status": "active"}), 404, "PR404-OD-0002")


# --- delete (page 216) --------------------------------------------------------------------------------------

def test_delete(client, cell):
    create_account(client, "acc1", PASSWORD)
    assert_no_content(delete(client, account_key("acc1")))
    assert_error(get(client, account_key("acc1")), 404, "PR404-OD-0002")


def test_delete_drops_role_links_silently(client, cell):
    create_account(client, "acc1")
    create_role(client, "role1")
    create_role(client, "role2")
    must_link(client, account_key("acc1"), "_Role", role_key("role1"))
    must_link(client, account_key("acc1"), "_Role", role_key("role2"))
    assert_no_content(delete(client, account_key("acc1")))
    assert links_of(client, role_key("role1"), "_Account") == []
    assert links_of(client, role_key("role2"), "_Account") == []
    assert sorted(values(get(client, "Role"))) == ["role1", "role2"]


def test_delete_missing(client, cell):
    assert_error(delete(client, account_key("nope")), 404, "PR404-OD-0002")


def test_delete_if_match(client, cell):
    create_account(client, "acc1")
    assert_error(delete(client, account_key("acc1"), headers=if_match('W/"9-9"')), 412,
                 "PR412-OD-0002")
    assert entity(client, account_key("acc1"))["Name"] == "acc1"


# --- navigation (pages 221, 222) ----------------------------------------------------------------------------

def test_create_role_via_navigation(client, cell):
    create_account(client, "acc1")
    response = post(client, f"{account_key('acc1')}/_Role", {"Name": "role1"})
    assert_created(response, "Role", role_key("role1"), {"Name": "role1", "_Box.Name": None})
    assert links_of(client, account_key("acc1"), "_Role") == uri_set([uri(role_key("role1"))])
    assert links_of(client, role_key("role1"), "_Account") == uri_set([uri(account_key("acc1"))])


def test_create_boxed_role_via_navigation(client, cell):
    create_box(client, "box1")
    create_account(client, "acc1")
    response = post(client, f"{account_key('acc1')}/_Role", {"Name": "role1", "_Box.Name": "box1"})
    assert_created(response, "Role", role_key("role1", "box1"), {"Name": "role1", "_Box.Name": "box1"})
    assert links_of(client, account_key("acc1"), "_Role") == uri_set([uri(role_key("role1", "box1"))])


def test_create_role_via_navigation_in_a_missing_box(client, cell):
    create_account(client, "acc1")
    assert_error(post(client, f"{account_key('acc1')}/_Role", {"Name": "role1", "_Box.Name": "nobox"}), 400,
                 "PR400-OD-0024")
    assert links_of(client, account_key("acc1"), "_Role") == []
    assert values(get(client, "Role")) == []


def test_list_roles_via_navigation(client, cell):
    create_box(client, "box1")
    create_account(client, "acc1")
    create_role(client, "role1")
    create_role(client, "role2", "box1")
    create_role(client, "role3")
    must_link(client, account_key("acc1"), "_Role", role_key("role1"))
    must_link(client, account_key("acc1"), "_Role", role_key("role2", "box1"))
    items = results(get(client, f"{account_key('acc1')}/_Role"))
    assert sorted((i["Name"], i["_Box.Name"] or "") for i in items) == [("role1", ""), ("role2", "box1")]
    for item in items:
        assert_entity(item, "Role", role_key(item["Name"], item["_Box.Name"]),
                      {"Name": item["Name"], "_Box.Name": item["_Box.Name"]})
    assert values(get(client, f"{account_key('acc1')}/_Role", **{"$filter": "Name eq 'role2'"})) == ["role2"]


# --- $expand ------------------------------------------------------------------------------------------------

def test_expand_roles_on_single_and_list(client, cell):
    create_account(client, "acc1")
    create_account(client, "acc2")
    create_role(client, "role1")
    must_link(client, account_key("acc1"), "_Role", role_key("role1"))
    single = results(get(client, account_key("acc1"), **{"$expand": "_Role"}))
    assert [r["Name"] for r in single["_Role"]] == ["role1"]
    assert_entity(single["_Role"][0], "Role", role_key("role1"), {"Name": "role1", "_Box.Name": None})
    items = {i["Name"]: i for i in results(get(client, "Account", **{"$expand": "_Role"}))}
    assert [r["Name"] for r in items["acc1"]["_Role"]] == ["role1"]
    assert items["acc2"]["_Role"] == []


def test_expand_on_list_with_box(client, cell):
    create_account(client, "acc1")
    assert_error(get(client, "Account", **{"$expand": "_Box"}), 400, "PR400-OD-0026")


def test_body_is_plain_json(client, cell):
    """Page 212: the request body is JSON even when the Content-Type says otherwise."""
    response = client.post("/c1/__ctl/Account", content=json.dumps({"Name": "acc1"}),
                           headers={**MASTER_AUTH, "Content-Type": "text/plain"})
    assert response.status_code == 201, response.text
