"""The results page's charts as inline SVG, drawn on the server by pygal: no script, no
third-party asset (pygal's tooltip script is turned off, the config script it always writes
is taken out as on the dashboard, its styles are inlined). Labels are numbers and dates only."""

from __future__ import annotations

import pygal
from pygal.style import Style

from surveys.results import Results
from workflows.dashboard.charts import inline_svg

_STYLE = Style(
    background="transparent",
    plot_background="transparent",
    colors=("#2f5fb3", "#c0392b", "#7f8c8d"),
    font_family="system-ui, sans-serif",
)
_COMMON = {
    "disable_xml_declaration": True,  # inline in the page
    "js": [],  # no tooltip script from the web
    "style": _STYLE,
    "show_legend": False,
    "width": 640,
    "height": 280,
    "explicit_size": False,  # scales with its box (viewBox)
    "print_values": False,
}


def distribution_svg(found: Results) -> str:
    """Responses per score ("" when the first question is not a scale)."""
    if not found.distribution:
        return ""
    chart = pygal.Bar(title="Responses per score", x_title="Score", y_title="Responses", **_COMMON)
    chart.x_labels = [str(score) for score, _n in found.distribution]
    chart.add("Responses", [n for _score, n in found.distribution])
    return inline_svg(chart)


def trend_svg(found: Results) -> str:
    """The NPS or average rating per week ("" with no week to show)."""
    if not found.weeks:
        return ""
    nps = found.scale == "nps"
    chart = pygal.Line(
        title="NPS per week" if nps else "Average rating per week",
        x_title="Week starting",
        range=(-100, 100) if nps else (1, 5),
        **_COMMON,
    )
    chart.x_labels = [week.start.isoformat() for week in found.weeks]
    chart.add("NPS" if nps else "Average", [week.value for week in found.weeks])
    return inline_svg(chart)
