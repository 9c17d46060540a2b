"""Publishing a draft: the new model becomes active, the schema follows, grades are re-graded
with the revision as their cause; a rollback brings back the earlier config and archived data;
a failure at any step leaves the config and the data as they were; a stored overlay that no
longer fits the package never stops the site."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from formwork.overlay import ConfigInvalid, Overlay, revision_of_cause
from formwork.overlay import publish as publish_module
from formwork.runtime import Runtime
from formwork.store.schema_sync import SchemaSyncRefused
from formwork.store.system import GRADE_TABLE
from tests.overlay.conftest import A_MIN, GRADING, write

WECHAT = "entities/account/fields/wechat"
NEW_FIELD = {"type": "text", "label": {"en": "WeChat"}}


def grades(runtime: Runtime) -> dict[str, str]:
    page = runtime.records.query("account")
    return {r["name"]: r["grade"] for r in page.records}


def history(runtime: Runtime) -> list[tuple[str, str | None, str, str]]:
    table = runtime.tables.system(GRADE_TABLE)
    with runtime.db.read() as conn:
        return [
            tuple(row)
            for row in conn.execute(
                sa.select(
                    table.c.record_id, table.c.old_grade, table.c.new_grade, table.c.cause
                ).order_by(table.c.id)
            )
        ]


def snapshot(runtime: Runtime) -> dict[str, Any]:
    """Every table's columns and rows."""
    out = {}
    with runtime.db.read() as conn:
        inspector = sa.inspect(conn)
        for name in sorted(inspector.get_table_names()):
            columns = [c["name"] for c in inspector.get_columns(name)]
            rows = conn.execute(sa.text(f'SELECT * FROM "{name}" ORDER BY 1')).all()
            out[name] = (columns, [tuple(r) for r in rows])
    return out


@pytest.fixture
def accounts(site: Runtime) -> Runtime:
    for name, size in (("small", 20), ("middle", 75), ("large", 90)):
        site.records.create("account", {"name": name, "size": size})
    return site


def test_publish_activates_the_draft_syncs_the_schema_and_regrades(
    accounts: Runtime, open_site: Callable[[], Runtime]
) -> None:
    assert grades(accounts) == {"small": "C", "middle": "B", "large": "A"}
    site = accounts.site
    site.save_draft(Overlay().set(A_MIN, 70, base=80).set(WECHAT, NEW_FIELD), "ada")
    steps: list[str] = []
    revision = site.publish("ada", "lower the A threshold", lambda s, d, t: steps.append(s))
    assert (revision.number, revision.author, revision.message) == (
        1,
        "ada",
        "lower the A threshold",
    )
    assert [p.path for p in revision.diff] == [A_MIN, WECHAT]
    assert steps[0] == "plan" and "regrade account_grade" in steps
    assert site.active() == revision and site.revisions() == [revision]
    assert site.draft() == revision.overlay and site.draft_info() is None
    # A runtime opened now runs the package plus the revision, over the synced schema.
    now = open_site()
    assert now.site.status.revision == 1
    assert now.model.gradings["account_grade"].grades[0].min_score == 70
    now.records.create("account", {"name": "new", "size": 10, "wechat": "new_wx"})
    assert grades(now) == {"small": "C", "middle": "A", "large": "A", "new": "C"}
    middle = next(r for r in now.records.query("account").records if r["name"] == "middle")
    moved = [h for h in history(now) if h[0] == middle.id][-1]
    assert moved[1:] == ("B", "A", "config revision 1")
    assert revision_of_cause(moved[3]) == 1


def test_publish_recomputes_the_stored_values_of_a_new_or_changed_formula(
    accounts: Runtime, open_site: Callable[[], Runtime]
) -> None:
    band = "entities/account/fields/band"
    formula = "'big' if size >= 75 else 'small'"
    spec = {"type": "text", "label": {"en": "Band"}, "formula": formula}
    accounts.site.save_draft(Overlay().set(band, spec), "ada")
    steps: list[str] = []
    accounts.site.publish("ada", "size bands", lambda s, d, t: steps.append(s))
    assert "recompute account" in steps
    bands = {r["name"]: r["band"] for r in open_site().records.query("account").records}
    assert bands == {"small": "small", "middle": "big", "large": "big"}

    site = open_site().site
    changed = formula.replace("75", "80")
    site.save_draft(site.draft().set(f"{band}/formula", changed), "ada")
    site.publish("ada", "a higher bar")
    now = open_site()
    bands = {r["name"]: r["band"] for r in now.records.query("account").records}
    assert bands == {"small": "small", "middle": "small", "large": "big"}
    middle = next(r for r in now.records.query("account").records if r["name"] == "middle")
    assert now.records.history("account", middle.id)[0].changes["band"] == ["big", "small"]


def test_publishing_a_field_with_a_default_gives_it_to_the_records_already_stored(
    accounts: Runtime, open_site: Callable[[], Runtime]
) -> None:
    spec = {"type": "text", "label": {"en": "Tier"}, "required": True, "default": "standard"}
    accounts.site.save_draft(Overlay().set("entities/account/fields/tier", spec), "ada")
    accounts.site.publish("ada", "tiers")
    now = open_site()
    records = now.records.query("account").records
    assert {r["name"]: r["tier"] for r in records} == dict.fromkeys(
        ("small", "middle", "large"), "standard"
    )
    newest = now.records.history("account", records[0].id)[0]
    assert (newest.action, newest.changes) == ("fill", {"tier": [None, "standard"]})


