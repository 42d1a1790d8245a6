"""Clustering runs (K-Means …): the elbow and silhouette of every K tried, the z-score
profile of each cluster, the customers on two principal components and the surrogate-tree
rules, from the chart data the run stored (`custseg.io.results.load_charts`)."""

from __future__ import annotations

from custseg.io import results
from custseg.reports import charts
from custseg.reports import format as fmt
from custseg.reports.section import Chart, Figures, Section, Table, Text
from custseg.reports.sections.segments import run_heading

KEY, ORDER, TITLE = "clustering", 50, "report_clustering"
FROM_RUNS = True
CHARTS = ("k_curve", "profile_heatmap", "pca_scatter")


def _k_curve(ctx, data: dict) -> Chart:
    fig = charts.lines(data["k"], {ctx.t("report_inertia"): data["inertia"]},
                       secondary={ctx.t("report_silhouette"): data["silhouette"]},
                       secondary_title=ctx.t("report_silhouette"), marker_at=data.get("chosen"),
                       title=ctx.t("report_k_curve"), x_title="K",
                       y_title=ctx.t("report_inertia"))
    return Chart(fig, caption=ctx.t("report_k_caption", k=data.get("chosen")))


def _profile(ctx, data: dict) -> Chart:
    names = (data.get("names") or {}).get(ctx.lang) or [""] * len(data["segments"])
    labels = [f"{s} {n}".strip() for s, n in zip(data["segments"], names, strict=True)]
    fig = charts.heatmap(data["z"], data["features"], labels,
                         title=ctx.t("report_profile_heatmap"), value_format=".2f",
                         diverging=True, height=160 + 48 * len(labels))
    return Chart(fig, caption=ctx.t("report_profile_caption"))


def _scatter(ctx, data: dict) -> Chart:
    a, b = (data.get("explained") or [None, None])[:2]
    fig = charts.scatter(data["x"], data["y"], data["segment"], title=ctx.t("report_pca"),
                         x_title=f"PC1 ({fmt.percent(a, ctx.lang)})",
                         y_title=f"PC2 ({fmt.percent(b, ctx.lang)})")
    return Chart(fig, caption=ctx.t("report_pca_caption", n=fmt.number(len(data["x"]),
                                                                       ctx.lang)))


def _explanation(ctx, info: dict) -> list:
    cards = [("K", fmt.number(info.get("k"), ctx.lang)),
             (ctx.t("report_fit_sample"), fmt.number(info.get("n_sample"), ctx.lang))]
    if info.get("fidelity") is not None:
        cards.append((ctx.t("report_fidelity"), fmt.percent(info["fidelity"], ctx.lang)))
    stability = info.get("stability") or {}
    if stability.get("mean_ari") is not None:
        cards.append((ctx.t("report_stability"), fmt.number(stability["mean_ari"], ctx.lang, 2)))
    blocks: list = [Figures(cards)]
    if info.get("k_rule"):
        blocks.append(Text(f"{ctx.t('report_k_rule')}: {info['k_rule']}", "note"))
    rules = [[seg, r["rule"], r["customers"], r["precision"]]
             for seg, found in (info.get("rules") or {}).items() for r in found]
    if rules:
        blocks.append(Table([ctx.t("report_cluster"), ctx.t("rule"), ctx.t("customers"),
                             ctx.t("report_precision")], rules,
                            caption=ctx.t("report_rules_tree"), digits={3: 2}))
    return blocks


def run_blocks(ctx, run: dict, data: dict) -> list:
    blocks = [Text(run_heading(ctx, run), "h3")]
    if data.get("clustering"):
        blocks += _explanation(ctx, data["clustering"])
    for name, make in zip(CHARTS, (_k_curve, _profile, _scatter), strict=True):
        if data.get(name):
            blocks.append(make(ctx, data[name]))
    return blocks


def build(ctx) -> Section | None:
    blocks = []
    for run in ctx.segment_runs:
        data = results.load_charts(ctx.con, run["run_id"])
        if any(name in data for name in CHARTS):
            blocks += run_blocks(ctx, run, data)
    return Section(KEY, ctx.t(TITLE), blocks) if blocks else None
