"""The error catalog (data/error_catalog.tsv) against apiref/004_Error_Messages.md, and both body shapes.

``tests/data/personium_error_messages.tsv`` holds the page's facts (code, OAuth error, message template), one
row per documented code in page order, so the test needs nothing outside the repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cellar.errors import CATALOG, PersoniumError, format_message
from cellar.http.errors import error_response

DOCUMENTED = Path(__file__).resolve().parent / "data/personium_error_messages.tsv"
SRC = Path(__file__).resolve().parents[1] / "src/cellar"

#: Where the real server's code differs from the page, the notes (personium-core-notes.md) win.
NOTES_OVERRIDE = {
    "PR400-AN-0020": "PR401-AN-0020",  # notes §3.3: 401 "Client mismatch. [..] expected, but was [..]"
    "PR400-AN-0021": "PR401-AN-0021",  # notes §3.3: 401
}
TEMPLATE_OVERRIDE = {"PR400-DV-0006", "PR409-MC-0001", "PR401-AN-0020"}


def documented_rows() -> list[tuple[str, str, str]]:
    header, *lines = DOCUMENTED.read_text("utf-8").splitlines()
    assert header.split("\t") == ["code", "oauth_error", "template"]
    rows = []
    for line in lines:
        code, oauth, template = line.split("\t")
        assert re.fullmatch(r"PR\d{3}-[A-Z]{2}-\d{4}", code), line
        rows.append((code, oauth, template))
    return rows


@pytest.mark.parametrize(("code", "oauth", "template"), documented_rows())
def test_every_documented_code_is_in_the_catalog(code: str, oauth: str, template: str) -> None:
    code = NOTES_OVERRIDE.get(code, code)
    spec = CATALOG[code]
    assert spec.status == int(code[2:5])
    assert (spec.oauth_error or "") == oauth
    if code not in TEMPLATE_OVERRIDE:
        assert spec.template == template


def test_page_has_all_rows() -> None:
    assert len(documented_rows()) > 200


def test_every_code_raised_in_the_source_exists() -> None:
    used = set()
    for file in SRC.rglob("*.py"):
        used |= set(re.findall(r'"(PR\d{3}-[A-Z]{2}-\d{4})"', file.read_text("utf-8")))
    assert used, "the scan found nothing"
    assert sorted(used - set(CATALOG)) == []


def test_message_format_quoting() -> None:
    assert format_message("An unknown property with name ''{0}'' was found.", ("X",)) == \
        "An unknown property with name 'X' was found."
    assert format_message("[{0}] is required.", ("Name",)) == "[Name] is required."
    assert format_message("a\tb {0}", ("x\ny",)) == "a\tb x\\u000ay"


def test_standard_body_shape() -> None:
    response = error_response(PersoniumError("PR400-OD-0009", "Name"))
    assert response.status_code == 400
    assert response.body == b'{"code":"PR400-OD-0009","message":{"lang":"en","value":"[Name] is required."}}'


def test_oauth_body_shape() -> None:
    response = error_response(PersoniumError("PR400-AN-0017"), oauth=True)
    assert response.status_code == 400
    assert response.body == b'{"error":"invalid_grant","error_description":"[PR400-AN-0017] - Authentication failed."}'
