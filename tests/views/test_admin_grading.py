"""The grading editor: each input writes one patch on the draft, with the package's value
as its base; the validator's problems show next to the inputs they concern."""

from __future__ import annotations

import pytest

from formwork.overlay.patches import Overlay, Patch
from tests.pages import Page

URL = "/admin/config/gradings/customer_grade"
BASE = "gradings/customer_grade"
GRADE_A = f"{BASE}/grades/grade=A/min_score"
GRADE_B = f"{BASE}/grades/grade=B/min_score"
WEIGHT = f"{BASE}/dimensions/name=contract_value/weight"
BANDS = f"{BASE}/dimensions/name=contract_value/bands"
OVERRIDE = f"{BASE}/overrides/0"


def test_a_new_threshold_is_one_patch_with_the_package_value_as_base(as_role, runtime) -> None:
    response = as_role("admin").post_form(URL, {GRADE_A: "75"})
    assert response.status_code == 303
    assert runtime.site.draft().patches == (Patch("set", GRADE_A, 75, base=80),)


def test_a_label_in_one_language_is_a_patch_of_that_language(as_role, runtime) -> None:
    path = f"{BASE}/grades/grade=A/label"
    as_role("admin").post_form(URL, {f"{path}/zh": "A类 战略客户", f"{path}/en": "A – top"})
    assert runtime.site.draft().patches == (
        Patch("set", f"{path}/en", "A – top", base="A – strategic account"),
    )


def test_the_page_shows_the_draft_value_marked_changed_with_the_package_value(
    as_role, runtime
) -> None:
    runtime.site.save_draft(Overlay().set(WEIGHT, 50, base=35), "admin")
    html = as_role("admin").get(URL).get_data(as_text=True)
    page = Page(html)
    assert page.forms[-1].fields[WEIGHT] == "50"
    assert "package: 35" in html


def test_reset_goes_back_to_the_package_value(as_role, runtime) -> None:
    runtime.site.save_draft(Overlay().set(GRADE_A, 75, base=80).set(WEIGHT, 50, base=35), "admin")
    response = as_role("admin").post_form(URL, {"reset": GRADE_A})
    assert response.status_code == 303
    assert [p.path for p in runtime.site.draft().patches] == [WEIGHT]


def test_typing_the_package_value_again_drops_the_patch(as_role, runtime) -> None:
    runtime.site.save_draft(Overlay().set(GRADE_A, 75, base=80), "admin")
    as_role("admin").post_form(URL, {GRADE_A: "80"})
    assert runtime.site.draft() == Overlay()


@pytest.mark.parametrize(
    ("path", "typed", "kept"),
    [
        (WEIGHT, "abc", "abc"),
        (WEIGHT, "-5", -5),
        (WEIGHT, "1e400", "1e400"),
        (GRADE_A, "200", 200),
        (GRADE_A, "50", 50),  # below B's 60: thresholds out of order
        (f"{BANDS}/0/points", "lots", "lots"),
        (
            f"{BASE}/dimensions/name=complexity/value",
            "complexity * nothing",
            "complexity * nothing",
        ),
    ],
)
def test_a_bad_value_is_kept_in_the_draft_with_its_problem_beside_it(
    as_role, runtime, path, typed, kept
) -> None:
    response = as_role("admin").post_form(URL, {path: typed})
    assert response.status_code == 422
    assert runtime.site.draft().patch_at(path).value == kept
    page = Page(response.get_data(as_text=True))
    errors = [i for i in page.ids if i.endswith("-error")]
    assert errors, "no problem shown next to an input"
    assert "problem-summary" in page.ids


def test_thresholds_out_of_order_show_at_the_grade_that_breaks_the_order(as_role) -> None:
    response = as_role("admin").post_form(URL, {GRADE_B: "90"})
    assert response.status_code == 422
    page = Page(response.get_data(as_text=True))
    assert "not below" in page.text("p-gradings-customer_grade-grades-1-min_score-error")
    html = response.get_data(as_text=True)
    assert 'id="p-gradings-customer_grade-grades-1-min_score" name="' + GRADE_B in html
    assert 'aria-describedby="p-gradings-customer_grade-grades-1-min_score-error"' in html


def test_htmx_gets_the_form_back_not_the_page(as_role) -> None:
    admin = as_role("admin")
    ok = admin.post_form(URL, {GRADE_A: "75"}, headers={"HX-Request": "true"})
    assert ok.status_code == 200
    html = ok.get_data(as_text=True)
    assert html.lstrip().startswith("<form") and "<html" not in html
    bad = admin.post_form(URL, {GRADE_A: "55"}, headers={"HX-Request": "true"})
    assert bad.status_code == 422 and "<html" not in bad.get_data(as_text=True)


def test_an_override_can_change_its_kind_and_grade(as_role, runtime) -> None:
    as_role("admin").post_form(URL, {f"{OVERRIDE}/__kind": "at_most", f"{OVERRIDE}/__grade": "B"})
    patches = {p.path: p for p in runtime.site.draft().patches}
    assert patches[f"{OVERRIDE}/at_least"].op == "remove"
    assert patches[f"{OVERRIDE}/at_most"].value == "B"


def test_adding_an_override_keeps_it_with_its_problems_until_filled_in(as_role, runtime) -> None:
    admin = as_role("admin")
    response = admin.post_form(URL, {"op": "add overrides"})
    assert response.status_code == 422
    overrides = runtime.site.candidate().document["gradings"]["customer_grade"]["overrides"]
    assert len(overrides) == 2 and overrides[1]["at_least"] == "A"
    filled = {
        f"{BASE}/overrides/1/when": "complexity >= 5",
        f"{BASE}/overrides/1/reason/zh": "复杂项目",
    }
    assert admin.post_form(URL, filled).status_code == 303
    assert runtime.site.candidate().valid


def test_removing_an_override(as_role, runtime) -> None:
    as_role("admin").post_form(URL, {"op": "drop overrides 0"})
    assert runtime.site.draft().patches == (
        Patch(
            "set",
            f"{BASE}/overrides",
            [],
            base=runtime.site.candidate(Overlay()).document["gradings"]["customer_grade"][
                "overrides"
            ],
        ),
    )


def test_bands_can_be_added_before_the_catch_all_and_removed(as_role, runtime) -> None:
    admin = as_role("admin")
    admin.post_form(URL, {"op": "add dimensions/name=contract_value/bands"})
    bands = runtime.site.candidate().document["gradings"]["customer_grade"]["dimensions"][0][
        "bands"
    ]
    assert len(bands) == 6 and bands[4] == {"min": 0, "points": 0} and "min" not in bands[5]
    admin.post_form(URL, {"op": "drop dimensions/name=contract_value/bands 4"})
    assert runtime.site.draft() == Overlay()


@pytest.mark.parametrize(
    "op",
    [
        "explode",
        "up overrides",
        "drop overrides 9",
        "add grades",
        "up nowhere 0",
        "drop dimensions/name=x/bands 0",
    ],
)
def test_malformed_buttons_are_bad_requests(as_role, runtime, op) -> None:
    assert as_role("admin").post_form(URL, {"op": op}).status_code == 400
    assert runtime.site.draft() == Overlay()


def test_an_unknown_grading_is_not_found(as_role) -> None:
    assert as_role("admin").get("/admin/config/gradings/nope").status_code == 404


def test_resetting_outside_the_grading_is_refused(as_role) -> None:
    assert as_role("admin").post_form(URL, {"reset": "app/title"}).status_code == 400
