"""Campaign results (SPEC §8): per campaign the lift of each KPI over the random holdout
with its 95% confidence interval, the target and whether it was met, and the diagnostics.
With ``--run``, only the campaigns drawn from a shown segmentation run."""

from __future__ import annotations

from custseg.errors import CustsegError
from custseg.reports import charts
from custseg.reports import format as fmt
from custseg.reports.section import Chart, Section, Table, Text

KEY, ORDER, TITLE = "campaigns", 90, "report_campaigns"
FROM_RUNS = True
SHOWN = 10


def _heading(ctx, camp: dict) -> str:
    return ctx.t("report_campaign_heading", id=camp["campaign_id"],
                 segment=camp.get("segment_id") or "", measure=camp.get("measure") or "",
                 start=fmt.day(camp.get("start_date"), ctx.lang))


def _kpi_blocks(ctx, result: dict) -> list:
    kpis = result.get("kpis") or []
    blocks = []
    measured = [k for k in kpis if k.get("relative_lift") is not None and k.get("name") != "roi"]
    if measured:  # relative lift: rates and amounts on one comparable scale
        fig = charts.intervals(
            [k.get("label") or k["name"] for k in measured],
            *[[k[f] if k.get(f) is not None else k["relative_lift"] for k in measured]
              for f in ("relative_lift", "rel_ci_low", "rel_ci_high")],
            title=ctx.t("report_lift_chart"), y_title=ctx.t("report_relative_lift"))
        fig.update_yaxes(tickformat=".0%")
        blocks.append(Chart(fig, caption=ctx.t("report_lift_caption")))
    columns = [ctx.t(k) for k in ("report_kpi", "report_treated", "report_control",
                                  "report_lift_vs_holdout", "report_ci_low", "report_ci_high",
                                  "report_target", "report_met")]
    rows = [[k.get("label") or k["name"], k.get("treated"), k.get("control"), k.get("lift"),
             k.get("ci_low"), k.get("ci_high"), k.get("target_text") or k.get("target"),
             k.get("met")] for k in kpis]
    if rows:
        blocks.append(Table(columns, rows, digits={1: 3, 2: 3, 3: 3, 4: 3, 5: 3}))
    for note in result.get("diagnostics") or []:
        text = note.get(ctx.lang) or note.get("en") or ""
        blocks.append(Text(text, "warning" if note.get("level") != "info" else "note"))
    return blocks


def build(ctx) -> Section | None:
    listed = [c for c in ctx.project.campaigns() if ctx.shows(c.get("segment_run_id"))]
    if not listed:
        return None
    blocks = []
    for camp in listed[:SHOWN]:
        blocks.append(Text(_heading(ctx, camp), "h3"))
        try:
            result = ctx.project.evaluate_campaign(camp["campaign_id"], lang=ctx.lang)
        except CustsegError as exc:  # e.g. no orders after the start yet
            blocks.append(Text(str(exc), "note"))
            continue
        blocks += _kpi_blocks(ctx, result)
    if len(listed) > SHOWN:
        blocks.append(Text(ctx.t("report_more_campaigns", n=len(listed) - SHOWN), "note"))
    return Section(KEY, ctx.t(TITLE), blocks)
