"""Box content and the cell's lifecycle (apiref 104, 105, 260, 295; notes §2.3, §5.4): files in the main box
make a cell non-empty, a main box ACL alone does not, and the recursive deletes leave no node or body."""

from __future__ import annotations

from sqlalchemy import func, select

from cellar.storage.tables import dav_blob_chunks, dav_blobs, dav_nodes
from tests.api._dav_support import AUTH
from tests.helpers import MASTER_AUTH, assert_error, make_cell

EVERYONE_READS = (b'<D:acl xmlns:D="DAV:"><D:ace><D:principal><D:all/></D:principal><D:grant><D:privilege>'
                  b"<D:read/></D:privilege></D:grant></D:ace></D:acl>")


def _rows(storage, table) -> int:
    with storage.transaction("test.count", write=False) as tx:
        return tx.conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_a_file_in_the_main_box_keeps_the_cell_from_a_plain_delete(client):
    make_cell(client, "c1")
    assert client.put("/c1/__/f.txt", content=b"x", headers=AUTH).status_code == 201
    assert_error(client.delete("/__ctl/Cell('c1')", headers=MASTER_AUTH), 409, "PR409-OD-0001")
    assert client.delete("/c1/__/f.txt", headers=AUTH).status_code == 204
    assert client.delete("/__ctl/Cell('c1')", headers=MASTER_AUTH).status_code == 204


def test_an_acl_on_the_main_box_alone_does_not(client, storage):
    make_cell(client, "c1")
    assert client.request("ACL", "/c1/__", content=EVERYONE_READS, headers=AUTH).status_code == 200
    assert client.delete("/__ctl/Cell('c1')", headers=MASTER_AUTH).status_code == 204
    assert _rows(storage, dav_nodes) == 0


def test_recursive_cell_delete_removes_every_node_and_body(client, storage):
    make_cell(client, "c1")
    assert client.post("/c1/__ctl/Box", json={"Name": "b"}, headers=MASTER_AUTH).status_code == 201
    for box in ("__", "b"):
        assert client.request("MKCOL", f"/c1/{box}/col", headers=AUTH).status_code == 201
        assert client.put(f"/c1/{box}/col/f.txt", content=b"x" * 100, headers=AUTH).status_code == 201
    assert _rows(storage, dav_blobs) == 2
    response = client.delete("/c1/", headers={**MASTER_AUTH, "X-Personium-Recursive": "true"})
    assert response.status_code == 204, response.text
    client.app.state.services.blobs.settle()  # chunks go in the background, after commit
    assert _rows(storage, dav_nodes) == _rows(storage, dav_blobs) == _rows(storage, dav_blob_chunks) == 0


def test_recursive_box_delete_leaves_the_other_boxes_alone(client, storage):
    make_cell(client, "c1")
    for box in ("a", "b"):
        assert client.post("/c1/__ctl/Box", json={"Name": box}, headers=MASTER_AUTH).status_code == 201
        assert client.put(f"/c1/{box}/f.txt", content=box.encode(), headers=AUTH).status_code == 201
        assert client.request("ACL", f"/c1/{box}", content=EVERYONE_READS, headers=AUTH).status_code == 200
    response = client.delete("/c1/a", headers={**MASTER_AUTH, "X-Personium-Recursive": "true"})
    assert response.status_code == 204, response.text
    assert client.get("/c1/b/f.txt").content == b"b"
    assert_error(client.get("/c1/a/f.txt", headers=AUTH), 404, "PR404-DV-0002")
    client.app.state.services.blobs.settle()
    assert _rows(storage, dav_blobs) == _rows(storage, dav_blob_chunks) == 1
    # a new box of the same name starts empty, its ACL included
    assert client.post("/c1/__ctl/Box", json={"Name": "a"}, headers=MASTER_AUTH).status_code == 201
    assert_error(client.get("/c1/a/f.txt", headers=AUTH), 404, "PR404-DV-0001")
    assert_error(client.get("/c1/a"), 401, "PR401-AU-0001")
