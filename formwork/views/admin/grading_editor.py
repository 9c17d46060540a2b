"""The grading editor: weights and bands of the dimensions, grade thresholds, labels and
strategies, and the overrides (their condition, the grade they force, and why).

    GET|POST /admin/config/gradings/<name>

Each input edits one property of the grading in the draft (`gradings/<name>/grades/grade=A/
min_score`); the buttons add and remove bands and overrides.
"""

from __future__ import annotations

import copy
from typing import Any

from flask import abort

from ...overlay.paths import MISSING, item_step, join_path
from . import bp, drafting, listops
from .drafting import Draft, Edit
from .editor import Page, handle
from .edits import changes
from .posted import Posted, put

#: The ways an override moves the grade (the key it is written under).
OVERRIDE_KINDS = ("at_least", "at_most", "set")


@bp.route("/gradings/<name>", methods=["GET", "POST"])
def grading(name: str) -> Page:
    base = join_path("gradings", name)
    if not isinstance(drafting.current().value(base), dict):
        abort(404)
    return handle(
        "admin/grading.html",
        "admin/_grading_form.html",
        base,
        lambda draft, posted: read(draft, posted, name),
        lambda draft: {"name": name, "base": base, "view": GradingView(draft, name)},
    )


class GradingView:
    """What the page shows of a grading: its parts with the paths their inputs edit."""

    def __init__(self, draft: Draft, name: str) -> None:
        self.base = join_path("gradings", name)
        self.doc: dict[str, Any] = draft.value(self.base)
        self.entity = self.doc.get("entity", "")

    def items(self, key: str) -> list[tuple[str, int, dict[str, Any]]]:
        """(path, index, item) of the list `key` (dimensions, grades, overrides)."""
        items = self.doc.get(key) or []
        if not isinstance(items, list):
            return []
        return [
            (f"{self.base}/{key}/{join_path(item_step(items, i))}", i, item)
            for i, item in enumerate(items)
            if isinstance(item, dict)
        ]

    def bands(self, dimension_path: str, dimension: dict[str, Any]) -> list[tuple[str, int, Any]]:
        bands = dimension.get("bands") or []
        return [(f"{dimension_path}/bands/{i}", i, band) for i, band in enumerate(bands)]

    def relative(self, path: str) -> str:
        return path[len(self.base) + 1 :]

    @property
    def grade_names(self) -> list[str]:
        return [str(g.get("grade")) for _p, _i, g in self.items("grades") if g.get("grade")]

    @property
    def grade_choices(self) -> list[tuple[str, str]]:
        return [(grade, grade) for grade in self.grade_names]

    @staticmethod
    def override_kind(override: dict[str, Any]) -> tuple[str, str]:
        for kind in OVERRIDE_KINDS:
            if kind in override:
                return kind, str(override[kind])
        return "at_least", ""


def read(draft: Draft, posted: Posted, name: str) -> list[Edit]:
    view = GradingView(draft, name)
    old = view.doc
    new = copy.deepcopy(old)
    locales = draft.locales
    put(new, "label", posted.label(f"{view.base}/label", old.get("label", MISSING), locales))
    for path, index, item in view.items("dimensions"):
        target = new["dimensions"][index]
        put(target, "label", posted.label(f"{path}/label", item.get("label", MISSING), locales))
        put(target, "weight", posted.number(f"{path}/weight", item.get("weight", MISSING)))
        put(target, "value", posted.formula(f"{path}/value", item.get("value", MISSING)))
        for band_path, b, band in view.bands(path, item):
            if isinstance(band, dict):
                put(
                    target["bands"][b],
                    "min",
                    posted.number(f"{band_path}/min", band.get("min", MISSING)),
                )
                put(
                    target["bands"][b],
                    "points",
                    posted.number(f"{band_path}/points", band.get("points", MISSING)),
                )
    for path, index, item in view.items("grades"):
        target = new["grades"][index]
        put(target, "label", posted.label(f"{path}/label", item.get("label", MISSING), locales))
        put(target, "min_score", posted.number(f"{path}/min_score", item.get("min_score", MISSING)))
        put(
            target,
            "strategy",
            posted.label(f"{path}/strategy", item.get("strategy", MISSING), locales),
        )
        put(target, "color", posted.text(f"{path}/color", item.get("color", MISSING)))
    for path, index, item in view.items("overrides"):
        target = new["overrides"][index]
        put(target, "when", posted.formula(f"{path}/when", item.get("when", MISSING)))
        put(target, "reason", posted.label(f"{path}/reason", item.get("reason", MISSING), locales))
        kind, grade = view.override_kind(item)
        new_kind = posted.choice(f"{path}/__kind", kind, OVERRIDE_KINDS)
        new_grade = posted.text(f"{path}/__grade", grade)
        if (new_kind, new_grade) != (kind, grade):
            for key in OVERRIDE_KINDS:
                target.pop(key, None)
            put(target, new_kind if new_kind is not MISSING else kind, new_grade)
    op = listops.parse(posted.raw("op"))
    if op is not None:
        if op.verb == "add" and op.list.endswith("/bands"):
            dimension = listops.node_at(new, op.list.removesuffix("/bands"))
            if isinstance(dimension, dict):
                dimension.setdefault("bands", [])
        listops.apply(op, new, lambda items: _new_item(op.list, items, view))
    return changes(view.base, old, new)


def _new_item(list_path: str, items: list[Any], view: GradingView) -> Any:
    if list_path == "overrides":
        grades = view.grade_names
        return {"when": "", "at_least": grades[0] if grades else "", "reason": ""}
    if not (list_path.startswith("dimensions/") and list_path.endswith("/bands")):
        abort(400)  # grades and dimensions are not added here
    last = items[-1] if items else None
    band = {"min": 0, "points": 0}
    if isinstance(last, dict) and "min" not in last:
        return len(items) - 1, band  # before the catch-all band
    return band
