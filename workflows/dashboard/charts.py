"""The dashboard's charts: each daily series drawn as an inline SVG by pygal, on the server
(no JavaScript, nothing loaded from elsewhere)."""

from __future__ import annotations

import re
from datetime import date

import pygal
from pygal.style import Style

STYLE = Style(
    background="transparent",
    plot_background="transparent",
    font_family="system-ui, sans-serif",
    colors=(
        "#1f6feb",
        "#2da44e",
        "#cf222e",
        "#8250df",
        "#bf8700",
        "#57606a",
        "#0a7ea4",
        "#e16f24",
        "#6e7781",
    ),
)


def svg(title: str, dates: list[date], lines: list[dict]) -> str:
    """A stacked bar chart of `lines` (``{"label", "values"}``, one value per date) as SVG
    markup, with no XML declaration and no script; lines that are zero every day are left
    out of the legend."""
    chart = pygal.StackedBar(
        style=STYLE,
        width=760,
        height=280,
        title=title,
        js=[],
        disable_xml_declaration=True,
        show_legend=True,
        legend_at_bottom=True,
        legend_at_bottom_columns=3,
        x_label_rotation=0,
        show_minor_x_labels=False,
        truncate_legend=-1,
        print_values=False,
        include_x_axis=True,
        no_data_text="Nothing in these days",
        explicit_size=False,
    )
    chart.x_labels = [d.strftime("%b %d") for d in dates]
    chart.x_labels_major = chart.x_labels[:: max(1, len(dates) // 6)]
    shown = [line for line in lines if any(line["values"])]
    for line in shown:
        chart.add(line["label"], line["values"])
    return without_scripts(chart.render(is_unicode=True))


# pygal always writes its settings into a <script> for its optional tooltips (`js=[]` only
# drops the script it would load from its site) and credits itself in comments. Its text is
# XML-escaped, so a '</script>' can't occur inside it.
SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>|<script\b[^>]*/>|<!--.*?-->", re.S)


def without_scripts(markup: str) -> str:
    return SCRIPT.sub("", markup)
