"""The CellCtl entity model (notes §5.1, apiref 201–266): keys, properties, checks, navigation.

Who may read and write each set is the privilege table's business (``cellar.auth.access.endpoint_privileges``).
"""

from __future__ import annotations

from cellar.ctl.formats import (
    check_account_type,
    check_cell_url,
    check_ip_address_range,
    check_schema_uri,
    check_uri,
)
from cellar.odata.checks import NAME, NAME_WITH_SIGN, RELATION_NAME, one_of, pattern
from cellar.odata.model import EntityModel, EntityType, KeyPart, NavigationProperty, NavKind, ParentLink, Property
from cellar.odata.table_stores import TABLE_STORES
from cellar.storage import tables

CHILDREN, MANY, PARENT = NavKind.CHILDREN, NavKind.MANY, NavKind.PARENT
BOX_LINK = ParentLink("_Box", "Box", "box_id", (("_Box.Name", "Name"),))
BOX_KEY = KeyPart("_Box.Name", nullable=True, checks=(pattern(NAME),))

BOX = EntityType(
    name="Box", namespace="CellCtl", table=tables.boxes,
    key=(KeyPart("Name"),),
    properties=(
        Property("Name", nullable=False, checks=(pattern(NAME),)),
        Property("Schema", checks=(check_schema_uri,)),
    ),
    navigation=(NavigationProperty("_Role", "Role", CHILDREN), NavigationProperty("_Relation", "Relation", CHILDREN)),
)

ROLE = EntityType(
    name="Role", namespace="CellCtl", table=tables.roles,
    key=(KeyPart("Name"), BOX_KEY),
    properties=(Property("Name", nullable=False, checks=(pattern(NAME),)),),
    parents=(BOX_LINK,),
    navigation=(
        NavigationProperty("_Box", "Box", PARENT),
        NavigationProperty("_Account", "Account"),
        NavigationProperty("_ExtCell", "ExtCell"),
        NavigationProperty("_ExtRole", "ExtRole"),
        NavigationProperty("_Relation", "Relation"),
    ),
)

ACCOUNT = EntityType(
    name="Account", namespace="CellCtl", table=tables.accounts,
    key=(KeyPart("Name"),),
    properties=(
        Property("Name", nullable=False, checks=(pattern(NAME_WITH_SIGN),)),
        Property("Type", nullable=False, default="basic", checks=(check_account_type,)),
        Property("Cell", checks=(check_cell_url,)),
        Property("IPAddressRange", column="ip_address_range", checks=(check_ip_address_range,)),
        Property("Status", nullable=False, default="active",
                 checks=(one_of(("active", "deactivated", "passwordChangeRequired")),)),
    ),
    navigation=(NavigationProperty("_Role", "Role"),),
)

EXT_CELL = EntityType(
    name="ExtCell", namespace="CellCtl", table=tables.ext_cells,
    key=(KeyPart("Url"),),
    properties=(Property("Url", nullable=False, checks=(check_cell_url,)),),
    navigation=(NavigationProperty("_Role", "Role"), NavigationProperty("_Relation", "Relation")),
)

RELATION = EntityType(
    name="Relation", namespace="CellCtl", table=tables.relations,
    key=(KeyPart("Name"), BOX_KEY),
    properties=(Property("Name", nullable=False, checks=(pattern(RELATION_NAME),)),),
    parents=(BOX_LINK,),
    navigation=(
        NavigationProperty("_Box", "Box", PARENT),
        NavigationProperty("_ExtCell", "ExtCell"),
        NavigationProperty("_Role", "Role"),
        NavigationProperty("_ExtRole", "ExtRole", CHILDREN),
    ),
)

EXT_ROLE = EntityType(
    name="ExtRole", namespace="CellCtl", table=tables.ext_roles,
    key=(KeyPart("ExtRole"), KeyPart("_Relation.Name", checks=(pattern(RELATION_NAME),)),
         KeyPart("_Relation._Box.Name", nullable=True, checks=(pattern(NAME),))),
    properties=(Property("ExtRole", nullable=False, column="ext_role", checks=(check_uri,)),),
    parents=(ParentLink("_Relation", "Relation", "relation_id",
                        (("_Relation.Name", "Name"), ("_Relation._Box.Name", "_Box.Name")), required=True),),
    navigation=(NavigationProperty("_Relation", "Relation", PARENT), NavigationProperty("_Role", "Role")),
)

CELL_CTL = EntityModel("CellCtl", (ACCOUNT, BOX, EXT_CELL, EXT_ROLE, RELATION, ROLE), TABLE_STORES)
