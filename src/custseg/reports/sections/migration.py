"""Migration between the two latest runs of each shown model (SPEC §9): the Sankey of who
moved where, the largest flows, feature drift (PSI) and structure warnings."""

from __future__ import annotations

from custseg import snapshots
from custseg.reports import charts
from custseg.reports import format as fmt
from custseg.reports.section import Chart, Section, Table, Text
from custseg.reports.sections.segments import model_label

KEY, ORDER, TITLE = "migration", 100, "report_migration"
FROM_RUNS = True


def pair(ctx, run: dict) -> tuple[str, str] | None:
    """The shown run and the latest earlier-created run of its model, earlier as-of first."""
    ids = [r["run_id"] for r in ctx.runs]  # newest first
    older = ctx.runs[ids.index(run["run_id"]) + 1:]
    before = [r for r in older if r["kind"] == "segment" and r["status"] == "done"
              and r["model"] == run["model"]]
    if not before:
        return None
    other = before[0]
    if (other["as_of"] or "") > (run["as_of"] or ""):
        return run["run_id"], other["run_id"]
    return other["run_id"], run["run_id"]


def migration_blocks(ctx, report: dict) -> list:
    """Sankey, largest flows, PSI and warnings of one `custseg.snapshots.migration` report;
    a one-line note instead of the Sankey when no customer is in both runs."""
    heading = ctx.t("report_migration_heading", model=model_label(ctx, report["model"]),
                    a=fmt.day(report["as_of_a"], ctx.lang), b=fmt.day(report["as_of_b"], ctx.lang))
    blocks: list = [Text(heading, "h3")]
    if report["sankey"]["links"]:
        blocks.append(Chart(charts.sankey(report["sankey"]["nodes"], report["sankey"]["links"],
                                          title=ctx.t("report_sankey")),
                            caption=ctx.t("report_sankey_caption")))
    else:  # an empty Sankey draws nothing: say so instead
        blocks.append(Text(ctx.t("report_no_flows"), "note"))
    flows = report["largest_flows"]
    if flows:
        blocks.append(Table([ctx.t("report_from"), ctx.t("report_to"), ctx.t("customers")],
                            [[f["from_name"], f["to_name"], f["customers"]] for f in flows],
                            caption=ctx.t("report_flows_caption")))
    if report.get("psi"):
        blocks.append(Table([ctx.t("report_feature"), "PSI"],
                            [[k, v] for k, v in report["psi"].items()],
                            caption=ctx.t("report_psi_caption")))
    blocks += [Text(w, "warning") for w in report.get("warnings", [])]
    return blocks


def build(ctx) -> Section | None:
    blocks = []
    for run in ctx.segment_runs:
        runs = pair(ctx, run)
        if runs is not None:
            report = snapshots.migration(ctx.con, *runs, lang=ctx.lang)
            blocks += migration_blocks(ctx, report)
    return Section(KEY, ctx.t(TITLE), blocks) if blocks else None
