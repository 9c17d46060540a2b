"""`formwork config …`: the site overlay from a terminal.

    formwork config diff [--draft]                 the overlay against the package
    formwork config export [--merged] [--out DIR]  the overlay as YAML, or the merged package
    formwork config apply FILE [-m MESSAGE] [--yes] load an overlay file and publish it

Exit status: 0 done, 1 the config or the data refuses (problems, refused schema changes, a
site running without some of its patches), 2 a bad file or argument.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import click

from .cli import _open, database_option, main, package_option
from .metamodel.package import CONFIG_SUFFIXES, SECTIONS
from .overlay import ConfigInvalid, Overlay, OverlayError, changes
from .overlay.impact import Impact, preview_impact
from .overlay.patches import Patch, parse_patches
from .overlay.paths import value_at
from .runtime import Runtime
from .store.schema_sync import SchemaSyncError, SchemaSyncRefused


@main.group("config")
def config() -> None:
    """The site's changes to the config package (the overlay): diff, export, apply."""


@config.command("diff")
@click.option("--draft", is_flag=True, help="Show the draft instead of the active revision.")
@package_option
@database_option
def diff_command(draft: bool, package: Path | None, database: str | None) -> None:
    """Each change of the overlay: path, package value → site value; conflicts marked (!)."""
    runtime = _open(package, database, migrated=True)
    site = runtime.site
    active = site.active()
    overlay = site.draft() if draft else site.active_overlay()
    if draft:
        click.echo("Draft" + ("" if site.draft_info() else " (none saved: the active overlay)"))
    elif active is None:
        click.echo("No revision published: the site runs the package as it is.")
    else:
        click.echo(
            f"Revision {active.number}, {active.created_at:%Y-%m-%d %H:%M} UTC"
            f" by {active.author or 'unknown'}: {active.message}"
        )
    lines = changes(site.package_root, overlay, site.types)
    for change in lines:
        click.echo(change.line())
    conflicts = sum(1 for c in lines if c.conflict)
    click.echo(
        f"{len(lines)} change(s)"
        + (f", {conflicts} conflicting with the package (kept, not applied)" if conflicts else "")
        + "."
    )
    if not draft and site.status.degraded:
        _degraded(runtime)
        sys.exit(1)


def _degraded(runtime: Runtime) -> None:
    status = runtime.site.status
    click.echo(
        f"error: revision {status.revision} does not fit the package; the site runs without "
        f"{len(status.dropped)} of its patches:",
        err=True,
    )
    for patch in status.dropped:
        click.echo(f"  {patch.path}", err=True)
    for problem in status.problems:
        click.echo(str(problem), err=True)
    click.echo(
        "Hint: fix or reset those patches in the admin pages (or `config apply` a corrected "
        "overlay), then publish.",
        err=True,
    )


@config.command("export")
@click.option("--merged", is_flag=True, help="The package's files with the overlay folded in.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Write into this folder (overlay.yaml, or the package's files) instead of printing.",
)
@click.option("--draft", is_flag=True, help="Export the draft instead of the active revision.")
@package_option
@database_option
def export_command(
    merged: bool, out: Path | None, draft: bool, package: Path | None, database: str | None
) -> None:
    """The overlay as YAML, or (--merged) the package files a consultant can commit."""
    runtime = _open(package, database, migrated=True)
    site = runtime.site
    if not merged:
        text = site.export_overlay(draft=draft)
        if out is None:
            click.echo(text, nl=False)
        else:
            out.mkdir(parents=True, exist_ok=True)
            (out / "overlay.yaml").write_text(text, encoding="utf-8")
            click.echo(f"wrote {out / 'overlay.yaml'}")
        return
    files = site.export_merged(draft=draft)
    originals = {
        str(p.relative_to(site.package_root))
        for p in site.package_root.rglob("*")
        if p.is_file() and p.suffix in CONFIG_SUFFIXES
    }
    gone = sorted(name for name in originals - set(files) if name.split("/", 1)[0] in SECTIONS)
    if out is None:
        for name, text in files.items():
            click.echo(f"# --- {name}")
            click.echo(text, nl=False)
    else:
        for name, text in files.items():
            target = out / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        click.echo(f"wrote {len(files)} file(s) under {out}")
    for name in gone:
        click.echo(f"the overlay removes {name}: delete it from the package", err=True)


