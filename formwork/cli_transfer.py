"""`formwork import` and `formwork export`: spreadsheets in and out from the command line.

Both act as the system (every record, every field) unless `--user` names a user, whose roles,
row scopes and hidden fields then apply exactly as on the web. An import is checked first (a
dry run over every row) and written only when no row has a problem, unless `--skip-invalid`
leaves the bad rows out; the bad rows are written to an error report to fix and import again.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from werkzeug.datastructures import MultiDict

from .cli import _open, database_option, main, package_option
from .metamodel.model import Entity, Field
from .runtime import Runtime
from .store.actor import Actor
from .store.errors import RecordError
from .transfer import mapping as mapping_rules
from .transfer.pipeline import DEFAULT_BATCH, Importer, ImportResult
from .transfer.report import write_report
from .transfer.sources import FileProblem, open_source
from .transfer.writers import FORMATS, csv_chunks, write_xlsx

SHOWN_ERRORS = 20


def _entity(runtime: Runtime, name: str) -> Entity:
    entity = runtime.model.entities.get(name)
    if entity is None or entity.child_of:
        names = ", ".join(n for n, e in runtime.model.entities.items() if not e.child_of)
        click.echo(f"error: no entity {name!r}; entities: {names}", err=True)
        sys.exit(2)
    return entity


def _actor(runtime: Runtime, username: str | None) -> Actor | None:
    if username is None:
        return None
    from .auth.users import UserStore

    user = UserStore.of(runtime).by_username(username)
    if user is None or not user.active:
        click.echo(f"error: no active user {username!r}", err=True)
        sys.exit(2)
    return user.actor()


def _label(runtime: Runtime, locale: str | None) -> Any:
    code = locale or runtime.model.default_locale
    return lambda f: f.label.get(code, f.name)


user_option = click.option(
    "--user", "username", default=None, metavar="NAME", help="Act as this user [default: system]."
)


@main.command("import")
@click.argument("entity")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--map",
    "maps",
    multiple=True,
    metavar="COLUMN=FIELD",
    help="Fill FIELD from COLUMN (repeatable); COLUMN= leaves a column out.",
)
@click.option(
    "--key",
    default=None,
    metavar="FIELD",
    help="Update the record whose FIELD matches (unique field, auto-number or id).",
)
@click.option("--dry-run", is_flag=True, help="Check every row; write nothing.")
@click.option("--skip-invalid", is_flag=True, help="Import the good rows, leave the bad out.")
@click.option(
    "--batch",
    "batch_size",
    default=DEFAULT_BATCH,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="Rows written per transaction.",
)
@click.option(
    "--report",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where to write the bad rows [default: FILE.errors.csv beside FILE].",
)
@user_option
@package_option
@database_option
def import_command(
    entity: str,
    file: Path,
    maps: tuple[str, ...],
    key: str | None,
    dry_run: bool,
    skip_invalid: bool,
    batch_size: int,
    report: Path | None,
    username: str | None,
    package: Path | None,
    database: str | None,
) -> None:
    """Import a CSV or .xlsx FILE into ENTITY (columns matched to fields by name or label)."""
    runtime = _open(package, database, migrated=True)
    ent = _entity(runtime, entity)
    user = _actor(runtime, username)
    try:
        source = open_source(file)
    except FileProblem as exc:
        click.echo(f"error: {file}: {exc}", err=True)
        sys.exit(1)
    policy = runtime.records.policy
    label = _label(runtime, None)
    allowed = mapping_rules.targets(
        ent, policy.hidden(user, ent), policy.readonly(user, ent), label
    )
    chosen = mapping_rules.guess(ent, source.columns, allowed)
    for item in maps:
        column, sep, name = item.partition("=")
        if not sep:
            click.echo(f"error: --map {item!r}: write COLUMN=FIELD", err=True)
            sys.exit(2)
        chosen[column.strip()] = name.strip()
    columns = mapping_rules.check(source.columns, chosen, key, allowed)
    for column in source.columns:
        click.echo(f"  {column} → {columns.fields.get(column, '(not imported)')}")
    if columns.problems:
        for problem in columns.problems:
            click.echo(f"error: {problem}", err=True)
        sys.exit(2)
    try:
        importer = Importer(
            runtime.records,
            ent,
            user,
            source.columns,
            columns,
            zone=runtime.settings.timezone,
            label=label,
        )
        checked = _run(importer, source, "checking", dry_run=True, batch_size=batch_size)
        if checked.errors:
            _show_errors(checked, source, file, report)
            if dry_run or not skip_invalid:
                click.echo(
                    "Nothing was written."
                    + (
                        ""
                        if dry_run
                        else " Fix the rows, or pass --skip-invalid to leave them out."
                    ),
                    err=True,
                )
                sys.exit(1)
        if dry_run:
            click.echo(
                f"{checked.rows} rows checked: all can be imported "
                f"({checked.created} new, {checked.updated} changed, "
                f"{checked.unchanged} unchanged)."
            )
            return
        result = _run(
            importer,
            source,
            "importing",
            dry_run=False,
            skip_invalid=skip_invalid,
            batch_size=batch_size,
        )
    except FileProblem as exc:
        click.echo(f"error: {file}: {exc}", err=True)
        sys.exit(1)
    except RecordError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo(
        f"{result.created} created, {result.updated} changed, "
        f"{result.unchanged} unchanged, {result.skipped} skipped."
    )
    if result.stopped_at is not None:
        _show_errors(result, source, file, report)
        click.echo(
            f"Stopped: the batch from row {result.stopped_at} was rolled back and "
            "nothing after it was written. Run the import again with --key to finish.",
            err=True,
        )
        sys.exit(1)


def _run(importer: Importer, source: Any, label: str, **options: Any) -> ImportResult:
    with click.progressbar(length=1, label=label, file=sys.stderr) as bar:

        def advance(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(done - bar.pos)

        return importer.run(source, progress=advance, **options)


def _show_errors(result: ImportResult, source: Any, file: Path, report: Path | None) -> None:
    errors = sorted(result.errors, key=lambda e: e.row)
    click.echo(f"{len(result.bad_rows)} rows have problems:", err=True)
    for error in errors[:SHOWN_ERRORS]:
        value = f" ({error.value!r})" if error.value else ""
        click.echo(f"  row {error.row}: {error.describe()}{value}", err=True)
    if len(errors) > SHOWN_ERRORS:
        click.echo(f"  … and {len(errors) - SHOWN_ERRORS} more", err=True)
    target = report or file.with_name(f"{file.stem}.errors.{source.kind}")
    write_report(source, errors, target, "xlsx" if target.suffix == ".xlsx" else "csv")
    click.echo(f"The bad rows are in {target}: fix them there and import that file.", err=True)


@main.command("export")
@click.argument("entity")
@click.argument("filters", nargs=-1, metavar="[FIELD=VALUE | FIELD.min=V | q=WORDS | sort=F]...")
@click.option("--format", "kind", type=click.Choice(FORMATS), default="csv", show_default=True)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The file to write [default: standard output].",
)
@click.option("--fields", default=None, metavar="A,B,…", help="Columns [default: the list's].")
@click.option("--locale", default=None, help="Language of labels [default: the app's].")
@user_option
@package_option
@database_option
def export_command(
    entity: str,
    filters: tuple[str, ...],
    kind: str,
    output: Path | None,
    fields: str | None,
    locale: str | None,
    username: str | None,
    package: Path | None,
    database: str | None,
) -> None:
    """Export ENTITY's records (filtered like its list page's URL) as CSV or .xlsx."""
    from .transfer.export import export_fields, export_rows
    from .views.display import Display, LinkTitles
    from .views.records.list_params import parse_list_args

    runtime = _open(package, database, migrated=True)
    ent = _entity(runtime, entity)
    user = _actor(runtime, username)
    code = locale or runtime.model.default_locale
    hidden = runtime.records.policy.hidden(user, ent)
    args: MultiDict[str, str] = MultiDict()
    for item in filters:
        name, sep, value = item.partition("=")
        if not sep:
            click.echo(f"error: {item!r}: write FIELD=VALUE", err=True)
            sys.exit(2)
        args.add(name.strip(), value)
    params = parse_list_args(ent, args, hidden, runtime.settings.timezone)
    if params.problems:
        for name, problem in params.problems.items():
            click.echo(f"error: {name}: {problem}", err=True)
        sys.exit(2)
    names = None if fields is None else [n.strip() for n in fields.split(",") if n.strip()]
    unknown = [n for n in names or () if n not in ent.fields or n in hidden]
    if unknown:
        click.echo(f"error: no field {', '.join(unknown)} in {entity}", err=True)
        sys.exit(2)
    columns: list[Field] = export_fields(ent, hidden, names)
    header = [c.label.get(code, c.name) for c in columns]
    zone = runtime.settings.timezone

    def texts_for(fields: Any, rows: Any) -> Display:
        return Display(code, zone, LinkTitles(runtime.records, user).load(fields, rows))

    try:
        rows = export_rows(runtime.records, ent, user, columns, params.query(), texts_for)
    except RecordError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    if output is None:
        target = sys.stdout.buffer
        if kind == "xlsx":
            write_xlsx(target, header, rows)
        else:
            for chunk in csv_chunks(header, rows):
                target.write(chunk)
        target.flush()
        return
    with output.open("wb") as handle:
        if kind == "xlsx":
            write_xlsx(handle, header, rows)
        else:
            for chunk in csv_chunks(header, rows):
                handle.write(chunk)
    click.echo(f"Wrote {output}.", err=True)
