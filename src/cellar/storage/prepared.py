"""Statements of the hot path, compiled once per dialect and run on the transaction's DBAPI cursor.

SQLAlchemy Core builds, keys and wraps every statement it executes; for the few queries every request
makes (the cell, an entity by key, a box path) that costs more than the query itself. A
:class:`Prepared` statement is an ordinary Core statement with named ``bindparam``s, compiled the first
time a dialect runs it; later runs only bind values and fetch plain rows, inside the same
transaction as everything else. Only for columns whose values need no type processing (strings,
integers, binary), which is what the hot path reads.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BindParameter, Table, bindparam, insert
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from cellar.storage.uow import Transaction

Row = dict[str, Any]


@dataclass(frozen=True)
class _Compiled:
    sql: str
    #: Parameter names in order for positional paramstyles (SQLite's ``qmark``), else None.
    positions: tuple[str, ...] | None
    defaults: dict[str, Any]
    keys: tuple[str, ...]


class Prepared:
    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._by_dialect: dict[str, _Compiled] = {}
        self._lock = threading.Lock()

    def _compiled(self, dialect: Dialect) -> _Compiled:
        compiled = self._by_dialect.get(dialect.name)
        if compiled is None:
            with self._lock:
                compiled = self._by_dialect.get(dialect.name) or self._compile(dialect)
                self._by_dialect[dialect.name] = compiled
        return compiled

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = self.statement.compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler)
        positions = tuple(compiled.positiontup or ()) if dialect.positional else None
        # A SELECT's columns, or what an INSERT … RETURNING returns.
        selected = getattr(self.statement, "selected_columns", None)
        if selected is None and getattr(self.statement, "_returning", None):
            selected = self.statement.exported_columns  # type: ignore[attr-defined]
        keys = tuple(selected.keys()) if selected is not None else ()
        defaults = {name: bind.value for name, bind in compiled.binds.items() if not bind.required}
        return _Compiled(compiled.string, positions, defaults, keys)

    def _run(self, tx: Transaction, params: Mapping[str, Any]) -> Any:
        compiled = self._compiled(tx.conn.dialect)
        values = {**compiled.defaults, **params}
        bound: Any = [values[name] for name in compiled.positions] if compiled.positions is not None else values
        cursor = tx.conn.connection.cursor()
        dbapi = tx.conn.dialect.loaded_dbapi
        try:
            cursor.execute(compiled.sql, bound)
        except dbapi.Error as exc:  # as SQLAlchemy would raise it: IntegrityError, OperationalError, …
            cursor.close()
            raise DBAPIError.instance(compiled.sql, bound, exc, dbapi.Error) from exc
        return compiled, cursor

    def rows(self, tx: Transaction, **params: Any) -> list[Row]:
        compiled, cursor = self._run(tx, params)
        try:
            return [dict(zip(compiled.keys, row, strict=True)) for row in cursor.fetchall()]
        finally:
            cursor.close()

    def tuples(self, tx: Transaction, **params: Any) -> list[tuple[Any, ...]]:
        """The rows as the driver returns them, in the order of the selected columns (listings)."""
        _, cursor = self._run(tx, params)
        try:
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def first(self, tx: Transaction, **params: Any) -> Row | None:
        compiled, cursor = self._run(tx, params)
        try:
            row = cursor.fetchone()
            return dict(zip(compiled.keys, row, strict=True)) if row is not None else None
        finally:
            cursor.close()

    def execute(self, tx: Transaction, **params: Any) -> int:
        """A write; returns the number of rows it touched."""
        _, cursor = self._run(tx, params)
        try:
            return int(cursor.rowcount)
        finally:
            cursor.close()


def binds(columns: Iterable[str]) -> dict[str, BindParameter[Any]]:
    """``{column: :column}``: the VALUES of a prepared INSERT."""
    return {name: bindparam(name) for name in columns}


_INSERTS: dict[tuple[str, tuple[str, ...]], Prepared] = {}


def insert_of(table: Table, columns: tuple[str, ...]) -> Prepared:
    """``INSERT`` of these columns into ``table``, prepared once per set of columns written."""
    key = (table.name, columns)
    prepared = _INSERTS.get(key)
    if prepared is None:
        prepared = _INSERTS[key] = Prepared(insert(table).values(binds(columns)))
    return prepared
