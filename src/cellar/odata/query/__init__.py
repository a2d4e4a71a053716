"""OData v2 system query options: parsing and validation, independent of storage and HTTP.

``parse_query_options`` turns request parameters into :class:`QueryOptions`; the ``$filter`` tree
(:mod:`.ast`) is turned into SQL by :mod:`cellar.odata.compile`.
"""

from __future__ import annotations

from cellar.odata.query.ast import BoolExpr, OrderByItem
from cellar.odata.query.options import QueryOptions, parse_query_options
from cellar.odata.query.parser import parse_expand, parse_filter, parse_orderby, parse_select

__all__ = [
    "BoolExpr",
    "OrderByItem",
    "QueryOptions",
    "parse_expand",
    "parse_filter",
    "parse_orderby",
    "parse_query_options",
    "parse_select",
]
