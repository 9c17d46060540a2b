"""The `formwork` command: validate a package, plan and apply schema changes, serve, shell."""

from __future__ import annotations

import code
import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from .metamodel import App, ConfigError, load_app
from .runtime import Runtime, open_runtime
from .settings import SettingsError, load_settings

package_option = click.option(
    "--package",
    "-p",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Config package folder [env FORMWORK_PACKAGE].",
)
database_option = click.option(
    "--database",
    "-d",
    default=None,
    metavar="URL",
    help="Database URL [env FORMWORK_DATABASE_URL; default SQLite in the instance folder].",
)


def _overrides(package: Path | None, database: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if package is not None:
        out["package"] = package
    if database is not None:
        out["database_url"] = database
    return out


@contextmanager
def _problems_end_the_command() -> Iterator[None]:
    """Config problems end the command with exit status 1, settings problems with 2."""
    try:
        yield
    except ConfigError as exc:
        click.echo(exc.report(), err=True)
        sys.exit(1)
    except SettingsError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)


def _open(package: Path | None, database: str | None, migrated: bool = False) -> Runtime:
    """The runtime; with `migrated`, the command also needs the database to match the config."""
    with _problems_end_the_command():
        runtime = open_runtime(_overrides(package, database))
    if migrated:
        from .store.schema_sync import plan_sync

        if not plan_sync(runtime.db, runtime.model, runtime.tables).is_empty:
            click.echo(
                "error: the database does not match the config. "
                "Hint: run `formwork plan` to see why, `formwork migrate` to fix it.",
                err=True,
            )
            sys.exit(1)
    return runtime


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Formwork: config packages → tables, forms, lists and rules."""


def _package_app(package: Path | None) -> tuple[Path, App]:
    """The package named, or the configured one, loaded; problems end the command."""
    if package is None:
        try:
            package = load_settings().package
        except SettingsError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
    try:
        return package, load_app(package)
    except ConfigError as exc:
        click.echo(exc.report(), err=True)
        sys.exit(1)


@main.command()
@click.argument("package", required=False, type=click.Path(path_type=Path))
def validate(package: Path | None) -> None:
    """Check a config package; exit 0 when valid, 1 with every problem listed when not."""
    package, app = _package_app(package)
    fields = sum(len(e.fields) for e in app.entities.values())
    click.echo(
        f"{package}: valid — app {app.name} {app.version}, "
        f"{len(app.entities)} entities, {fields} fields."
    )


@main.command("test")
@click.argument("package", required=False, type=click.Path(path_type=Path))
@click.option("-k", "select", metavar="TEXT", help="Run only cases whose suite::case has TEXT.")
def test_command(package: Path | None, select: str | None) -> None:
    """Run the package's test cases (tests/*.yaml); exit 0 when all pass, 1 otherwise."""
    from .package_tests import render_report, run_package_tests

    package, app = _package_app(package)
    report = run_package_tests(app, select=select)
    click.echo(render_report(report, str(package)))
    sys.exit(0 if report.ok else 1)


@main.command()
@package_option
@database_option
def plan(package: Path | None, database: str | None) -> None:
    """Print what `migrate` would change in the database (changes nothing)."""
    from .store.schema_sync import plan_sync

    runtime = _open(package, database)
    result = plan_sync(runtime.db, runtime.model, runtime.tables)
    click.echo(result.render())
    sys.exit(1 if result.refusals else 0)


