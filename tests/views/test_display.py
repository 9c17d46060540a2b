"""Values as pages show them: escaped, linked only when safe, titles only within scope."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from formwork.metamodel import App, load_app
from formwork.store.actor import Actor
from formwork.views.display import Display, LinkTitles
from tests.packages import write_package


@pytest.fixture
def show(app: Flask):
    with app.test_request_context():
        yield Display("zh", "Asia/Shanghai")


def field(crm_app: App, entity: str, name: str) -> Any:
    return crm_app.entity(entity).fields[name]


@pytest.mark.parametrize(
    ("name", "value", "html"),
    [
        ("grade", "A", '<span class="chip chip-red">A类 战略客户</span>'),
        ("region", "华北", '<span class="chip chip-none">华北</span>'),
        ("region", "<b>", '<span class="chip chip-none">&lt;b&gt;</span>'),
        ("name", "<script>x</script>", "&lt;script&gt;x&lt;/script&gt;"),
        ("annual_amount", Decimal("1234.5"), "¥1,234.50"),
        ("website", "https://a.cn/?q=1&r=2", 'href="https://a.cn/?q=1&amp;r=2"'),
        ("website", "javascript:alert(1)", "javascript:alert(1)"),
        ("phone", "+86 10-8888", 'href="tel:+86108888"'),
        ("notes", "line1\nline2", '<div class="longtext">line1\nline2</div>'),
        ("name", None, "—"),
        ("tags", [], "—"),
    ],
)
def test_values_render_as_safe_markup(show, crm_app: App, name: str, value: Any, html: str) -> None:
    assert html in str(show.html(field(crm_app, "customer", name), value))


@pytest.mark.parametrize(
    ("name", "values"),
    [
        ("grade", ["A", "B", "A", "<b>", None, ""]),
        ("tags", [["高潜力客户", "<i>"], [], None]),
        ("name", ["<script>x</script>", "甲", "", None]),
        ("score", [0, 87, None]),
        ("annual_amount", [Decimal("1234.5"), None]),
        ("website", ["https://a.cn/?q=1&r=2", "javascript:alert(1)"]),
        ("notes", ["line1\nline2", ""]),
        ("major_dispute", [True, False, None]),
    ],
)
def test_a_column_renders_each_value_as_html_does(
    show, crm_app: App, name: str, values: list[Any]
) -> None:
    column = field(crm_app, "customer", name)
    cell = show.cells(column)
    for value in values:
        assert cell(value) == show.html(column, value), value


def test_chips_of_two_fields_with_the_same_name_do_not_mix(
    show, crm_app: App, tmp_path: Path
) -> None:
    """The chips a Display keeps belong to their field, not to a field name."""
    region = {"type": "select", "options": [{"value": "华北", "color": "blue"}]}
    other = load_app(write_package(tmp_path, {"ticket": {"region": region}}))
    theirs = other.entity("ticket").fields["region"]
    ours = field(crm_app, "customer", "region")
    assert "chip-none" in show.cells(ours)("华北")
    assert "chip-blue" in show.cells(theirs)("华北")


def test_a_javascript_url_is_never_a_link(show, crm_app: App) -> None:
    assert "<a" not in str(show.html(field(crm_app, "customer", "website"), "javascript:alert(1)"))


def test_times_show_in_the_configured_zone(show, crm_app: App) -> None:
    noon_utc = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)
    assert show.local_time(noon_utc) == "2026-01-01 20:00"


def test_link_titles_name_only_records_the_viewer_may_read(app: Flask, runtime, users, crm) -> None:
    mine = users.create("am1", "Manager One", "correct horse battery", ["account_manager"])
    theirs = users.create("am2", "Manager Two", "correct horse battery", ["account_manager"])
    own, other = crm.customer("自己的", owner=mine), crm.customer("别人的", owner=theirs)
    contacts = [crm.contact("张三", own), crm.contact("李四", other)]
    link = field(runtime.model, "contact", "customer")
    viewer = Actor(mine.id, "am1", ("account_manager",))
    titles = LinkTitles(runtime.records, viewer).load([link], [c.values for c in contacts])
    with app.test_request_context():
        shown = Display("zh", "UTC", titles)
        assert "自己的" in shown.html(link, own.id)
        assert str(shown.html(link, other.id)) == f"#{other.id}"
        manager = field(runtime.model, "customer", "account_manager")
        titles.load([manager], [own.values])
        assert str(shown.html(manager, mine.id)) == "Manager One"
