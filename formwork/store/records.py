"""The record service: the one way every caller creates, reads, changes and deletes records.

Web forms, the JSON API, the importer and the CLI all call `RecordService`. Input is cleaned by
the schemas generated from the model (`input_schema`); links and unique values are checked in
the same transaction that writes; versions stop lost updates; and the audit rows, numbers,
child rows and attachment files of one write commit or roll back together.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import marshmallow as ma
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..metamodel.fieldtypes import inputs
from ..metamodel.model import App, Entity, frozen_map
from ..rules.functions import SqlContext
from ..rules.rulebook import RuleBook
from ..rules.sqlcompile import NotCompilable, to_sql
from .actor import AccessPolicy, Actor, AllowAll, actor_id
from .aggregates import Aggregate, Bucket, compile_aggregate, read_buckets
from .attachments import AttachmentStore, FileChanges
from .audit import AuditEntry, created, diff, read_history, record_audit
from .bulk_write import CreatedMany, create_many
from .child_rows import ChildRows
from .database import Database
from .errors import (
    RECORD_KEY,
    Conflict,
    Forbidden,
    NotFound,
    UnknownEntity,
    ValidationFailed,
    message,
)
from .input_schema import CleanInput, InputCleaner, is_empty, table_fields
from .numbering import assign_numbers
from .permissions import guard_fields, shown
from .query import Page, Query, compile_query
from .record import Record, db_values, record_from_row
from .record_rules import RuleRunner, to_column
from .references import (
    check_links,
    check_unique,
    integrity_error,
    links_to,
    referencing_ids,
)
from .tables import Tables

User = Actor | int | None


class WriteGuard(Protocol):
    """A check every change and deletion of a record passes, whoever the caller.

    Called inside the write's transaction with the record as it was (locked) and the fields
    the caller changes (None: the record is being deleted); raising (ValidationFailed)
    refuses the write and rolls it all back. Approval flows lock fields this way."""

    def __call__(
        self, conn: Connection, entity: Entity, current: Record, changed: frozenset[str] | None
    ) -> None: ...


class _RolledBack(Exception):
    """Raised inside a dry run's transaction so that everything it did is rolled back."""


