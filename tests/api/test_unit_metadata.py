"""Unit metadata — apiref/107_Get_Unit_Metadata.md (notes §1.2); the unit control service's
``$metadata`` (EDMX) and service document (notes §7.1)."""

from __future__ import annotations

import pytest
from lxml import etree

from tests.api._support import CTL
from tests.conftest import UNIT
from tests.helpers import MASTER_AUTH, assert_error

EDMX = "{http://schemas.microsoft.com/ado/2007/06/edmx}"
EDM = "{http://schemas.microsoft.com/ado/2006/04/edm}"
APP = "{http://www.w3.org/2007/app}"
ATOM = "{http://www.w3.org/2005/Atom}"


# --- GET {UnitURL} (page 107) ----------------------------------------------------------------------------

def test_unit_metadata(client):
    response = client.get("/", headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["x-personium-version"] == "1.8.4"
    assert response.headers["access-control-allow-origin"] == "*"
    # path-based cell URLs are the Cellar default (this unit runs in path mode)
    assert response.json() == {"unit": {"url": UNIT, "path_based_cellurl_enabled": True}}


@pytest.mark.parametrize("headers", [{}, {"Accept": "*/*"}, MASTER_AUTH])
def test_unit_metadata_is_json_by_default_and_with_a_token(client, headers):
    """Page 107: Accept defaults to application/json; no privileges needed."""
    response = client.get("/", headers=headers)
    assert response.status_code == 200
    assert response.json()["unit"]["url"] == UNIT


def test_unit_metadata_head(client):
    response = client.head("/")
    assert response.status_code == 200
    assert response.content == b""


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "MERGE"])
def test_unit_root_other_methods_are_405(client, method):
    assert_error(client.request(method, "/", headers=MASTER_AUTH), 405, "PR405-MC-0001")


# --- {UnitURL}__ctl/$metadata ------------------------------------------------------------------------------

def test_ctl_metadata_is_edmx(client):
    response = client.get("/__ctl/$metadata")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    assert response.headers["dataserviceversion"] == "2.0"
    root = etree.fromstring(response.content)
    assert root.tag == f"{EDMX}Edmx"
    schema = root.find(f"{EDMX}DataServices/{EDM}Schema")
    assert schema.get("Namespace") == "UnitCtl"


def test_ctl_metadata_describes_cell(client):
    root = etree.fromstring(client.get("/__ctl/$metadata", headers=MASTER_AUTH).content)
    schema = root.find(f"{EDMX}DataServices/{EDM}Schema")
    cell = schema.find(f"{EDM}EntityType[@Name='Cell']")
    assert cell is not None
    assert [ref.get("Name") for ref in cell.findall(f"{EDM}Key/{EDM}PropertyRef")] == ["Name"]
    props = {p.get("Name"): p for p in cell.findall(f"{EDM}Property")}
    assert set(props) == {"Name", "__published", "__updated"}  # Owner is hidden (notes §2.3)
    assert props["Name"].get("Type") == "Edm.String"
    assert props["Name"].get("Nullable") == "false"
    assert props["__published"].get("Type") == "Edm.DateTime"
    assert props["__updated"].get("Type") == "Edm.DateTime"
    sets = schema.findall(f"{EDM}EntityContainer/{EDM}EntitySet")
    assert [(s.get("Name"), s.get("EntityType")) for s in sets] == [("Cell", "UnitCtl.Cell")]


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_ctl_metadata_is_read_only(client, method):
    assert_error(client.request(method, "/__ctl/$metadata", headers=MASTER_AUTH), 405, "PR405-MC-0001")


# --- {UnitURL}__ctl/ service document -----------------------------------------------------------------------

def test_service_document(client):
    response = client.get("/__ctl/", headers={"Authorization": MASTER_AUTH["Authorization"]})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atomsvc+xml")
    root = etree.fromstring(response.content)
    assert root.tag == f"{APP}service"
    assert root.get("{http://www.w3.org/XML/1998/namespace}base") == CTL
    hrefs = [c.get("href") for c in root.findall(f"{APP}workspace/{APP}collection")]
    assert hrefs == ["Cell"]


def test_service_document_json(client):
    response = client.get("/__ctl/", headers=MASTER_AUTH)
    assert response.status_code == 200
    assert response.json() == {"d": {"EntitySets": ["Cell"]}}
