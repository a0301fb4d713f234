"""The dashboard's charts: each daily series drawn as an inline SVG by pygal, on the server
(no JavaScript, nothing loaded from elsewhere)."""

from __future__ import annotations

import math
import re
from datetime import date

import pygal
from pygal.style import Style

# A line keeps its colour whichever others are drawn beside it; other lines take the palette.
COLORS = {
    "received": "#1f6feb",
    "sent": "#1f6feb",
    "succeeded": "#2da44e",
    "failed": "#cf222e",
    "stopped": "#8c959f",
    "in_progress": "#54aeff",
    "skipped_suppressed": "#8250df",
    "skipped_no_consent": "#bf8700",
    "skipped_frequency_cap": "#e16f24",
    "skipped_send_once": "#0a7ea4",
}
PALETTE = ("#6639ba", "#953800", "#1b7c83", "#9a6700", "#57606a")
Y_STEPS = 5


def _style(colors: tuple[str, ...]) -> Style:
    return Style(
        background="transparent",
        plot_background="transparent",
        font_family="system-ui, sans-serif",
        colors=colors or PALETTE,
        title_font_size=18,
        label_font_size=13,
        major_label_font_size=13,
        legend_font_size=14,
        no_data_font_size=18,
    )


def _y_labels(lines: list[dict]) -> list[int]:
    """Whole numbers from 0 past the highest day's stack, about Y_STEPS of them."""
    days = zip(*(line["values"] for line in lines), strict=True)
    highest = max((sum(day) for day in days), default=0)
    step = max(1, math.ceil(highest / Y_STEPS))
    return list(range(0, highest + step, step))


def svg(title: str, dates: list[date], lines: list[dict]) -> str:
    """A stacked bar chart of `lines` (``{"key", "label", "values"}``, one value per date)
    as SVG markup, with no XML declaration and no script; lines that are zero every day are
    left out."""
    shown = [line for line in lines if any(line["values"])]
    extra = iter(PALETTE * len(shown))
    colors = tuple(COLORS.get(line["key"]) or next(extra) for line in shown)
    chart = pygal.StackedBar(
        style=_style(colors),
        width=900,
        height=300,
        title=title,
        js=[],
        disable_xml_declaration=True,
        legend_at_bottom=True,
        legend_at_bottom_columns=4,
        truncate_legend=-1,
        truncate_label=-1,
        show_minor_x_labels=False,
        no_data_text="Nothing in these days",
        explicit_size=False,
    )
    chart.x_labels = [d.strftime("%b %d") for d in dates]
    chart.x_labels_major = chart.x_labels[:: max(1, len(dates) // 6)]
    if shown:  # (pygal can't take y labels for a chart without data)
        chart.y_labels = _y_labels(shown)
    for line in shown:
        chart.add(line["label"], line["values"])
    return inline_svg(chart)


def panels(series: list[dict], dates: list[date]) -> list[dict]:
    """The dashboard's panels, one per daily series (``stats.daily``): its chart and the
    total of each line that is not zero every day."""
    return [
        {
            "key": s["key"],
            "title": s["title"],
            "svg": svg(s["title"], dates, s["lines"]),
            "totals": [
                (line["label"], sum(line["values"])) for line in s["lines"] if any(line["values"])
            ],
        }
        for s in series
    ]


# pygal always writes its settings into a <script> for its optional tooltips (`js=[]` only
# drops the script it would load from its site) and credits itself in comments. Its text is
# XML-escaped, so a '</script>' can't occur inside it.
SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>|<script\b[^>]*/>|<!--.*?-->", re.S)


def inline_svg(chart: pygal.graph.graph.Graph) -> str:
    """A pygal chart's SVG markup to put in a page: no script, no comments."""
    return SCRIPT.sub("", chart.render(is_unicode=True))
