"""What a path below an OData service root names (OData v2 resource paths, as Personium serves them):
``''`` (service document), ``$metadata``, ``{Set}``, ``{Set}({key})``, ``{Set}({key})/{_Nav}`` and
``{Set}({key})/$links/{_Nav}[({key})]``."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from cellar.errors import PersoniumError
from cellar.odata.keys import resolve_key, split_segment
from cellar.odata.model import EntityModel, EntityType, NavigationProperty


class PathKind(Enum):
    SERVICE_DOCUMENT = "service-document"
    METADATA = "metadata"
    ENTITY_SET = "entity-set"
    ENTITY = "entity"
    NAVIGATION = "navigation"
    LINKS = "links"


@dataclass(frozen=True)
class Target:
    """What the path names below the root."""

    kind: PathKind
    etype: EntityType | None = None
    key: dict[str, Any] | None = None
    nav: NavigationProperty | None = None
    nav_key: dict[str, Any] | None = None


def parse_path(model: EntityModel, segments: list[str]) -> Target:
    """Percent-decoded segments below the root → the target; Personium's errors for bad paths."""
    segments = _rejoin_keys(segments)
    if not segments or segments == [""]:
        return Target(PathKind.SERVICE_DOCUMENT)
    if segments == ["$metadata"]:
        return Target(PathKind.METADATA)
    set_name, predicate = split_segment(segments[0])
    etype = model.find(set_name)
    if etype is None:
        raise PersoniumError("PR404-OD-0001")
    if len(segments) == 1 or (len(segments) == 2 and segments[1] == "" and predicate is None):
        if predicate is None:
            return Target(PathKind.ENTITY_SET, etype)
        return Target(PathKind.ENTITY, etype, resolve_key(etype, predicate))
    if predicate is None:
        raise PersoniumError("PR404-MC-0001")
    key = resolve_key(etype, predicate)
    rest = segments[1:]
    links = rest[0] == "$links"
    if links:
        rest = rest[1:]
        if len(rest) != 1:
            raise PersoniumError("PR400-OD-0008")
    if len(rest) != 1:
        raise PersoniumError("PR404-MC-0001")
    nav_name, nav_predicate = split_segment(rest[0])
    nav = etype.navigation_property(nav_name)
    if nav is None:
        raise PersoniumError("PR400-OD-0008" if links else "PR404-OD-0003")
    if nav_predicate is not None and not links:
        raise PersoniumError("PR400-OD-0010")
    nav_key = None
    if nav_predicate is not None:
        try:
            nav_key = resolve_key(model.type(nav.target), nav_predicate)
        except PersoniumError:
            raise PersoniumError("PR400-OD-0028") from None
    return Target(PathKind.LINKS if links else PathKind.NAVIGATION, etype, key, nav, nav_key)


def _rejoin_keys(segments: list[str]) -> list[str]:
    """A key written with raw slashes (``ExtCell('https://c/')``) was split: put it back together."""
    out: list[str] = []
    for segment in segments:
        if out and out[-1].count("'") % 2 == 1:
            out[-1] += "/" + segment
        else:
            out.append(segment)
    return out