@dataclasses.dataclass
class _Batch:
    """The open transaction that the writes of a `RecordService.batch()` share."""

    conn: Connection
    files: FileChanges


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class RecordService:
    """Create / get / update / delete / query records of one app's entities."""

    def __init__(
        self,
        db: Database,
        app: App,
        tables: Tables,
        files_dir: str | Path,
        policy: AccessPolicy | None = None,
        clock: Callable[[], dt.datetime] = utc_now,
        rules: RuleBook | None = None,
    ) -> None:
        self.db = db
        self.app = app
        self.tables = tables
        self.files = AttachmentStore(files_dir)
        self.cleaner = InputCleaner(app)
        #: The permission hook: called before every action (see `actor.AccessPolicy`).
        self.policy: AccessPolicy = policy or AllowAll()
        self.clock = clock
        self.rows = ChildRows(app, tables, self.files)
        #: Formulas of every entity, compiled once: run on each write (see record_rules).
        self.rules = rules or RuleBook(app)
        self.runner = RuleRunner(app, tables, self.rules)
        #: Checks every update and delete passes (see `WriteGuard`).
        self.guards: list[WriteGuard] = []
        #: The batch open in each thread, if any (see `batch`).
        self._local = threading.local()
        #: SQL forms of virtual computed fields, by (entity, day): see `_virtual_sql`.
        self._virtual_forms: dict[tuple[str, dt.date], dict[str, sa.ColumnElement[Any]]] = {}

    # -- reading ---------------------------------------------------------------------------
    def get(self, entity: str, id: int, user: User = None) -> Record:
        """The record with its child-table rows; NotFound if there is none."""
        ent = self._entity(entity)
        self.policy.check(user, "read", ent)
        id = record_id(entity, id)
        with self.db.read() as conn:
            record = self._load(conn, ent, id, where=self.policy.row_filter(user, "read", ent))
            if record is None:
                raise NotFound(entity, id)
            return shown(self.policy, ent, user, self._with_virtual(conn, ent, [record]))[0]

    def query(
        self, entity: str, query: Query | None = None, user: User = None, export: bool = False
    ) -> Page:
        """One page of records (without child rows); QueryError before any SQL if malformed.

        With `export`, the user needs the export permission, and only the records in both
        their read scope and their export scope are returned."""
        ent = self._entity(entity)
        self.policy.check(user, "export" if export else "query", ent)
        scope = self.policy.row_filter(user, "read", ent)
        if export:
            scopes = [
                s for s in (scope, self.policy.row_filter(user, "export", ent)) if s is not None
            ]
            scope = sa.and_(*scopes) if scopes else None
        compiled = compile_query(
            self.app,
            self.tables,
            ent,
            query or Query(),
            self.db.dialect,
            hidden=self.policy.hidden(user, ent),
            scope=scope,
            computed=self._virtual_sql(ent),
        )
        with self.db.read() as conn:
            rows = conn.execute(compiled.statement).all()
            total = None
            if compiled.count_statement is not None:
                total = conn.execute(compiled.count_statement).scalar_one()
            records = self._with_virtual(conn, ent, compiled.records(ent, rows))
        return compiled.page(shown(self.policy, ent, user, records), rows, total)

    def aggregate(self, entity: str, aggregate: Aggregate, user: User = None) -> list[Bucket]:
        """Counts and sums over the records the user may read, grouped as asked (see
        `aggregates`); a field they may not see is a QueryError, as in a query's filter."""
        ent = self._entity(entity)
        self.policy.check(user, "query", ent)
        statement = compile_aggregate(
            self.app,
            self.tables,
            ent,
            aggregate,
            self.db.dialect,
            hidden=self.policy.hidden(user, ent),
            scope=self.policy.row_filter(user, "read", ent),
            computed=self._virtual_sql(ent),
        )
        with self.db.read() as conn:
            return read_buckets(aggregate, conn.execute(statement).all())

    def history(self, entity: str, id: int, user: User = None) -> list[AuditEntry]:
        """The audit entries of a record, newest first."""
        ent = self._entity(entity)
        self.policy.check(user, "read", ent)
        id = record_id(entity, id)
        hidden = self.policy.hidden(user, ent)
        scope = self.policy.row_filter(user, "read", ent)
        with self.db.read() as conn:
            # A restricted user sees the history of records in their scope only (so not of
            # deleted ones); the unrestricted see every record's, deleted or not.
            if scope is not None and self._load(conn, ent, id, where=scope) is None:
                raise NotFound(entity, id)
            entries = read_history(conn, self.tables, entity, id)
        if not hidden:
            return entries
        return [
            dataclasses.replace(e, changes={k: v for k, v in e.changes.items() if k not in hidden})
            for e in entries
        ]

    # -- writing ---------------------------------------------------------------------------
    def create(
        self, entity: str, data: Mapping[str, Any], user: User = None, dry_run: bool = False
    ) -> Record:
        """Create a record; with `dry_run`, do every check and rule, then roll it all back
        (forms preview computed values this way, imports validate rows)."""
        ent = self._writable(entity)
        self.policy.check(user, "create", ent)
        guard_fields(self.policy, ent, user, data)
        clean = self.cleaner.clean(ent, data, creating=True)
        with self._transaction(ent, dry_run) as (conn, files):
            record = self._create(conn, files, ent, clean, actor_id(user))
        return shown(self.policy, ent, user, [record])[0]

    def create_many(
        self,
        entity: str,
        rows: Sequence[Mapping[str, Any]],
        user: User = None,
        *,
        dry_run: bool = False,
        skip_refused: bool = False,
        records: bool = True,
    ) -> CreatedMany:
        """Create a record from each row with every check and rule of `create`, done per batch
        (see `bulk_write`). All or nothing: RowRefused names the first refused row. With
        `skip_refused` the other rows are written and the refusals returned by row; with
        `dry_run` every row is checked and nothing is written; without `records` only the
        count of records made is returned, not the records."""
        return create_many(
            self, entity, rows, user, dry_run=dry_run, skip_refused=skip_refused, records=records
        )

    def update(
        self,
        entity: str,
        id: int,
        data: Mapping[str, Any],
        version: int,
        user: User = None,
        dry_run: bool = False,
        *,
        system_values: Mapping[str, Any] | None = None,
    ) -> Record:
        """Change the given fields; Conflict if the record is no longer at `version`.

        With `dry_run` every check and rule runs and then everything is rolled back.
        Trusted code (the flow engine) may pass `system_values`: fields people may not write
        (e.g. a readonly state), converted as formula results are; validations, rules and
        the audit apply to them as to the rest, write guards do not."""
        ent = self._writable(entity)
        self.policy.check(user, "update", ent)
        id, version = record_id(entity, id), expected_version(version)
        guard_fields(self.policy, ent, user, data)
        clean = self.cleaner.clean(ent, data, creating=False)
        system = self._system_values(ent, system_values or {})
        with self._transaction(ent, dry_run) as (conn, files):
            self._in_scope(conn, ent, id, user, "update")
            record = self._update(conn, files, ent, id, clean, version, actor_id(user), system)
        return shown(self.policy, ent, user, [record])[0]

    def delete(self, entity: str, id: int, version: int, user: User = None) -> None:
        """Delete a record (and its child rows and files); refused while restrict links use it."""
        ent = self._writable(entity)
        self.policy.check(user, "delete", ent)
        id, version = record_id(entity, id), expected_version(version)
        with self._transaction(ent) as (conn, files):
            self._in_scope(conn, ent, id, user, "delete")
            self._delete(conn, files, ent, id, version, actor_id(user), self.clock(), set())

    @contextmanager
    def batch(self, dry_run: bool = False) -> Iterator[Connection]:
        """Make the creates, updates and deletes inside the block share one transaction.

        They commit together when the block ends, and none does if the block raises (or with
        `dry_run`). Each write still runs in a savepoint of its own, so a refused write leaves
        the batch's earlier writes in place and the caller decides whether to go on. The batch
        belongs to the thread that opened it; reads (`get`, `query`) do not see its writes
        until it commits. Batches do not nest. The block gets the transaction's connection,
        so trusted code (the flow engine) can write its own rows in the same transaction.
        """
        if getattr(self._local, "batch", None) is not None:
            raise RuntimeError("a batch is already open in this thread")
        files = FileChanges()
        try:
            with self.db.write() as conn:
                self._local.batch = _Batch(conn, files)
                try:
                    yield conn
                finally:
                    self._local.batch = None
                if dry_run:
                    raise _RolledBack
        except _RolledBack:
            files.rollback()
            return
        except BaseException:
            files.rollback()
            raise
        files.commit()

    # -- internals -------------------------------------------------------------------------
    def _entity(self, name: str) -> Entity:
        try:
            return self.app.entity(name)
        except KeyError:
            raise UnknownEntity(name) from None

    def _writable(self, name: str) -> Entity:
        ent = self._entity(name)
        if ent.child_of:
            raise ValidationFailed.one(RECORD_KEY, message("child_entity", entity=name))
        return ent

    def _system_values(self, ent: Entity, values: Mapping[str, Any]) -> dict[str, Any]:
        """Values trusted code sets, as their columns hold them; computed and generated
        fields, files and child rows stay refused."""
        converted, errors = {}, {}
        for name, value in values.items():
            field = ent.fields.get(name)
            if (
                field is None
                or not field.stored
                or field.computed
                or not field.kind.writable
                or field.type in ("attachment", "table")
            ):
                errors[name] = [message("not_writable")]
            else:
                column = to_column(field, value)
                # A choice the options no longer list (a flow version's old state) is kept as
                # given rather than dropped: trusted code knows values the config forgot.
                keep = column is None and isinstance(value, str) and field.type == "select"
                converted[name] = value if keep else column
        if errors:
            raise ValidationFailed(errors)
        return converted

    @contextmanager
    def _transaction(
        self, ent: Entity, dry_run: bool = False
    ) -> Iterator[tuple[Connection, FileChanges]]:
        files = FileChanges()
        batch: _Batch | None = getattr(self._local, "batch", None)
        try:
            with self._begin(batch) as conn:
                yield conn, files
                if dry_run:
                    raise _RolledBack
        except _RolledBack:
            files.rollback()
            return
        except sa.exc.IntegrityError as exc:
            files.rollback()
            raise integrity_error(exc, ent) from exc
        except BaseException:
            files.rollback()
            raise
        if batch is None:
            files.commit()
        else:  # the batch keeps or drops them when it ends
            batch.files.written += files.written
            batch.files.to_remove += files.to_remove

    @contextmanager
    def _begin(self, batch: _Batch | None) -> Iterator[Connection]:
        """A write transaction of its own, or a savepoint inside the open batch."""
        if batch is None:
            with self.db.write() as conn:
                yield conn
        else:
            with batch.conn.begin_nested():
                yield batch.conn

    def _load(
        self, conn: Connection, ent: Entity, id: int, lock: bool = False, where: Any = None
    ) -> Record | None:
        table = self.tables[ent.name]
        query = sa.select(table).where(table.c.id == id)
        if where is not None:
            query = query.where(where)
        if lock:
            query = query.with_for_update()
        row = conn.execute(query).mappings().first()
        if row is None:
            return None
        children = {f.name: self.rows.read(conn, f, id) for f in table_fields(ent)}
        return record_from_row(ent, row, children)

    # -- permissions -----------------------------------------------------------------------
    def _in_scope(self, conn: Connection, ent: Entity, id: int, user: User, action: str) -> None:
        """NotFound for a record the user cannot see, Forbidden for one they only see."""
        scope = self.policy.row_filter(user, action, ent)
        if scope is None or self._load(conn, ent, id, where=scope) is not None:
            return
        if self._load(conn, ent, id, where=self.policy.row_filter(user, "read", ent)) is None:
            raise NotFound(ent.name, id)
        raise Forbidden(action, ent.label.get(self.app.default_locale, ent.name))

    def _virtual_sql(self, ent: Entity) -> dict[str, sa.ColumnElement[Any]]:
        """The SQL form of the entity's virtual computed fields, where their formulas have one
        (so lists can filter and sort on them); today() is the query's date. Compiled once a
        day per entity, not on every query."""
        today = self.clock().date()
        key = (ent.name, today)
        if key not in self._virtual_forms:
            self._virtual_forms = {k: v for k, v in self._virtual_forms.items() if k[1] == today}
            self._virtual_forms[key] = self._compile_virtual(ent, today)
        return self._virtual_forms[key]

    def _compile_virtual(self, ent: Entity, today: dt.date) -> dict[str, sa.ColumnElement[Any]]:
        ctx = SqlContext(self.db.dialect, today)
        forms = {}
        for field, rule in self.rules[ent.name].computed:
            if field.virtual:
                try:
                    forms[field.name] = to_sql(
                        rule.checked, self.app, ent.name, self.tables, self.rules.functions, ctx
                    )
                except NotCompilable:
                    continue
        return forms

    def _with_virtual(self, conn: Connection, ent: Entity, records: list[Record]) -> list[Record]:
        """The records with their virtual computed fields, computed as they are read."""
        if not any(f.virtual for f, _rule in self.rules[ent.name].computed):
            return records
        ctx = self.runner.context(conn, self.clock())
        return [
            dataclasses.replace(
                r, values=frozen_map({**r.values, **self.runner.virtual_values(ctx, ent, r)})
            )
            for r in records
        ]

    def _check(self, conn: Connection, ent: Entity, clean: CleanInput, own_id: int | None) -> None:
        errors: dict[str, list[str]] = {}
        check_links(conn, self.tables, ent, clean.values, "", errors)
        check_unique(conn, self.tables, ent, clean.values, own_id, "", errors)
        for name, rows in clean.tables.items():
            self.rows.check(conn, ent.fields[name], own_id, rows, errors)
        if errors:
            raise ValidationFailed(errors)

    def _create(
        self,
        conn: Connection,
        files: FileChanges,
        ent: Entity,
        clean: CleanInput,
        user_id: int | None,
    ) -> Record:
        self._check(conn, ent, clean, None)
        now = self.clock()
        table = self.tables[ent.name]
        attachments = {k: v for k, v in clean.values.items() if ent.fields[k].type == "attachment"}
        values = {k: v for k, v in clean.values.items() if k not in attachments}
        values.update(assign_numbers(conn, self.tables, ent, now.date()))
        system = {"created_at": now, "updated_at": now, "created_by": user_id}
        system |= {"updated_by": user_id, "version": 1}
        # Values as parameters, not .values(): the compiled INSERT is then cached and reused.
        inserted = conn.execute(table.insert(), {**system, **db_values(table, values)})
        new_id = int(inserted.inserted_primary_key[0])
        if attachments:
            stored = {
                name: self.files.apply(name, ent.name, new_id, items, None, files)
                for name, items in attachments.items()
            }
            conn.execute(
                table.update().where(table.c.id == new_id).values(**db_values(table, stored))
            )
        for name, rows in clean.tables.items():
            self.rows.write(conn, files, ent.fields[name], new_id, rows, [], user_id, now)
        record = self._load(conn, ent, new_id)
        assert record is not None
        ctx = self.runner.context(conn, now)
        given = set(clean.values) | set(clean.tables)
        derived = self.runner.on_write(ctx, ent, new_id, None, record.values, given, user_id, now)
        if derived:
            conn.execute(table.update().where(table.c.id == new_id), db_values(table, derived))
        if derived or clean.tables:  # the rules of child rows may have filled them in
            record = self._load(conn, ent, new_id)
            assert record is not None
        self._audit(conn, now, user_id, ent, new_id, "create", created(record.values))
        if self.runner.propagate(ctx, ent, new_id, None, record.values, user_id, now):
            record = self._load(conn, ent, new_id) or record  # it may read what it moved
        return record

    def _update(
        self,
        conn: Connection,
        files: FileChanges,
        ent: Entity,
        id: int,
        clean: CleanInput,
        version: int,
        user_id: int | None,
        system: Mapping[str, Any],
    ) -> Record:
        current = self._load(conn, ent, id, lock=True)
        if current is None:
            raise NotFound(ent.name, id)
        if current.version != version:
            raise Conflict(ent.name, id, version, current.version, current.values)
        self._check(conn, ent, clean, id)
        now = self.clock()
        table = self.tables[ent.name]
        new_values = {**clean.values, **system}
        for name, items in new_values.items():
            if ent.fields[name].type == "attachment":
                old = current.values.get(name)
                new_values[name] = self.files.apply(name, ent.name, id, items, old, files)
        changes = diff(current.values, new_values)
        for name, rows in clean.tables.items():
            old_rows = current.values[name]
            self.rows.write(conn, files, ent.fields[name], id, rows, old_rows, user_id, now)
            table_changes = diff(
                {name: old_rows}, {name: self.rows.read(conn, ent.fields[name], id)}
            )
            changes.update(table_changes)
        for guard in self.guards:
            guard(conn, ent, current, frozenset(changes) - system.keys())
        if not changes:
            return current
        columns = {k: new_values[k] for k in changes if k in new_values}
        updated = conn.execute(
            table.update()
            .where(table.c.id == id, table.c.version == version)
            .values(
                **db_values(table, columns),
                updated_at=now,
                updated_by=user_id,
                version=table.c.version + 1,
            )
        )
        if updated.rowcount != 1:  # only possible where the row lock is weaker than expected
            now_at = conn.execute(sa.select(table.c.version).where(table.c.id == id)).scalar()
            if now_at is None:
                raise NotFound(ent.name, id)
            raise Conflict(ent.name, id, version, now_at, current.values)
        record = self._load(conn, ent, id)
        assert record is not None
        ctx = self.runner.context(conn, now)
        given = set(clean.values) | set(clean.tables) | set(system)
        derived = self.runner.on_write(
            ctx, ent, id, current.values, record.values, given, user_id, now
        )
        if derived:
            conn.execute(table.update().where(table.c.id == id), db_values(table, derived))
            changes |= diff(record.values, derived)
        if derived or clean.tables:  # the rules of child rows may have filled them in
            record = self._load(conn, ent, id)
            assert record is not None
        self._audit(conn, now, user_id, ent, id, "update", changes)
        if self.runner.propagate(ctx, ent, id, current.values, record.values, user_id, now):
            record = self._load(conn, ent, id) or record  # it may read what it moved
        return record

    def _delete(
        self,
        conn: Connection,
        files: FileChanges,
        ent: Entity,
        id: int,
        version: int | None,
        user_id: int | None,
        now: dt.datetime,
        seen: set[tuple[str, int]],
    ) -> None:
        seen.add((ent.name, id))
        current = self._load(conn, ent, id, lock=True)
        if current is None:
            raise NotFound(ent.name, id)
        if version is not None and current.version != version:
            raise Conflict(ent.name, id, version, current.version, current.values)
        for guard in self.guards:
            guard(conn, ent, current, None)
        self._release_references(conn, files, ent, id, user_id, now, seen)
        table = self.tables[ent.name]
        files.to_remove.append(self.files.record_folder(ent.name, id))
        for field in table_fields(ent):
            self.rows.forget_files(field, current.values[field.name], files)
        conn.execute(table.delete().where(table.c.id == id))
        removed = {k: v for k, v in current.values.items() if not is_empty(v)}
        self._audit(conn, now, user_id, ent, id, "delete", diff(removed, dict.fromkeys(removed)))
        ctx = self.runner.context(conn, now)
        self.runner.propagate(ctx, ent, id, current.values, None, user_id, now)

    def _release_references(
        self,
        conn: Connection,
        files: FileChanges,
        ent: Entity,
        id: int,
        user_id: int | None,
        now: dt.datetime,
        seen: set[tuple[str, int]],
    ) -> None:
        """Apply the on_delete rule of every link to the record being deleted.

        Restrict refuses; cascade and set_null are done here rather than by the database so
        that the records they touch get audit rows (child rows are left to the database).
        """
        links = links_to(self.app, ent.name)
        for other, field in links:
            refs = referencing_ids(conn, self.tables, other, field, id)
            refs = [r for r in refs if (other.name, r) not in seen]
            if refs and field.setting("on_delete", "restrict") == "restrict":
                label = other.label.get("en", other.name)
                text = message("referenced", count=len(refs), entity=label, field=field.name)
                raise ValidationFailed.one(RECORD_KEY, text)
        for other, field in links:
            if other.child_of:
                continue
            rule = field.setting("on_delete", "restrict")
            for ref in referencing_ids(conn, self.tables, other, field, id):
                if (other.name, ref) in seen:
                    continue
                if rule == "cascade":
                    self._delete(conn, files, other, ref, None, user_id, now, seen)
                elif rule == "set_null":
                    self._unlink(conn, other, ref, field.name, id, user_id, now)

    def _unlink(
        self,
        conn: Connection,
        ent: Entity,
        id: int,
        field: str,
        old: int,
        user_id: int | None,
        now: dt.datetime,
    ) -> None:
        table = self.tables[ent.name]
        conn.execute(
            table.update()
            .where(table.c.id == id)
            .values(
                {
                    field: None,
                    "updated_at": now,
                    "updated_by": user_id,
                    "version": table.c.version + 1,
                }
            )
        )
        self._audit(conn, now, user_id, ent, id, "update", {field: [old, None]})

    def _audit(
        self,
        conn: Connection,
        now: dt.datetime,
        user_id: int | None,
        ent: Entity,
        id: int,
        action: str,
        changes: Mapping[str, list[Any]],
    ) -> None:
        record_audit(
            conn,
            self.tables,
            at=now,
            user_id=user_id,
            entity=ent.name,
            record_id=id,
            action=action,
            changes=changes,
        )


def record_id(entity: str, value: Any) -> int:
    """A record id as a caller may send it ("12" from a URL); NotFound if it cannot be one."""
    try:
        number = inputs.Integer().deserialize(value)
    except ma.ValidationError:
        number = None
    if number is None or number < 1:
        raise NotFound(entity, value)
    return number


def expected_version(value: Any) -> int:
    """The version a caller read ("3" from a form field); a field error if it is not one."""
    try:
        number = inputs.Integer().deserialize(value)
    except ma.ValidationError:
        number = None
    if number is None:
        raise ValidationFailed.one("version", message("bad_version"))
    return number
