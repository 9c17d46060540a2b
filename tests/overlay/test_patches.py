"""Overlays: one patch per path, editing keeps the package's base, YAML in and out."""

from __future__ import annotations

import pytest

from formwork.overlay import MISSING, Overlay, OverlayError, Patch
from formwork.overlay.patches import diff

A_MIN = "gradings/g/grades/grade=A/min_score"


def test_setting_a_path_again_replaces_its_patch_and_keeps_the_first_base() -> None:
    overlay = Overlay().set(A_MIN, 75, base=80).set("app/title/en", "Shop").set(A_MIN, 70, base=75)
    assert overlay.patches == (
        Patch("set", A_MIN, 70, 80),
        Patch("set", "app/title/en", "Shop"),
    )


def test_reset_drops_the_patches_on_a_path_and_below() -> None:
    overlay = (
        Overlay()
        .set("entities/order/fields/total/label/en", "Sum", base="Total")
        .set("entities/order/fields/total/min", 0)
        .set("entities/order/title", "number", base="name")
    )
    assert overlay.reset("entities/order/fields/total").patches == (
        Patch("set", "entities/order/title", "number", "name"),
    )
    assert (
        overlay.reset("entities/order/fields/total/min").patch_at("entities/order/fields/total/min")
        is None
    )


def test_a_new_value_for_a_node_replaces_the_patches_below_it() -> None:
    overlay = Overlay().set("entities/order/fields/total/label/en", "Sum", base="Total")
    replaced = overlay.set("entities/order/fields/total", {"type": "money"}, base={"type": "x"})
    assert replaced.patches == (
        Patch("set", "entities/order/fields/total", {"type": "money"}, {"type": "x"}),
    )


def test_editing_inside_a_field_the_overlay_added_changes_that_patch() -> None:
    overlay = Overlay().set(
        "entities/order/fields/wechat", {"type": "text", "label": {"en": "WeChat"}}
    )
    overlay = overlay.set("entities/order/fields/wechat/label/en", "WeChat ID")
    overlay = overlay.remove("entities/order/fields/wechat/type")
    assert overlay.patches == (
        Patch("set", "entities/order/fields/wechat", {"label": {"en": "WeChat ID"}}),
    )


def test_an_overlay_survives_a_yaml_round_trip() -> None:
    overlay = (
        Overlay()
        .set(A_MIN, 75, base=80)
        .set("app/title/zh", "客户", base=None)
        .remove("entities/order/fields/fax", base={"type": "phone"})
        .set("entities/order/fields/when", {"type": "date", "default": "2026-01-31"})
    )
    text = overlay.to_yaml()
    assert "客户" in text  # written as is, not escaped
    back = Overlay.from_yaml(text)
    assert back == overlay
    assert back.patch_at("app/title/zh").base is None
    assert back.patch_at("entities/order/fields/when").base is MISSING


def test_an_empty_file_is_an_empty_overlay() -> None:
    assert Overlay.from_yaml("").is_empty
    assert Overlay.from_yaml("patches: []\n").is_empty


@pytest.mark.parametrize(
    ("text", "line", "says"),
    [
        ("patches:\n  - set: app/title\n    value: [1\n", 4, "not valid YAML"),
        ("- set: app/title\n", 1, "one key, `patches:`"),
        ("patches: {set: app/title}\n", 1, "must be a list"),
        ("patches:\n  - app/title\n", 2, "each patch is a mapping"),
        ("patches:\n  - set: app/title\n", 2, "needs `value:`"),
        ("patches:\n  - set: app/title\n    remove: app/x\n", 2, "exactly one of"),
        ("patches:\n  - set: app/title\n    value: 1\n    why: x\n", 2, "unknown key 'why'"),
        ("patches:\n  - remove: widgets/x\n", 2, "must start with one of"),
        ("patches:\n  - remove: app\n", 2, "whole section"),
        ("patches:\n  - set: 12\n    value: 1\n", 2, "must be text"),
        (
            "patches:\n  - {set: app/title, value: 1}\n  - {set: app/title, value: 2}\n",
            3,
            "two patches on app/title",
        ),
        ("patches:\n  - set: app/title\n    value: 1\n    value: 2\n", 4, "not valid YAML"),
    ],
)
def test_a_bad_overlay_file_is_refused_with_its_line(text: str, line: int, says: str) -> None:
    with pytest.raises(OverlayError, match=says) as caught:
        Overlay.from_yaml(text)
    assert caught.value.line == line


def test_the_diff_of_two_overlays_lists_changes_and_resets() -> None:
    old = Overlay().set(A_MIN, 75, base=80).set("app/title/en", "Shop")
    new = Overlay().set(A_MIN, 70, base=80).set("app/title/zh", "店")
    assert diff(old, new) == (
        Patch("set", A_MIN, 70, 80),
        Patch("set", "app/title/zh", "店"),
        Patch("reset", "app/title/en"),
    )