@main.command()
@package_option
@database_option
@click.option("--yes", "-y", is_flag=True, help="Apply without asking.")
def migrate(package: Path | None, database: str | None, yes: bool) -> None:
    """Bring the database in line with the config, all or nothing, never losing data."""
    from .store.schema_sync import SchemaSyncError, SchemaSyncRefused, apply_sync, plan_sync

    runtime = _open(package, database)
    result = plan_sync(runtime.db, runtime.model, runtime.tables)
    if result.is_empty:
        click.echo("The database is up to date.")
        return
    click.echo(result.render())
    if result.refusals:
        click.echo("Nothing was changed: fix the refused changes first.", err=True)
        sys.exit(1)
    if not yes and not click.confirm("Apply these changes?", default=False):
        click.echo("Nothing was changed.")
        return
    try:
        applied = apply_sync(
            runtime.db,
            runtime.model,
            runtime.tables,
            plan=result,
            backup_dir=runtime.settings.instance / "backups",
        )
    except SchemaSyncRefused as exc:
        click.echo(exc.plan.render(), err=True)
        click.echo(f"Nothing was changed: {exc}", err=True)
        sys.exit(1)
    except SchemaSyncError as exc:
        click.echo(f"Nothing was changed: {exc}", err=True)
        sys.exit(1)
    if applied.backup is not None:
        click.echo(f"Backup of the database before the change: {applied.backup}")
    for entity, count in applied.filled.items():
        records = "record" if count == 1 else "records"
        click.echo(f"Filled in the defaults of new fields: {count} {entity} {records}.")
    click.echo("Done.")


@main.command()
@click.argument("entity")
@click.option(
    "--grading", "grading_name", default=None, help="Which grading (default: all of ENTITY's)."
)
@click.option(
    "--batch-size", default=20_000, show_default=True, type=click.IntRange(100, 1_000_000)
)
@package_option
@database_option
def regrade(
    entity: str,
    grading_name: str | None,
    batch_size: int,
    package: Path | None,
    database: str | None,
) -> None:
    """Re-grade every record of ENTITY in the database, in batches; safe to run again."""
    from .store.regrade import regrade as run_regrade

    runtime = _open(package, database, migrated=True)
    if entity not in runtime.model.entities:
        click.echo(
            f"error: no entity {entity!r}; entities: {', '.join(runtime.model.entities)}", err=True
        )
        sys.exit(2)
    gradings = [
        g
        for g in runtime.records.rules[entity].gradings
        if grading_name is None or g.grading.name == grading_name
    ]
    if not gradings:
        click.echo(f"error: {entity} has no grading {grading_name or ''}".rstrip(), err=True)
        sys.exit(2)
    for grading in gradings:
        with click.progressbar(length=1, label=f"{grading.grading.name}") as bar:

            def advance(done: int, total: int, bar: Any = bar) -> None:
                bar.length = max(total, 1)
                bar.update(done - bar.pos)

            result = run_regrade(
                runtime.db,
                runtime.model,
                runtime.tables,
                grading,
                batch_size=batch_size,
                progress=advance,
                runner=runtime.records.runner,
            )
        moves = ", ".join(
            f"{old or '—'}→{new}: {n}"
            for (old, new), n in sorted(
                result.transitions.items(), key=lambda t: (str(t[0][0]), t[0][1])
            )
        )
        click.echo(
            f"{grading.grading.name}: {result.total} records, {result.changed} changed"
            + (f" ({moves})" if moves else "")
        )


