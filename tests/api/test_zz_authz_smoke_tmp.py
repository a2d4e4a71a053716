from tests.conftest import *  # noqa
from tests.helpers import MASTER_AUTH, make_cell

def test_smoke(client):
    make_cell(client, "user")
    make_cell(client, "app")
    r = client.post("/user/__ctl/Account", json={"Name": "me"}, headers={**MASTER_AUTH, "X-Personium-Credential": "password1"})
    assert r.status_code == 201, r.text
    q = {"response_type": "token", "client_id": "http://localhost:8080/app/", "redirect_uri": "http://localhost:8080/app/__/r.html", "state": "<script>x</script>"}
    r = client.get("/user/__authz", params=q, follow_redirects=False)
    print(r.status_code, r.headers)
    print(r.text)
    r = client.post("/user/__authz", data={**q, "username": "me", "password": "password1"}, follow_redirects=False)
    print(r.status_code, r.headers)
    r = client.post("/user/__authz", data={**q, "username": "me", "password": "bad"}, follow_redirects=False)
    print(r.status_code, r.headers)
