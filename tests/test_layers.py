"""The import rule: domain packages know nothing of Starlette or the HTTP layer; storage knows no domain."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src/cellar"
FORBIDDEN = {
    "odata": ("starlette", "cellar.http", "uvicorn"),
    "ctl": ("starlette", "cellar.http", "uvicorn"),
    "dav": ("starlette", "cellar.http", "uvicorn"),
    "unit": ("starlette", "cellar.http", "uvicorn"),
    "auth": ("starlette", "cellar.http", "uvicorn"),
    "events": ("starlette", "cellar.http", "uvicorn", "sqlalchemy"),
    "storage": ("starlette", "cellar.http", "cellar.ctl", "cellar.unit", "cellar.odata", "uvicorn"),
}


def imports_of(file: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(file.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_layer_imports(package: str) -> None:
    offenders = []
    for file in (SRC / package).rglob("*.py"):
        for name in imports_of(file):
            if name.startswith(FORBIDDEN[package]):
                offenders.append(f"{file.relative_to(SRC)} imports {name}")
    assert offenders == []