@main.command()
@click.argument("entity")
@package_option
@database_option
def recompute(entity: str, package: Path | None, database: str | None) -> None:
    """Recompute ENTITY's stored computed fields and grades (after a formula changed)."""
    from .store.recompute import recompute_all

    runtime = _open(package, database, migrated=True)
    if entity not in runtime.model.entities or runtime.model.entity(entity).child_of:
        click.echo(
            f"error: no entity {entity!r}; entities: {', '.join(runtime.model.entities)}", err=True
        )
        sys.exit(2)
    with click.progressbar(length=1, label=entity) as bar:

        def advance(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(done - bar.pos)

        result = recompute_all(runtime.records, entity, progress=advance)
    click.echo(f"{entity}: {result.total} records, {result.changed} changed")


@main.command()
@click.option(
    "--scale",
    default=300,
    show_default=True,
    type=click.IntRange(1, 10_000_000),
    help="Scale units; the package's demo.yaml says how many records one unit is.",
)
@click.option("--seed", default=1, show_default=True, type=int, help="Same seed, same data.")
@click.option("--append", is_flag=True, help="Add to a database that already holds records.")
@click.option(
    "--fast/--no-fast",
    default=None,
    help="Bulk inserts, then recompute and regrade [default: above 50,000 records].",
)
@package_option
@database_option
def demo(
    scale: int,
    seed: int,
    append: bool,
    fast: bool | None,
    package: Path | None,
    database: str | None,
) -> None:
    """Fill the database with demo data drawn from the package's demo.yaml (docs/demo-data.md)."""
    from contextlib import ExitStack

    from .demo import DatabaseNotEmpty, DemoError, RecordRefused, load_demo_spec, make_demo_data

    runtime = _open(package, database, migrated=True)
    with _problems_end_the_command():
        spec = load_demo_spec(runtime.settings.package, runtime.model)
    with ExitStack() as bars:
        shown: dict[str, Any] = {}

        def progress(label: str, done: int, total: int) -> None:
            if label not in shown:
                bars.close()
                shown[label] = bars.enter_context(
                    click.progressbar(length=max(total, 1), label=label)
                )
            bar = shown[label]
            bar.length = max(total, 1)
            bar.update(done - bar.pos)

        try:
            result = make_demo_data(
                runtime, spec, scale=scale, seed=seed, append=append, bulk=fast, progress=progress
            )
        except DatabaseNotEmpty as exc:
            bars.close()
            click.echo(
                f"error: {exc}. Hint: pass --append to add to them, or use an empty database.",
                err=True,
            )
            sys.exit(1)
        except RecordRefused as exc:
            bars.close()
            click.echo(f"error: {exc}; its batch was rolled back.", err=True)
            kept = ", ".join(f"{n} {entity}" for entity, n in exc.kept.items()) or "nothing"
            click.echo(f"Written before it: {kept}.", err=True)
            sys.exit(1)
        except DemoError as exc:
            bars.close()
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)
    how = "in bulk" if result.bulk else "through the record service"
    counts = ", ".join(f"{n} {entity}" for entity, n in result.written.items())
    click.echo(f"Demo data written {how} in {result.seconds:.1f} s: {counts}.")
    new_users = [u for u in result.users if u.password]
    if new_users:
        click.echo("Demo users (the passwords are shown only now):")
        for u in new_users:
            click.echo(f"  {u.username}\t{u.role}\t{u.team or '-'}\t{u.password}")


@main.command()
@package_option
@database_option
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Make reminders' to-dos as on this day (YYYY-MM-DD; default: today).",
)
def tick(package: Path | None, database: str | None, today: Any = None) -> None:
    """Periodic work (run it from cron): expire manual grades whose time is up; once a day,
    recompute stored values that read the date (days since…, overdue…); escalate
    overdue approval tasks, send reminders, list records stranded by a flow change; make the
    to-dos reminders call for and close those no longer called for."""
    from .store.grade_overrides import expire_manual_grades

    runtime = _open(package, database, migrated=True)
    expired = expire_manual_grades(runtime.records)
    click.echo(f"manual grades expired: {expired}")
    from .store.daily import refresh_daily

    refreshed = refresh_daily(runtime.records, today=today.date() if today else None)
    if refreshed is None:
        click.echo("values that read the date: refreshed already today")
    else:
        click.echo(f"values that read the date: {refreshed.changed} records moved on")
    report = runtime.flows.tick()
    click.echo(
        f"approval tasks escalated: {report.escalated}, overdue: {report.overdue}, "
        f"reminded: {report.reminded}"
    )
    for stray in report.strays:
        click.echo(
            f"warning: {stray.entity} #{stray.record_id} is in state {stray.state!r}, which "
            f"flow {stray.flow} no longer has; move it on by hand",
            err=True,
        )
    from .reminders import Reminders

    todos = Reminders(runtime.records).generate(today.date() if today else None)
    click.echo(f"to-dos made: {todos.total_opened}, closed: {todos.total_closed}")


@main.command()
@package_option
@database_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--debug", is_flag=True, help="Reload on code changes, show the debugger.")
def serve(package: Path | None, database: str | None, host: str, port: int, debug: bool) -> None:
    """Serve the app (the development server; put a WSGI server in front for production)."""
    from .app import create_app

    with _problems_end_the_command():
        app = create_app(_overrides(package, database))
    runtime = app.extensions["formwork"]
    from .store.schema_sync import plan_sync

    if not plan_sync(runtime.db, runtime.model, runtime.tables).is_empty:
        click.echo(
            "error: the database does not match the config. "
            "Hint: run `formwork plan` to see why, `formwork migrate` to fix it.",
            err=True,
        )
        sys.exit(1)
    from .flows.ticker import Ticker

    click.echo(f"Serving {runtime.model.name} on http://{host}:{port}/")
    # The development server does `formwork tick`'s flow work itself (cron does in production).
    ticker = Ticker(runtime.flows).start()
    try:
        app.run(host=host, port=port, debug=debug, use_reloader=debug)
    finally:
        ticker.stop()