@config.command("apply")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--message", "-m", default="", help="What the change is for (kept with it).")
@click.option("--yes", "-y", is_flag=True, help="Publish without asking.")
@click.option(
    "--rebase",
    is_flag=True,
    help="Take patches without `base:` as made against the current package.",
)
@click.option("--author", default=None, help="Username recorded as the author.")
@package_option
@database_option
def apply_command(
    file: Path,
    message: str,
    yes: bool,
    rebase: bool,
    author: str | None,
    package: Path | None,
    database: str | None,
) -> None:
    """Load the overlay in FILE into the draft and publish it, after showing its impact."""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        click.echo(f"error: cannot read {file}: {exc}", err=True)
        sys.exit(2)
    try:
        parsed = parse_patches(text)
    except OverlayError as exc:
        where = f"{file}:{exc.line}" if exc.line else str(file)
        click.echo(f"error: {where}: {exc.message}", err=True)
        sys.exit(2)
    runtime = _open(package, database, migrated=True)
    site = runtime.site
    overlay = Overlay(tuple(p for p, _ in parsed))
    if rebase:
        package_doc = site.candidate(Overlay()).document
        overlay = Overlay(
            tuple(
                p if has_base else Patch(p.op, p.path, p.value, value_at(package_doc, p.path))
                for p, has_base in parsed
            )
        )
    candidate = site.candidate(overlay)
    for conflict in candidate.conflicts:
        click.echo(
            f"warning: {conflict.patch.path}: conflicts, kept but not applied: {conflict.reason}",
            err=True,
        )
    if not candidate.valid:
        for problem in candidate.problems:
            click.echo(str(problem), err=True)
        click.echo(f"{len(candidate.problems)} problem(s): nothing was changed.", err=True)
        sys.exit(1)
    impact = preview_impact(runtime, candidate)
    _summary(impact)
    if impact.refusals:
        assert impact.plan is not None
        click.echo(impact.plan.render(), err=True)
        click.echo("Nothing was changed: fix the refused changes first.", err=True)
        sys.exit(1)
    if not yes and not click.confirm("Publish this config?", default=False):
        click.echo("Nothing was changed.")
        return
    _publish(runtime, overlay, author, message or f"Applied {file.name}")


def _summary(impact: Impact) -> None:
    """Counts a reviewer can take in at a glance: schema steps and grade moves."""
    schema = Counter(step.change for step in impact.schema)
    click.echo(
        "Schema: "
        + (", ".join(f"{n} to {change}" for change, n in sorted(schema.items())) or "no change")
    )
    for grading in impact.gradings:
        if grading.error:
            click.echo(f"Grading {grading.grading.name}: {grading.error}")
            continue
        moves = grading.moves()
        total = sum(n for _o, _n, n in moves)
        detail = ", ".join(f"{old or '—'} → {new}: {n}" for old, new, n in moves)
        click.echo(
            f"Grading {grading.grading.name}: {total} record(s) change grade"
            + (f" ({detail})" if detail else "")
        )
    for flow in impact.flows:
        click.echo(
            f"Flow {flow.name}: {flow.change}; {flow.in_flight} request(s) in flight keep "
            "their version"
        )


def _publish(runtime: Runtime, overlay: Overlay, author: str | None, message: str) -> None:
    site = runtime.site
    before = site.draft_info()
    site.save_draft(overlay, author)

    def progress(step: str, done: int, total: int) -> None:
        if step.startswith("regrade") and total:
            click.echo(f"  {step}: {done}/{total}")

    try:
        revision = site.publish(author, message, progress=progress)
    except Exception as exc:
        # The draft goes back to what it was: a failed apply changes nothing.
        if before is None:
            site.discard_draft()
        else:
            site.save_draft(before.overlay, before.author)
        if isinstance(exc, SchemaSyncRefused):
            click.echo(exc.plan.render(), err=True)
        if isinstance(exc, ConfigInvalid | SchemaSyncError):
            click.echo(f"error: {exc}; nothing was changed.", err=True)
            sys.exit(1)
        raise
    click.echo(
        f"Published revision {revision.number}: "
        f"{len(revision.diff)} change(s) against the previous revision."
    )
