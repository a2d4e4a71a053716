"""The CellCtl entity model (notes §5.1, apiref 201–266): keys, properties, checks, navigation.

Who may read and write each set is the privilege table's business (``cellar.auth.access.endpoint_privileges``).
"""

from __future__ import annotations

from cellar.ctl.formats import (
    check_account_type,
    check_cell_url,
    check_cell_url_list,
    check_ip_address_range,
    check_schema_uri,
    check_uri,
)
from cellar.ctl.rules import ACTIONS, RULE_NAME
from cellar.odata.checks import NAME, NAME_WITH_SIGN, RELATION_NAME, between, one_of, pattern
from cellar.odata.model import (
    ComplexType,
    EntityModel,
    EntityType,
    KeyPart,
    NavigationProperty,
    NavKind,
    ParentLink,
    Property,
)
from cellar.odata.table_stores import TABLE_STORES
from cellar.storage import tables
from cellar.storage.ids import new_id

CHILDREN, MANY, PARENT = NavKind.CHILDREN, NavKind.MANY, NavKind.PARENT
BOX_LINK = ParentLink("_Box", "Box", "box_id", (("_Box.Name", "Name"),), checks=(pattern(NAME),))
BOX_KEY = KeyPart("_Box.Name", nullable=True, checks=(pattern(NAME),))

BOX = EntityType(
    name="Box", namespace="CellCtl", table=tables.boxes,
    key=(KeyPart("Name"),),
    properties=(
        Property("Name", nullable=False, checks=(pattern(NAME),)),
        Property("Schema", checks=(check_schema_uri,)),
    ),
    navigation=(NavigationProperty("_Role", "Role", CHILDREN), NavigationProperty("_Relation", "Relation", CHILDREN),
                NavigationProperty("_ReceivedMessage", "ReceivedMessage", CHILDREN),
                NavigationProperty("_SentMessage", "SentMessage", CHILDREN),
                NavigationProperty("_Rule", "Rule", CHILDREN)),
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
    navigation=(NavigationProperty("_Role", "Role"), NavigationProperty("_ReceivedMessageRead", "ReceivedMessage")),
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

# --- messages (notes §5.1, apiref 268-274): written by __message/send and __message/port, read here ---------
#: Java's ``.``: any character but a line terminator.
_LINE = "[^\n\r\u0085\u2028\u2029]"
MESSAGE_ID = f"{_LINE}{{32}}"
MESSAGE_TYPE_NAMES = ("message", "request")
CREATED_ELSEWHERE = frozenset({"POST", "PUT", "MERGE"})
REQUEST_OBJECT = ComplexType("Message_Request_Object", tuple(
    Property(name, nullable=name != "RequestType")
    for name in ("RequestType", "Name", "TargetUrl", "ClassUrl", "EventSubject", "EventType", "EventObject",
                 "EventInfo", "Action")))
SENT_RESULT = ComplexType("Sent_Message_Result", (
    Property("To", checks=(check_cell_url,)), Property("Code"), Property("Reason")))


def _message_properties(id_default: object) -> tuple[Property, ...]:
    return (
        Property("__id", nullable=False, column="message_id", default=id_default, checks=(pattern(MESSAGE_ID),)
                 if id_default is None else ()),
        Property("InReplyTo", column="in_reply_to", checks=(pattern(MESSAGE_ID),)),
        Property("Type", default="message", checks=(one_of(MESSAGE_TYPE_NAMES),)),
        Property("Title", default="", edm_default="", checks=(pattern(f"{_LINE}{{0,256}}"),)),
        Property("Body", default="", edm_default=""),
        Property("Priority", "Edm.Int32", default=3, edm_default="3", checks=(between(1, 5),)),
        Property("RequestObjects", REQUEST_OBJECT.name, collection=True, column="request_objects"),
    )


RECEIVED_MESSAGE = EntityType(
    name="ReceivedMessage", namespace="CellCtl", table=tables.received_messages,
    key=(KeyPart("__id"),),
    properties=(
        *_message_properties(None),
        Property("From", nullable=False, column="from_cell", checks=(check_cell_url,)),
        Property("MulticastTo", column="multicast_to", checks=(check_cell_url_list,)),
        Property("Status", nullable=False),
    ),
    parents=(BOX_LINK,), refused=CREATED_ELSEWHERE,
    navigation=(NavigationProperty("_Box", "Box", PARENT), NavigationProperty("_AccountRead", "Account")),
)

SENT_MESSAGE = EntityType(
    name="SentMessage", namespace="CellCtl", table=tables.sent_messages,
    key=(KeyPart("__id"),),
    properties=(
        *_message_properties(new_id),
        Property("To", column="to_cells", checks=(check_cell_url_list,)),
        Property("ToRelation", column="to_relation", checks=(pattern(RELATION_NAME),)),
        Property("Result", SENT_RESULT.name, collection=True, default=list),
    ),
    parents=(BOX_LINK,), refused=CREATED_ELSEWHERE,
    navigation=(NavigationProperty("_Box", "Box", PARENT),),
)

# --- rules (notes §5.1, apiref 2A0-2A9): the cross-field checks are the Rule hooks' (cellar.ctl.rules) --------
RULE = EntityType(
    name="Rule", namespace="CellCtl", table=tables.rules,
    key=(KeyPart("Name"), BOX_KEY),
    properties=(
        Property("Name", nullable=False, default=new_id, checks=(pattern(RULE_NAME),)),
        Property("EventExternal", "Edm.Boolean", nullable=False, default=False, edm_default="false",
                 column="event_external"),
        Property("EventSubject", column="event_subject", checks=(check_uri,)),
        Property("EventType", column="event_type", checks=(pattern(r"[a-zA-Z0-9-_+:.]{0,127}"),)),
        Property("EventObject", column="event_object"),
        Property("EventInfo", column="event_info"),
        Property("Action", checks=(one_of(ACTIONS),)),
        Property("TargetUrl", column="target_url"),
    ),
    parents=(BOX_LINK,), refused=frozenset({"MERGE"}),
    navigation=(NavigationProperty("_Box", "Box", PARENT),),
)

CELL_CTL = EntityModel("CellCtl", (ACCOUNT, BOX, EXT_CELL, EXT_ROLE, RECEIVED_MESSAGE, RELATION, ROLE, RULE,
                                   SENT_MESSAGE),
                       TABLE_STORES, (REQUEST_OBJECT, SENT_RESULT))