@main.command()
@package_option
@database_option
def shell(package: Path | None, database: str | None) -> None:
    """A Python shell with `runtime`, `records`, `model`, `db` and `tables` at hand."""
    runtime = _open(package, database)
    names: dict[str, Any] = {
        "runtime": runtime,
        "records": runtime.records,
        "model": runtime.model,
        "db": runtime.db,
        "tables": runtime.tables,
    }
    banner = f"Formwork shell — app {runtime.model.name}; names: {', '.join(names)}"
    code.interact(banner=banner, local=names)


@main.group()
def user() -> None:
    """Manage the people who sign in (create the first admin here)."""


def _user_store(package: Path | None, database: str | None) -> Any:
    """The user store of the configured database; ends the command if it is not migrated."""
    import sqlalchemy as sa

    from .auth.users import UserStore
    from .store.system import USER_TABLE

    runtime = _open(package, database)
    if not sa.inspect(runtime.db.engine).has_table(USER_TABLE):
        click.echo("error: the database has no user table. Hint: run `formwork migrate`.", err=True)
        sys.exit(1)
    return UserStore.of(runtime)


@user.command("create")
@click.argument("username")
@click.option("--role", "roles", multiple=True, metavar="ROLE", help="A role (repeatable).")
@click.option("--display-name", default="", help="Name shown in the app [default: USERNAME].")
@click.option("--email", default=None)
@click.option("--team", default=None, help="The user's team (for the `team` row scope).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option(
    "--generate-password",
    is_flag=True,
    help="Make up a strong password and print it (for a first demo login).",
)
@package_option
@database_option
def user_create(
    username: str,
    roles: tuple[str, ...],
    display_name: str,
    email: str | None,
    team: str | None,
    password_stdin: bool,
    generate_password: bool,
    package: Path | None,
    database: str | None,
) -> None:
    """Create a user, e.g. the first admin: formwork user create alice --role admin."""
    from .auth.users import UserError

    store = _user_store(package, database)
    if generate_password:
        password = secrets.token_urlsafe(12)
    elif password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        created = store.create(username, display_name, password, roles, email, team)
    except UserError as exc:
        for name in exc.problems:
            click.echo(f"error: {name}: {exc.message(name)}", err=True)
        sys.exit(1)
    roles_text = ", ".join(created.roles) or "—"
    click.echo(f"Created user {created.username} (id {created.id}, roles: {roles_text}).")
    if generate_password:
        click.echo(f"Password: {password}")


@user.command("list")
@package_option
@database_option
def user_list(package: Path | None, database: str | None) -> None:
    """List the users with their roles and status."""
    for account in _user_store(package, database).list():
        status = "active" if account.active else "inactive"
        roles = ",".join(account.roles) or "-"
        team = account.team or "-"
        click.echo(f"{account.username}\t{account.display_name}\t{roles}\t{team}\t{status}")


@main.command("schema")
@click.option("--write", is_flag=True, help="Rewrite the published schema files and the reference.")
def schema_command(write: bool) -> None:
    """Print the config language's JSON Schema, or rewrite it and docs/config-reference.md."""
    from .metamodel.fieldtypes import default_registry
    from .metamodel.reference import write_all
    from .metamodel.schema import render, schemas

    types = default_registry()
    if write:
        for path in write_all(types):
            click.echo(f"wrote {path}")
        return
    for kind, document in schemas(types).items():
        click.echo(f"# {kind}")
        click.echo(render(document))


# Commands kept in modules of their own register themselves on `main` when imported.
from . import cli_config, cli_tokens, cli_transfer  # noqa: E402, F401

if __name__ == "__main__":  # pragma: no cover
    main()
