"""One catalog of event types (cellar.events.catalog): Personium's names, covering every entity set,
link and box resource kind Cellar serves, and the only source of the types the code emits."""

from __future__ import annotations

import ast
from pathlib import Path

from cellar.ctl.schema import CELL_CTL
from cellar.dav.target import EVENT_CATEGORIES
from cellar.dav.tree import Kind
from cellar.events import catalog
from cellar.http.unit import UNIT_CTL
from cellar.userdata.schema import SCHEMA

SRC = Path(__file__).resolve().parents[1] / "src/cellar"


def test_the_names_are_personiums() -> None:
    """PersoniumEventType: ``cellctl.{Set}.{op}`` with MERGE as ``patch``, links in alphabetical
    order, ``cell.acl``/``cell.proppatch``, ``box.delete``, ``webdavcol.mkcol``, ``davfile.update``."""
    assert {"cellctl.Account.create", "cellctl.Role.update", "cellctl.Box.patch", "cellctl.ExtRole.delete",
            "cellctl.Box.links.Role.create", "cellctl.Account.links.Role.delete", "cell.acl", "cell.proppatch",
            "box.delete", "box.acl", "webdavcol.mkcol", "odatacol.mkcol", "servicecol.acl", "streamcol.delete",
            "davfile.create", "davfile.update", "davfile.proppatch"} <= catalog.TYPES
    assert catalog.link(catalog.CELLCTL, "Role", "Box", catalog.CREATE) == "cellctl.Box.links.Role.create"
    assert "cellctl.Box.merge" not in catalog.TYPES


def test_the_catalog_covers_every_entity_set_and_link() -> None:
    assert catalog.CELLCTL_SETS == tuple(sorted(t.name for t in CELL_CTL.types))
    assert catalog.UNITCTL_SETS == tuple(t.name for t in UNIT_CTL.types)
    pairs = {tuple(sorted((t.name, nav.target))) for t in CELL_CTL.types for nav in t.navigation}
    assert set(catalog.CELLCTL_LINKS) == pairs


def test_odata_collections_name_their_events_as_personium():
    """PersoniumEventType.odata / odataLink (user data: no set in the name) and odataSchema /
    odataSchemaLink (the schema's sets, like control objects)."""
    assert {"odata.create", "odata.update", "odata.patch", "odata.delete", "odata.links.create",
            "odata.EntityType.create", "odata.Property.patch", "odata.EntityType.links.Property.create",
            "odata.AssociationEnd.links.AssociationEnd.delete"} <= catalog.TYPES
    assert catalog.ODATA_SCHEMA_SETS == tuple(sorted(t.name for t in SCHEMA.types))
    pairs = {tuple(sorted((t.name, nav.target))) for t in SCHEMA.types for nav in t.navigation}
    assert set(catalog.ODATA_SCHEMA_LINKS) == pairs


def test_every_box_resource_kind_has_a_category() -> None:
    assert set(EVENT_CATEGORIES) == set(Kind)
    assert set(EVENT_CATEGORIES.values()) == set(catalog.DAV_OPERATIONS)


def _event_type_arguments() -> list[tuple[str, int, ast.expr]]:
    found = []
    for file in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(file.read_text("utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Event":
                found.append((str(file.relative_to(SRC)), node.lineno, node.args[0]))
    return found


def test_no_emit_site_spells_a_type_itself() -> None:
    """Types come from the catalog (its constants and builders, or the ``catalog.Naming`` a service root
    was given), never a literal or an f-string; Transaction.emit refuses anything else at run time."""
    sites = _event_type_arguments()
    assert len(sites) >= 6
    spelled = [(file, line) for file, line, arg in sites
               if isinstance(arg, (ast.Constant, ast.JoinedStr, ast.BinOp))
               or (isinstance(arg, ast.Call) and not ast.unparse(arg).startswith(("catalog.", "self.root.events.")))]
    assert spelled == []
