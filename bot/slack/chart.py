"""The digest's chart: alerts per day by severity over the period, and the median time from alert
to decision, drawn as a PNG with matplotlib's Agg canvas (no display, no pyplot global state).

matplotlib is imported only here, only when a chart is drawn: `iambot --help` and the ack path
never load it. ``chart_data`` is what the picture is drawn from, so it can be checked as data.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from bot.catalog import SEVERITIES
from bot.workflow import Digest

WIDTH, HEIGHT, DPI = 1000, 500, 100  # pixels of the PNG
COLOURS = {"critical": "#b00020", "high": "#e8710a", "medium": "#f9ab00", "low": "#4285f4", "info": "#9aa0a6"}
MAX_DAYS = 92  # a longer period is drawn as its last 92 days


@dataclass(frozen=True)
class Chart:
    filename: str
    title: str
    alt: str  # what the chart shows, for a screen reader (files.getUploadURLExternal's alt_txt)
    comment: str  # the line posted with it
    data: dict[str, Any]
    png: bytes


def chart_data(d: Digest) -> dict[str, Any]:
    """Days (oldest first), one series of counts per severity (most severe first), the median."""
    days = sorted(d.by_day)[-MAX_DAYS:]
    order = list(reversed(SEVERITIES))
    series = {s: [int(d.by_day[day].get(s, 0)) for day in days] for s in order}
    return {
        "days": days,
        "series": {s: counts for s, counts in series.items() if any(counts)},
        "median_minutes": d.decision_minutes_median,
        "decisions": d.decisions,
        "total": sum(sum(c) for c in series.values()),
    }


def _median_text(data: dict[str, Any]) -> str:
    if data["median_minutes"] is None:
        return "no request decided in the period"
    return f"median time from alert to decision: {data['median_minutes']:g} min ({data['decisions']} alert(s) decided)"


def draw(data: dict[str, Any]) -> bytes:
    """The PNG, WIDTH x HEIGHT pixels: stacked bars per day, the median in the title."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    days = data["days"]
    labels = [day[5:] for day in days]  # MM-DD
    bottom = [0] * len(days)
    for severity, counts in data["series"].items():
        axes.bar(labels, counts, bottom=bottom, label=severity, color=COLOURS.get(severity, "#888888"))
        bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
    axes.set_ylabel("alerts")
    axes.set_title(f"Alerts per day by severity · {_median_text(data)}", fontsize=11)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    if data["series"]:
        axes.legend(loc="upper left", fontsize=9)
    if len(labels) > 14:
        axes.tick_params(axis="x", labelrotation=90, labelsize=7)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI)
    return out.getvalue()


def digest_chart(d: Digest) -> Chart:
    data = chart_data(d)
    stamp = d.until[:16].replace(":", "").replace("T", "-")
    period = f"{d.since[:10]} – {d.until[:10]}"
    alt = f"Bar chart of {data['total']} alert(s) per day by severity, {period}; {_median_text(data)}."
    return Chart(
        filename=f"iambot-digest-{stamp}.png",
        title=f"iambot digest {period}",
        alt=alt[:1000],
        comment=f"The digest's chart: alerts per day by severity, {period}; {_median_text(data)}.",
        data=data,
        png=draw(data),
    )
