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
    "userdata": ("starlette", "cellar.http", "uvicorn", "cellar.ctl", "cellar.dav"),
    "unit": ("starlette", "cellar.http", "uvicorn"),
    "auth": ("starlette", "cellar.http", "uvicorn"),
    "events": ("starlette", "cellar.http", "uvicorn", "sqlalchemy"),
    "messaging": ("starlette", "cellar.http", "uvicorn"),
    "rules": ("starlette", "cellar.http", "uvicorn"),
    "storage": ("starlette", "cellar.http", "cellar.ctl", "cellar.unit", "cellar.odata", "cellar.userdata",
                "uvicorn"),
}


def imports_of(file: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(file.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


#: Packages whose subpackages are layers of their own (authentication, access decisions, OAuth).
SPLIT = {"auth"}


def unit_of(parts: tuple[str, ...] | list[str]) -> str:
    """``auth.authn.tokens`` → ``auth.authn``; ``auth.context`` → ``auth``; ``odata.query.ast`` → ``odata``."""
    top = parts[0].removesuffix(".py")
    if top in SPLIT and len(parts) > 2 and (SRC / top / parts[1]).is_dir():
        return f"{top}.{parts[1]}"
    return top


def package_graph() -> dict[str, set[str]]:
    """Package (or module) → the others it imports, for every module under src/cellar."""
    graph: dict[str, set[str]] = {}
    for file in SRC.rglob("*.py"):
        relative = file.relative_to(SRC)
        if relative.parts[0] == "__init__.py":
            continue
        name = unit_of(relative.parts)
        targets = {unit_of(imported.split(".")[1:] + ["x"]) for imported in imports_of(file)
                   if imported.startswith("cellar.") and imported.count(".") >= 1}
        graph.setdefault(name, set()).update(targets - {name})
    return graph


def test_auth_is_split_by_job() -> None:
    """Authentication knows nothing of access decisions or OAuth; access decisions nothing of OAuth."""
    graph = package_graph()
    assert {"auth.authn", "auth.access", "auth.oauth"} <= set(graph)
    assert not graph["auth.authn"] & {"auth.access", "auth.oauth"}
    assert "auth.oauth" not in graph["auth.access"]
    assert not graph["auth"] & {"auth.authn", "auth.access", "auth.oauth"}


def test_packages_import_each_other_without_cycles() -> None:
    """A cycle between packages means neither can be understood (or tested) without the other."""
    graph = package_graph()
    cycles = []
    for start in sorted(graph):
        stack = [(start, [start])]
        while stack:
            node, trail = stack.pop()
            for target in sorted(graph.get(node, ())):
                if target == start:
                    cycles.append(" -> ".join([*trail, start]))
                elif target not in trail and target > start:
                    stack.append((target, [*trail, target]))
    assert cycles == []


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_layer_imports(package: str) -> None:
    offenders = []
    for file in (SRC / package).rglob("*.py"):
        for name in imports_of(file):
            if name.startswith(FORBIDDEN[package]):
                offenders.append(f"{file.relative_to(SRC)} imports {name}")
    assert offenders == []
