"""Merging an overlay into its package: applied in order, reset to the package's value, kept
across package upgrades, conflicts reported and kept, problems located at the patch."""

from __future__ import annotations

from pathlib import Path

from formwork.overlay import MISSING, Overlay, build_candidate, value_at
from tests.overlay.conftest import A_MIN, ACCOUNT, GRADING, write

NEW_FIELD = {"type": "text", "label": {"en": "WeChat"}}


def grade_a(package: Path, overlay: Overlay) -> float | None:
    candidate = build_candidate(package, overlay)
    assert candidate.problems == ()
    assert candidate.app is not None
    return candidate.app.gradings["account_grade"].grades[0].min_score


def test_an_overlay_changes_properties_and_adds_fields(package: Path) -> None:
    overlay = (
        Overlay()
        .set(A_MIN, 70, base=80)
        .set("entities/account/fields/wechat", NEW_FIELD)
        .set(
            "entities/account/fields/region/options/value=east",
            {"value": "east", "label": {"en": "East"}},
        )
        .set(
            "entities/account/fields/region/options/value=north/label/en", "Northern", base="North"
        )
        .remove("entities/account/fields/notes", base={"type": "text", "label": {"en": "Notes"}})
    )
    candidate = build_candidate(package, overlay)
    assert candidate.problems == () and candidate.conflicts == ()
    app = candidate.require()
    account = app.entity("account")
    assert app.gradings["account_grade"].grades[0].min_score == 70
    assert "wechat" in account.fields and "notes" not in account.fields
    assert [o.value for o in account.field("region").options] == ["north", "south", "east"]
    assert (
        value_at(candidate.document, "entities/account/fields/region/options/0/label/en")
        == "Northern"
    )


def test_reset_gives_the_property_the_package_value_again(package: Path) -> None:
    overlay = Overlay().set(A_MIN, 70, base=80).set("app/title/en", "Clients", base="Accounts")
    assert grade_a(package, overlay.reset(A_MIN)) == 80
    assert build_candidate(package, overlay.reset(A_MIN)).require().title.texts["en"] == "Clients"


def test_a_package_upgrade_keeps_the_overlay(package: Path) -> None:
    overlay = Overlay().set(A_MIN, 70, base=80).set("entities/account/fields/wechat", NEW_FIELD)
    # The new package version changes other properties and adds a field of its own.
    write(
        package,
        {
            "gradings/account_grade.yaml": GRADING.replace("min_score: 50", "min_score: 45"),
            "entities/account.yaml": ACCOUNT + "  phone: {type: phone, label: {en: Phone}}\n",
        },
    )
    candidate = build_candidate(package, overlay)
    assert candidate.conflicts == ()
    app = candidate.require()
    grades = app.gradings["account_grade"].grades
    assert (grades[0].min_score, grades[1].min_score) == (70, 45)
    assert {"wechat", "phone"} <= set(app.entity("account").fields)


def test_a_patch_on_a_property_the_package_changed_too_is_reported_and_kept(package: Path) -> None:
    overlay = Overlay().set(A_MIN, 70, base=80).set("app/title/en", "Clients", base="Accounts")
    write(
        package, {"gradings/account_grade.yaml": GRADING.replace("min_score: 80", "min_score: 90")}
    )
    candidate = build_candidate(package, overlay)
    (conflict,) = candidate.conflicts
    assert conflict.patch == overlay.patch_at(A_MIN)
    assert conflict.reason == "the package now has 90 here (it had 80 when the patch was made)"
    # Not applied, not dropped: the package's value holds, the overlay still has the patch.
    assert grade_a(package, overlay) == 90
    assert candidate.overlay == overlay
    assert candidate.require().title.texts["en"] == "Clients"


def test_a_package_that_adopted_the_same_value_is_no_conflict(package: Path) -> None:
    write(
        package, {"gradings/account_grade.yaml": GRADING.replace("min_score: 80", "min_score: 70")}
    )
    candidate = build_candidate(package, Overlay().set(A_MIN, 70, base=80))
    assert candidate.conflicts == ()


def test_a_patch_whose_place_is_gone_is_a_conflict(package: Path) -> None:
    overlay = Overlay().set("entities/account/fields/notes/label/en", "Remarks", base="Notes")
    write(
        package,
        {
            "entities/account.yaml": ACCOUNT.replace(
                "  notes: {type: text, label: {en: Notes}}\n", ""
            )
        },
    )
    (conflict,) = build_candidate(package, overlay).conflicts
    assert "the package has no entities/account/fields/notes" in conflict.reason


def test_a_new_field_the_package_later_adds_differently_is_a_conflict(package: Path) -> None:
    overlay = Overlay().set("entities/account/fields/wechat", NEW_FIELD)
    write(
        package, {"entities/account.yaml": ACCOUNT + "  wechat: {type: url, label: {en: WeChat}}\n"}
    )
    (conflict,) = build_candidate(package, overlay).conflicts
    assert "it had no value when the patch was made" in conflict.reason


def test_a_problem_in_a_patched_node_names_the_patch(package: Path) -> None:
    overlay = Overlay().set("entities/account/fields/wechat", {"type": "txt", "label": {"en": "W"}})
    candidate = build_candidate(package, overlay, label="config revision 4")
    assert candidate.app is None
    (problem,) = candidate.problems
    assert problem.code == "FW204"
    assert str(problem.location) == "config revision 4: entities/account/fields/wechat"


def test_a_meaning_problem_in_a_patched_node_names_the_patch_too(package: Path) -> None:
    b_min = "gradings/account_grade/grades/grade=B/min_score"
    candidate = build_candidate(package, Overlay().set(b_min, 90, base=50))
    (problem,) = candidate.problems
    assert problem.code == "FW601"  # B above A
    assert str(problem.location) == f"site overlay: {b_min}"


def test_problems_in_unpatched_files_keep_their_file_line_after_a_list_item_is_removed(
    package: Path,
) -> None:
    broken = ACCOUNT.replace(
        "{value: south, label: {en: South}}", "{value: south, label: {en: South}, colour: red}"
    )
    write(package, {"entities/account.yaml": broken})
    overlay = Overlay().remove(
        "entities/account/fields/region/options/value=north",
        base={"value": "north", "label": {"en": "North"}},
    )
    candidate = build_candidate(package, overlay)
    (problem,) = candidate.problems
    assert problem.path == "entities.account.fields.region.options[0].colour"
    assert str(problem.location) == "accounts/entities/account.yaml:12"  # the south option


def test_the_package_document_is_not_changed_by_a_merge(package: Path) -> None:
    build_candidate(package, Overlay().set(A_MIN, 70, base=80))
    assert value_at(build_candidate(package, Overlay()).document, A_MIN) == 80
    assert value_at(build_candidate(package, Overlay()).document, "app/nothing") is MISSING
