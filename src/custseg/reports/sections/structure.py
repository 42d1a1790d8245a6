"""Customer structure (seed 000 描述性统计): distributions, Pareto/Lorenz curve with Gini,
feature statistics — from `Project.describe` as of the report's date."""

from __future__ import annotations

from custseg.features.structure import UNKNOWN
from custseg.reports import charts
from custseg.reports import format as fmt
from custseg.reports.section import Chart, Figures, Section, Table, Text

KEY, ORDER, TITLE = "structure", 30, "report_structure"
PIES = ("gender", "channel", "member_level")
TOP = 15


def _distribution(ctx, dimension: str, rows: list[dict]) -> Chart | None:
    """A ring of customers for few categories, else customer vs revenue shares as bars."""
    known = [r for r in rows if r["value"] not in (None, "", UNKNOWN)]
    if len(known) < 2:  # nothing to compare (e.g. no customer attributes loaded)
        return None
    title = ctx.t("report_by", dimension=ctx.t(f"report_dim_{dimension}"))
    labels = [ctx.t("report_unknown") if r["value"] in (None, "", UNKNOWN) else str(r["value"])
              for r in rows]
    if dimension in PIES and len(rows) <= 8:
        return Chart(charts.pie(labels, [r["customers"] for r in rows], title=title))
    if dimension == "register_cohort":
        order = sorted(range(len(rows)), key=lambda i: labels[i])
    else:
        order = list(range(min(len(rows), TOP)))
    return Chart(charts.bars(
        [labels[i] for i in order],
        {ctx.t("report_customer_share"): [rows[i]["customer_share"] for i in order],
         ctx.t("report_revenue_share"): [rows[i]["revenue_share"] for i in order]},
        title=title, percent=True))


def _concentration(ctx, data: dict) -> list:
    curves, figures = {}, []
    for measure in ("revenue", "profit"):
        c = data.get(f"{measure}_concentration") or {}
        if not c.get("total"):
            continue
        name = ctx.t(f"report_{measure}")
        points = c["lorenz"]
        curves[name] = ([p["customer_share"] for p in points], [p["value_share"] for p in points])
        figures += [(ctx.t("report_top20", measure=name), fmt.percent(c["top20_share"], ctx.lang)),
                    (ctx.t("report_gini", measure=name), fmt.number(c["gini"], ctx.lang, 3))]
    if not curves:
        return []
    return [Figures(figures), Chart(charts.lorenz(
        curves, title=ctx.t("report_lorenz"), x_title=ctx.t("report_cum_customers"),
        y_title=ctx.t("report_cum_value"), equality=ctx.t("report_equality")),
        caption=ctx.t("report_lorenz_caption"))]


def _feature_table(ctx, data: dict) -> Table:
    columns = [ctx.t("report_feature"), "n", ctx.t("report_mean"), ctx.t("report_median"),
               ctx.t("report_std"), ctx.t("report_meaning")]
    rows = [[r["feature"], r["n"], r["mean"], r["median"], r["std"], ctx.feature_text(r["feature"])]
            for r in data["features"] if r["segment_id"] == "ALL"]
    return Table(columns, rows, caption=ctx.t("report_features_caption"))


def build(ctx) -> Section | None:
    if not ctx.has_orders:
        return None
    data = ctx.structure
    blocks = [Figures([(ctx.t("customers"), fmt.number(data["customers"], ctx.lang)),
                       (ctx.t("as_of"), fmt.day(data["as_of"], ctx.lang))]),
              *_concentration(ctx, data)]
    charts_ = [c for d, rows in data["distributions"].items()
               if (c := _distribution(ctx, d, rows)) is not None]
    blocks += charts_ or [Text(ctx.t("report_no_attributes"), "note")]
    blocks.append(_feature_table(ctx, data))
    return Section(KEY, ctx.t(TITLE), blocks)
