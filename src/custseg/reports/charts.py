"""Plotly figures from plain, already aggregated data: one function per kind of chart.

Charts receive lists of figures (never customer-level rows), so a report of a million
customers is as small as one of a thousand. Labels come in already translated.

>>> fig = bars(["A", "B"], {"customers": [3, 1]}, title="sizes")
>>> fig.data[0].y
(3, 1)
"""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go
from plotly.subplots import make_subplots

FONT = ("system-ui, -apple-system, 'Segoe UI', 'PingFang SC', 'Microsoft YaHei', "
        "'Noto Sans CJK SC', sans-serif")
GRID = "#e5e9ef"
COLOURS = ("#2f6db5", "#e07b39", "#3a9d5d", "#c8414b", "#8062b3", "#8c6d3f", "#d46aa8",
           "#6b7a8f", "#b5a12f", "#2aa3b5")


def finish(fig: go.Figure, *, title: str = "", height: int = 380) -> go.Figure:
    """The common look: white background, the report's fonts, legend on top."""
    fig.update_layout(  # a plain look set directly: copying a full template is slow
        template="none", paper_bgcolor="white", plot_bgcolor="white", height=height,
        title={"text": title, "x": 0.01},
        font={"family": FONT, "size": 13}, colorway=COLOURS, separators=".,",
        margin={"l": 60, "r": 24, "t": 56 if title else 24, "b": 48},
        legend={"orientation": "h", "y": -0.18})
    fig.update_xaxes(gridcolor=GRID, linecolor=GRID, zerolinecolor=GRID, automargin=True)
    fig.update_yaxes(gridcolor=GRID, linecolor=GRID, zerolinecolor=GRID, automargin=True)
    return fig


def bars(categories: Sequence, series: dict[str, Sequence], *, title: str = "",
         x_title: str = "", y_title: str = "", stacked: bool = False,
         horizontal: bool = False, percent: bool = False, height: int = 380) -> go.Figure:
    """Grouped (or stacked) bars of one or more series over the same categories."""
    fig = go.Figure()
    for name, values in series.items():
        axes = {"y": list(categories), "x": list(values), "orientation": "h"} if horizontal \
            else {"x": list(categories), "y": list(values)}
        fig.add_trace(go.Bar(name=name, **axes))
    fig.update_layout(barmode="stack" if stacked else "group",
                      showlegend=len(series) > 1)
    value_axis = fig.update_xaxes if horizontal else fig.update_yaxes
    value_axis(tickformat=".0%" if percent else ",", title=y_title)
    (fig.update_yaxes if horizontal else fig.update_xaxes)(title=x_title, type="category")
    if horizontal:
        fig.update_yaxes(autorange="reversed")
    return finish(fig, title=title, height=height)


def pie(labels: Sequence[str], values: Sequence, *, title: str = "",
        height: int = 360) -> go.Figure:
    """Shares of a whole (a ring, largest slice first)."""
    fig = go.Figure(go.Pie(labels=list(labels), values=list(values), hole=0.45, sort=True,
                           textinfo="percent"))
    return finish(fig, title=title, height=height)


def lorenz(curves: dict[str, tuple[Sequence[float], Sequence[float]]], *, title: str = "",
           x_title: str = "", y_title: str = "", equality: str = "") -> go.Figure:
    """Lorenz curves (cumulative share of customers → of value) with the equality line."""
    fig = go.Figure(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name=equality,
                               line={"dash": "dot", "color": "#999"}))
    for name, (x, y) in curves.items():
        fig.add_trace(go.Scatter(x=list(x), y=list(y), mode="lines+markers", name=name))
    fig.update_xaxes(tickformat=".0%", title=x_title, range=[0, 1])
    fig.update_yaxes(tickformat=".0%", title=y_title, range=[0, 1])
    return finish(fig, title=title, height=420)


def heatmap(z: Sequence[Sequence], x: Sequence, y: Sequence, *, title: str = "",
            x_title: str = "", y_title: str = "", value_format: str = ",",
            diverging: bool = False, height: int = 420) -> go.Figure:
    """A matrix with its values written in the cells."""
    fig = go.Figure(go.Heatmap(
        z=[list(r) for r in z], x=list(x), y=list(y), texttemplate=f"%{{z:{value_format}}}",
        colorscale="RdBu_r" if diverging else "Blues", zmid=0 if diverging else None))
    fig.update_xaxes(title=x_title, type="category")
    fig.update_yaxes(title=y_title, type="category")
    return finish(fig, title=title, height=height)


def treemap(labels: Sequence[str], values: Sequence, *, root: str, title: str = "",
            height: int = 420) -> go.Figure:
    """Segment sizes as nested rectangles under one root."""
    fig = go.Figure(go.Treemap(
        labels=[root, *labels], parents=["", *[root] * len(labels)],
        values=[sum(values), *values], branchvalues="total",
        textinfo="label+value+percent root"))
    return finish(fig, title=title, height=height)


