"""``{CellURL}__role`` (notes §1.3, §4.4): the role URL space answers Personium's placeholder text and
needs ``auth-read`` (the permission matrix covers who may call it)."""

from __future__ import annotations

import pytest

from tests.helpers import MASTER_AUTH, assert_error, make_cell


@pytest.fixture
def cell(client):
    make_cell(client, "c1")
    for box in ("zeta", "alpha"):
        assert client.post("/c1/__ctl/Box", json={"Name": box}, headers=MASTER_AUTH).status_code == 201


def test_role_root_lists_the_main_box_then_the_boxes(client, cell):
    response = client.get("/c1/__role", headers=MASTER_AUTH)
    assert response.status_code == 200
    assert response.text == "__<br/>alpha<br/>zeta<br/>"


@pytest.mark.parametrize(("path", "text"), [("__role/alpha", "alpha"), ("__role/alpha/", "alpha"),
                                            ("__role/__", "__"), ("__role/__/reader", "__"),
                                            ("__role/alpha/reader", "alphareader")])
def test_box_and_role_urls_echo_their_names(client, cell, path, text):
    response = client.get(f"/c1/{path}", headers=MASTER_AUTH)
    assert response.status_code == 200
    assert response.text == text


def test_deeper_paths_are_not_recognised(client, cell):
    assert_error(client.get("/c1/__role/a/b/c", headers=MASTER_AUTH), 404, "PR404-MC-0001")


def test_only_get_and_options(client, cell):
    assert_error(client.post("/c1/__role", headers=MASTER_AUTH), 405, "PR405-MC-0001")
    options = client.options("/c1/__role", headers=MASTER_AUTH)
    assert options.status_code == 200
    assert options.headers["Allow"] == "OPTIONS, GET"


def test_missing_cell_is_404(client):
    assert_error(client.get("/nocell/__role", headers=MASTER_AUTH), 404, "PR404-DV-0003")
