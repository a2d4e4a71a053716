"""Cell root — apiref/296_Get_Cell_Metadata.md (JSON), notes §1.3 (XML), apiref/200_Cell_Root.md
(relay HTML; not configurable yet), §1.2 (path-based cell URLs, PR404-DV-0003)."""

from __future__ import annotations

import pytest
from lxml import etree

from tests.api._support import cell_url
from tests.conftest import UNIT
from tests.helpers import MASTER_AUTH, assert_error, make_cell

PERSONIUM_NS = "urn:x-personium:xmlns"
JSON = {"Accept": "application/json"}
XML = {"Accept": "application/xml"}


def test_cell_metadata_json(client):
    make_cell(client, "cell1")
    response = client.get("/cell1/", headers=JSON)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["x-personium-version"] == "1.8.4"
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.json() == {
        "cell": {"name": "cell1", "url": cell_url("cell1")},
        "unit": {"url": UNIT, "path_based_cellurl_enabled": True},
    }


def test_cell_metadata_json_with_master_token(client):
    make_cell(client, "cell1")
    response = client.get("/cell1/", headers=MASTER_AUTH)
    assert response.json()["cell"]["name"] == "cell1"


def test_cell_metadata_json_among_other_types(client):
    """notes §1.3: JSON 'if Accept includes application/json'."""
    make_cell(client, "cell1")
    response = client.get("/cell1/", headers={"Accept": "text/html;q=0.5, application/json"})
    assert response.status_code == 200
    assert response.json()["cell"]["url"] == cell_url("cell1")


def test_cell_metadata_xml(client):
    make_cell(client, "cell1")
    response = client.get("/cell1/", headers=XML)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    root = etree.fromstring(response.content)
    assert root.tag == f"{{{PERSONIUM_NS}}}cell"
    uuid = root.find(f"{{{PERSONIUM_NS}}}uuid")
    assert uuid is not None and uuid.text
    # Java: <ctl>{cellUrl}__ctl/</ctl>
    assert root.find(f"{{{PERSONIUM_NS}}}ctl").text == f"{cell_url('cell1')}__ctl/"


def test_cell_uuid_is_stable_and_distinct(client):
    make_cell(client, "cell1")
    make_cell(client, "cell2")

    def uuid(name):
        root = etree.fromstring(client.get(f"/{name}/", headers=XML).content)
        return root.find(f"{{{PERSONIUM_NS}}}uuid").text

    assert uuid("cell1") == uuid("cell1")
    assert uuid("cell1") != uuid("cell2")


def test_cell_uuid_survives_a_rename(client):
    make_cell(client, "cell1")
    before = etree.fromstring(client.get("/cell1/", headers=XML).content).find(f"{{{PERSONIUM_NS}}}uuid").text
    client.put("/__ctl/Cell('cell1')", json={"Name": "cell2"}, headers=MASTER_AUTH)
    after = etree.fromstring(client.get("/cell2/", headers=XML).content).find(f"{{{PERSONIUM_NS}}}uuid").text
    assert before == after


@pytest.mark.parametrize("accept", [JSON, XML, {"Accept": "text/html"}, {}])
def test_unknown_cell_is_404(client, accept):
    body = assert_error(client.get("/nosuch/", headers=accept), 404, "PR404-DV-0003")
    assert body["message"]["value"] == "Cell not found."


def test_unknown_cell_below_the_root_is_404(client):
    assert_error(client.get("/nosuch/box1/file", headers=JSON), 404, "PR404-DV-0003")


def test_cell_names_in_urls_are_case_sensitive(client):
    make_cell(client, "cell1")
    assert_error(client.get("/CELL1/", headers=JSON), 404, "PR404-DV-0003")


def test_html_without_relay_url_is_412(client):
    """Page 200: the relay HTML needs the unit setting or the cell property p:relayhtmlurl;
    with neither configured the server answers 412 PR412-UI-0001 'Property [relayhtmlurl] not configured.'"""
    make_cell(client, "cell1")
    response = client.get("/cell1/", headers={"Accept": "text/html"})
    assert_error(response, 412, "PR412-UI-0001")


def test_head_on_cell_root(client):
    make_cell(client, "cell1")
    response = client.head("/cell1/", headers=JSON)
    assert response.status_code == 200
    assert response.content == b""


@pytest.mark.parametrize("method", ["PUT", "PATCH", "MERGE"])
def test_other_methods_on_cell_root_are_405(client, method):
    make_cell(client, "cell1")
    response = client.request(method, "/cell1/", headers=MASTER_AUTH)
    assert_error(response, 405, "PR405-MC-0001")