def small_multiples(categories: Sequence[str], panels: dict[str, Sequence], *,
                    title: str = "", height: int = 380) -> go.Figure:
    """One bar panel per measure (measures on different scales side by side)."""
    fig = make_subplots(rows=1, cols=len(panels), subplot_titles=list(panels))
    for i, (name, values) in enumerate(panels.items(), start=1):
        fig.add_trace(go.Bar(x=list(categories), y=list(values), name=name,
                             marker_color=COLOURS[(i - 1) % len(COLOURS)]), row=1, col=i)
    fig.update_layout(showlegend=False)
    fig.update_xaxes(type="category")
    return finish(fig, title=title, height=height)


def sankey(nodes: Sequence[str], links: Sequence[dict], *, title: str = "",
           height: int = 460) -> go.Figure:
    """Flows between segments of two snapshots (`custseg.segment.migration.sankey`)."""
    fig = go.Figure(go.Sankey(
        node={"label": list(nodes), "pad": 14, "thickness": 16},
        link={"source": [lk["source"] for lk in links], "target": [lk["target"] for lk in links],
              "value": [lk["value"] for lk in links]}))
    return finish(fig, title=title, height=height)


def lines(x: Sequence, series: dict[str, Sequence], *, title: str = "", x_title: str = "",
          y_title: str = "", secondary: dict[str, Sequence] | None = None,
          secondary_title: str = "", marker_at=None, markers: bool = True,
          height: int = 380) -> go.Figure:
    """Line charts of several series, optionally some on a second y axis; ``marker_at``
    draws a vertical line at one x (e.g. the chosen K); ``markers=False`` for long series
    whose dots would crowd the line."""
    fig = make_subplots(specs=[[{"secondary_y": bool(secondary)}]])
    mode = "lines+markers" if markers else "lines"
    for name, values in series.items():
        fig.add_trace(go.Scatter(x=list(x), y=list(values), name=name, mode=mode))
    for name, values in (secondary or {}).items():
        fig.add_trace(go.Scatter(x=list(x), y=list(values), name=name, mode=mode,
                                 line={"dash": "dash"}), secondary_y=True)
    if marker_at is not None:
        fig.add_vline(x=marker_at, line={"dash": "dot", "color": "#c8414b"})
    fig.update_xaxes(title=x_title)
    fig.update_yaxes(title=y_title, secondary_y=False)
    if secondary:
        fig.update_yaxes(title=secondary_title, secondary_y=True)
    return finish(fig, title=title, height=height)


def calibration(curves: dict[str, tuple[Sequence[float], Sequence[float]]], *,
                title: str = "", x_title: str = "", y_title: str = "",
                ideal: str = "") -> go.Figure:
    """Observed rate against mean predicted probability per decile, with the diagonal."""
    fig = go.Figure(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name=ideal,
                               line={"dash": "dot", "color": "#999"}))
    for name, (predicted, observed) in curves.items():
        fig.add_trace(go.Scatter(x=list(predicted), y=list(observed), name=name,
                                 mode="lines+markers"))
    fig.update_xaxes(title=x_title, range=[0, 1], tickformat=".0%")
    fig.update_yaxes(title=y_title, range=[0, 1], tickformat=".0%")
    return finish(fig, title=title, height=420)


def scatter(x: Sequence[float], y: Sequence[float], groups: Sequence[str], *,
            title: str = "", x_title: str = "", y_title: str = "",
            height: int = 460) -> go.Figure:
    """Points coloured by group (e.g. customers on two principal components)."""
    fig = go.Figure()
    for group in sorted(set(groups), key=str):
        idx = [i for i, g in enumerate(groups) if g == group]
        fig.add_trace(go.Scatter(x=[x[i] for i in idx], y=[y[i] for i in idx], name=str(group),
                                 mode="markers", marker={"size": 5, "opacity": 0.7}))
    fig.update_xaxes(title=x_title)
    fig.update_yaxes(title=y_title)
    return finish(fig, title=title, height=height)


def intervals(names: Sequence[str], values: Sequence[float], low: Sequence[float],
              high: Sequence[float], *, title: str = "", y_title: str = "",
              targets: Sequence[float | None] | None = None, target_name: str = "",
              height: int = 380) -> go.Figure:
    """Estimates with confidence intervals (e.g. campaign lift) and optional targets."""
    fig = go.Figure(go.Bar(
        x=list(names), y=list(values), name=y_title,
        error_y={"type": "data", "symmetric": False,
                 "array": [h - v for v, h in zip(values, high, strict=True)],
                 "arrayminus": [v - lo for v, lo in zip(values, low, strict=True)]}))
    if targets and any(t is not None for t in targets):
        fig.add_trace(go.Scatter(x=list(names), y=list(targets), mode="markers",
                                 name=target_name, marker={"symbol": "line-ew-open",
                                                           "size": 28, "color": "#c8414b"}))
    fig.update_xaxes(type="category")
    fig.update_yaxes(title=y_title, zeroline=True)
    return finish(fig, title=title, height=height)