def test_publishing_an_invalid_draft_changes_nothing(accounts: Runtime) -> None:
    site = accounts.site
    site.save_draft(Overlay().set(A_MIN, 10, base=80), "ada")
    before = snapshot(accounts)
    with pytest.raises(ConfigInvalid) as caught:
        site.publish("ada", "oops")
    assert caught.value.candidate.problems[0].code == "FW601"
    assert snapshot(accounts) == before


def test_rollback_restores_the_earlier_config_and_archived_columns_with_their_data(
    accounts: Runtime, open_site: Callable[[], Runtime]
) -> None:
    site = accounts.site
    site.save_draft(Overlay().set(WECHAT, NEW_FIELD), "ada")
    site.publish("ada", "add wechat")
    with_field = open_site()
    record = with_field.records.create("account", {"name": "wx", "size": 5, "wechat": "kept"})
    # Revision 2 drops the field again: its column is archived, not dropped.
    with_field.site.save_draft(with_field.site.draft().reset(WECHAT), "ada")
    with_field.site.publish("ada", "no wechat after all")
    without = open_site()
    assert "wechat" not in without.model.entity("account").fields
    assert "wechat" not in without.records.get("account", record.id).values
    third = without.site.rollback(1, "bob")
    assert (third.number, third.message) == (3, "Roll back to revision 1")
    assert third.overlay == without.site.revision(1).overlay
    back = open_site()
    assert back.records.get("account", record.id)["wechat"] == "kept"
    assert [r.number for r in back.site.revisions()] == [3, 2, 1]


def test_rolling_back_to_an_unknown_revision_is_a_key_error(site: Runtime) -> None:
    with pytest.raises(KeyError):
        site.site.rollback(7, "bob")


def failing_after(original: Callable[..., Any]) -> Callable[..., Any]:
    """`original`, which then fails: its work is done inside the publish transaction."""

    def run(*args: Any, **kwargs: Any) -> Any:
        original(*args, **kwargs)
        raise RuntimeError("disk full")

    return run


@pytest.mark.parametrize("step", ["apply_sync", "insert_revision", "clear_draft", "regrade"])
def test_a_failure_at_any_step_of_publish_leaves_config_and_data_as_they_were(
    accounts: Runtime, open_site: Callable[[], Runtime], monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    site = accounts.site
    draft = Overlay().set(A_MIN, 70, base=80).set(WECHAT, NEW_FIELD)
    site.save_draft(draft, "ada")
    before = snapshot(accounts)
    monkeypatch.setattr(publish_module, step, failing_after(getattr(publish_module, step)))
    with pytest.raises(RuntimeError, match="disk full") as caught:
        site.publish("ada", "lower the A threshold")
    assert "publish rolled back" in "".join(caught.value.__notes__)
    assert snapshot(accounts) == before
    assert site.active() is None and site.draft() == draft
    assert open_site().model.gradings["account_grade"].grades[0].min_score == 80


def test_a_stored_overlay_with_a_conflict_still_loads_and_reports_it(
    accounts: Runtime, package: Path, open_site: Callable[[], Runtime]
) -> None:
    accounts.site.save_draft(
        Overlay().set(A_MIN, 70, base=80).set("app/title/en", "Clients", base="Accounts"), "ada"
    )
    accounts.site.publish("ada", "lower A")
    write(
        package, {"gradings/account_grade.yaml": GRADING.replace("min_score: 80", "min_score: 85")}
    )
    upgraded = open_site()
    status = upgraded.site.status
    assert [c.patch.path for c in status.conflicts] == [A_MIN]
    assert not status.degraded
    assert upgraded.model.gradings["account_grade"].grades[0].min_score == 85
    assert upgraded.model.title.texts["en"] == "Clients"


def test_an_overlay_the_upgraded_package_rejects_falls_back_to_the_patches_that_fit(
    accounts: Runtime,
    package: Path,
    open_site: Callable[[], Runtime],
    caplog: pytest.LogCaptureFixture,
) -> None:
    accounts.site.save_draft(Overlay().set(A_MIN, 70, base=80).set(WECHAT, NEW_FIELD), "ada")
    accounts.site.publish("ada", "lower A")
    # The new package raises B above the site's A: the overlay would make the config invalid.
    write(
        package, {"gradings/account_grade.yaml": GRADING.replace("min_score: 50", "min_score: 75")}
    )
    upgraded = open_site()
    status = upgraded.site.status
    assert status.degraded
    assert [p.path for p in status.dropped] == [A_MIN]
    assert [p.code for p in status.problems] == ["FW601"]
    assert "wechat" in upgraded.model.entity("account").fields
    assert upgraded.model.gradings["account_grade"].grades[0].min_score == 80
    assert "does not fit the package" in caplog.text


def test_a_schema_change_the_data_refuses_passes_through_and_changes_nothing(
    accounts: Runtime,
) -> None:
    accounts.records.create("account", {"name": "twin", "size": 1})
    accounts.records.create("account", {"name": "twin", "size": 2})
    site = accounts.site
    site.save_draft(Overlay().set("entities/account/fields/name/unique", True), "ada")
    before = snapshot(accounts)
    with pytest.raises(SchemaSyncRefused) as caught:
        site.publish("ada", "names are unique")
    assert caught.value.plan.refusals
    assert snapshot(accounts) == before and site.active() is None
