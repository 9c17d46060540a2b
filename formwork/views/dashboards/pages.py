"""The dashboard pages: the list of dashboards a user sees, and one dashboard's widgets."""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, render_template

from ...metamodel.dashboard_model import Dashboard
from ..context import actor, model, service, text
from . import charts, dashboards
from .figures import Figures, figures

#: How the bars of each kind of widget drawn with bars are laid out.
BAR_LAYOUTS = {"bar": charts.bars, "funnel": charts.funnel, "aging": charts.columns}


@dataclass(frozen=True)
class Panel:
    """One widget on the page: its figures and, for charts, where the marks go."""

    figures: Figures
    #: The ring of a pie or the line over time; bars, funnel stages and columns are `bars`.
    chart: charts.Chart | None = None
    bars: tuple[charts.Bar, ...] = ()
    #: A pie's total, written in its middle.
    total: str = ""

    @property
    def drawn(self) -> bool:
        return self.chart is not None or bool(self.bars)


def visible_dashboards() -> list[Dashboard]:
    """The dashboards the signed-in user's roles see, in name order."""
    user = actor()
    if user is None:
        return []
    return [d for _name, d in sorted(model().dashboards.items()) if d.visible_to(user.roles)]


dashboards.add_app_template_global(visible_dashboards, "dashboard_nav")


def panel(found: Figures) -> Panel:
    kind = found.widget.kind
    if not found.available or kind == "number" or found.empty:
        return Panel(found)
    if kind == "line":
        assert found.numbers is not None
        return Panel(found, charts.line(found.marks, found.numbers.short))
    if kind == "pie":
        assert found.numbers is not None
        total = found.numbers.short(sum(m.value for m in found.marks))
        return Panel(found, charts.donut(found.marks), total=total)
    return Panel(found, bars=BAR_LAYOUTS[kind](found.marks))


@dashboards.get("/")
def index() -> str:
    return render_template("dashboards/index.html", dashboards=visible_dashboards())


@dashboards.get("/<name>")
def show(name: str) -> str:
    dashboard = model().dashboards.get(name)
    user = actor()
    if dashboard is None or user is None or not dashboard.visible_to(user.roles):
        abort(404)
    today = service().clock().date()
    panels = [panel(figures(widget, today)) for widget in dashboard.widgets]
    return render_template(
        "dashboards/show.html",
        dashboard=dashboard,
        title=text(dashboard.label, dashboard.name),
        panels=panels,
        others=[d for d in visible_dashboards() if d.name != name],
    )
