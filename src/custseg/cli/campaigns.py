"""Commands of the strategy loop: the playbook, campaigns with holdout groups, actions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.markup import escape
from rich.table import Table

from custseg.campaigns.kpis import KPIS, ROI
from custseg.cli._app import (
    JsonOpt,
    Lang,
    ProjectOpt,
    app,
    console,
    err,
    export_path,
    handle_errors,
    parse_date,
)
from custseg.errors import CustsegError
from custseg.i18n import t
from custseg.pipeline import Project

KPI_LABELS = {**KPIS, ROI.name: ROI}
LangOpt = Annotated[Lang | None, typer.Option("--lang", help="Language of labels (default: "
                                              "the project's).")]
ModelOpt = Annotated[str | None, typer.Option(
    "--model", "-m", help="Segmentation model (default: [playbook] model, then [segmentation] "
    "model).")]


def _json(data) -> None:
    console.print_json(json.dumps(data, default=str, ensure_ascii=False))


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x * 100:.1f}%"


@app.command()
@handle_errors
def playbook(model: ModelOpt = None, as_json: JsonOpt = False, lang: LangOpt = None,
             project_dir: ProjectOpt = Path(".")) -> None:
    """The strategy playbook: direction, measures, owner, budget and KPI targets per segment.

    Exits with 1 and names what is missing when a segment lacks a direction, a measure or an
    owner (fill them in [playbook.segments.SEGMENT_ID] of custseg.toml).
    """
    with Project.open(project_dir) as project:
        lang = lang or project.settings.project.language
        rows = project.playbook(model, lang=lang)
    if as_json:
        _json([{k: v for k, v in r.items() if k != "model"} for r in rows])
    else:
        title = f"{t('playbook_title', lang)} · {rows[0]['model'] if rows else model}"
        table = Table("id", t("playbook_segment", lang), t("customers", lang),
                      t("playbook_direction", lang),
                      t("playbook_measures", lang), t("playbook_owner", lang),
                      t("playbook_budget", lang), t("playbook_kpis", lang), title=title)
        for r in rows:
            table.add_row(r["segment_id"], r["segment_name"],
                          "-" if r["customers"] is None else f"{r['customers']:,}",
                          r["direction"] or "[red]?[/]", "; ".join(r["measures"]) or "[red]?[/]",
                          r["owner"] or "[red]?[/]", r["budget"] or "",
                          "; ".join(f"{KPI_LABELS[k].label(lang) if k in KPI_LABELS else k} "
                                    f"{v}" for k, v in r["kpi_targets"].items()))
        console.print(table)
    missing = [f"{r['segment_id']} {r['segment_name']}: " + ", ".join(f"no {m}"
                                                                       for m in r["missing"])
               for r in rows if r["missing"]]
    if missing:
        hint = t("playbook_fill_in", lang).format(section=escape("[playbook.segments.<id>]"))
        err.print(f"[yellow]{t('playbook_incomplete', lang)}[/] — {hint}", highlight=False)
        for line in missing:
            err.print(f"  {line}", highlight=False, soft_wrap=True)
        raise typer.Exit(1)


campaign_app = typer.Typer(help="Campaigns: target lists with a random holdout, progress, "
                           "evaluation.", no_args_is_help=True)
app.add_typer(campaign_app, name="campaign")
actions_app = typer.Typer(help="Actions taken per customer: import a file or record one.",
                          no_args_is_help=True)
app.add_typer(actions_app, name="actions")


@campaign_app.command("plan")
@handle_errors
def campaign_plan(
    segment: Annotated[str, typer.Option("--segment", "-s", help="Segment id, e.g. A004.")],
    measure: Annotated[str, typer.Option("--measure", help="A measure of the segment's "
                                         "playbook row (key, Chinese or English name).")],
    model: ModelOpt = None,
    holdout: Annotated[str | None, typer.Option(
        "--holdout", help="Share of the segment held out as control, e.g. 10% (default: "
        "[campaigns] holdout).")] = None,
    seed: Annotated[int | None, typer.Option(
        "--seed", help="Seed of the holdout draw; the same seed gives the same groups "
        "(default: a random seed, stored).")] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Owner (default: the "
                                              "playbook's).")] = None,
    cost: Annotated[float | None, typer.Option("--cost", help="Cost, for ROI.")] = None,
    start: Annotated[str | None, typer.Option(
        "--start", help="First day, YYYY-MM-DD (default: the day after the run's as-of "
        "date).")] = None,
    post_days: Annotated[int | None, typer.Option("--post-days", min=1)] = None,
    pre_days: Annotated[int | None, typer.Option("--pre-days", min=1)] = None,
    export: Annotated[Path | None, typer.Option(
        "--export", help="Write the target list (masked) to a .csv, .xlsx or .parquet file.")
                      ] = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
    project_dir: ProjectOpt = Path("."),
) -> None:
    """Draw a segment's target list and random holdout, store both, export the list."""
    day = parse_date(start, "--start")
    export = export_path(export)
    with Project.open(project_dir) as project:
        lang = lang or project.settings.project.language
        plan = project.plan_campaign(segment, measure, model=model, holdout=holdout, seed=seed,
                                     owner=owner, cost=cost, start=day, pre_days=pre_days,
                                     post_days=post_days, lang=lang)
        rows = project.export_campaign(plan["campaign_id"], export) if export else None
    if as_json:
        _json(plan | {"exported": rows})
        return
    console.print(
        f"[bold]{t('campaign_planned', lang)} {plan['campaign_id']}[/] · {plan['segment_id']} "
        f"{plan['segment_name']} · {plan['measure_name']} · {plan['owner']}", highlight=False,
        soft_wrap=True)
    console.print(
        f"{t('campaign_target', lang)} {plan['target_customers']:,} · "
        f"{t('campaign_holdout', lang)} {plan['holdout_customers']:,} "
        f"({_pct(plan['holdout_share'])}) · {t('campaign_seed', lang)} {plan['seed']} · "
        f"{t('campaign_start', lang)} {plan['start_date']} · "
        f"{t('campaign_excluded', lang)} {plan['excluded_objectors']:,}", highlight=False,
        soft_wrap=True)
    if rows is not None:
        console.print(f"{t('exported', lang)}: {export} ({rows:,})", highlight=False,
                      soft_wrap=True)


@campaign_app.command("export")
@handle_errors
def campaign_export(
    campaign_id: Annotated[str, typer.Argument(help="Campaign id, e.g. C0001.")],
    path: Annotated[Path, typer.Argument(help="A .csv, .xlsx or .parquet file.")],
    project_dir: ProjectOpt = Path("."),
) -> None:
    """Write a campaign's target list with names and phones masked."""
    export_path(path)
    with Project.open(project_dir) as project:
        rows = project.export_campaign(campaign_id, path)
    console.print(f"exported: {path} ({rows:,})", highlight=False, soft_wrap=True)


@campaign_app.command("list")
@handle_errors
def campaign_list(as_json: JsonOpt = False, project_dir: ProjectOpt = Path(".")) -> None:
    """Every campaign, newest first."""
    with Project.open(project_dir) as project:
        rows = project.campaigns()
    if as_json:
        _json(rows)
        return
    table = Table("campaign", "segment", "measure", "owner", "target", "holdout", "seed",
                  "start", "status")
    for r in rows:
        table.add_row(r["campaign_id"], f"{r['segment_id']} {r['segment_name']}", r["measure"],
                      r["owner"] or "", f"{r['target_customers']:,}",
                      f"{r['holdout_customers']:,}", str(r["seed"]), r["start_date"],
                      r["status"])
    console.print(table)


@campaign_app.command("status")
@handle_errors
def campaign_status(
    by: Annotated[Literal["week", "month"], typer.Option("--by", help="Period.")] = "week",
    campaign_id: Annotated[str | None, typer.Option("--campaign", help="One campaign.")
                           ] = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
    project_dir: ProjectOpt = Path("."),
) -> None:
    """Progress per week or month, segment and owner; reach and redemption per campaign."""
    with Project.open(project_dir) as project:
        lang = lang or project.settings.project.language
        data = project.campaign_status(by=by, campaign_id=campaign_id)
    if as_json:
        _json(data)
        return
    table = Table(t("campaign_period", lang), "campaign", "segment", t("playbook_owner", lang),
                  t("campaign_planned_count", lang), t("campaign_sent", lang),
                  t("campaign_done", lang))
    for r in data["rows"]:
        table.add_row(str(r["period"]), r["campaign_id"], r["segment_id"], r["owner"],
                      *(f"{r[k]:,}" for k in ("planned", "sent", "done")))
    console.print(table)
    summary = Table("campaign", "segment", "status", t("campaign_target", lang),
                    t("campaign_reached", lang), t("campaign_done", lang),
                    t("campaign_redeemed", lang))
    for c in data["campaigns"]:
        m = c["target_members"]
        summary.add_row(c["campaign_id"], c["segment_id"], c["status"], f"{m:,}",
                        *(f"{c[k]:,} ({_pct(c[k] / m) if m else '-'})" for k in ("reached",
                                                                                "done")),
                        f"{c['redeemed']:,}")
    console.print(summary)


def _kpi_row(k: dict) -> list[str]:
    rate = k["kind"] == "proportion"

    def fmt(x):
        if x is None:
            return "-"
        return _pct(x) if rate else f"{x:,.2f}"

    lift = "-" if k["lift"] is None else (f"{k['lift'] * 100:+.1f} pt" if rate
                                          else f"{k['lift']:+,.2f}")
    ci = "-" if k["ci_low"] is None else (
        f"[{k['ci_low'] * 100:+.1f}, {k['ci_high'] * 100:+.1f}] pt" if rate
        else f"[{k['ci_low']:+,.2f}, {k['ci_high']:+,.2f}]")
    met = {True: "[green]✓[/]", False: "[red]✗[/]", None: ""}[k["met"]]
    if k["kind"] == "ratio":  # ROI: the lift column holds the ratio itself
        return [k["label"], "-", "-", fmt(k["lift"]), ci, k["target_text"] or "", met]
    return [k["label"], f"{fmt(k['treated_pre'])} → {fmt(k['treated'])}",
            f"{fmt(k['control_pre'])} → {fmt(k['control'])}", lift, ci,
            k["target_text"] or "", met]


@campaign_app.command("evaluate")
@handle_errors
def campaign_evaluate(
    campaign_id: Annotated[str, typer.Argument(help="Campaign id, e.g. C0001.")],
    cost: Annotated[float | None, typer.Option("--cost", help="Campaign cost, for ROI "
                                               "(default: the one planned).")] = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
    project_dir: ProjectOpt = Path("."),
) -> None:
    """Treated vs holdout per KPI with 95% confidence intervals, targets and diagnostics."""
    with Project.open(project_dir) as project:
        lang = lang or project.settings.project.language
        result = project.evaluate_campaign(campaign_id, cost=cost, lang=lang)
    if as_json:
        _json(result)
        return
    pre, post = result["pre_window"], result["post_window"]
    console.print(f"[bold]{campaign_id}[/] · {result['segment_id']} {result['segment_name']} · "
                  f"{result['measure_name']} · {t('campaign_target', lang)} "
                  f"{result['arms']['target']:,} / {t('campaign_holdout', lang)} "
                  f"{result['arms']['holdout']:,} · {t('campaign_windows', lang)} {pre[0]} – "
                  f"{pre[1]} / {post[0]} – {post[1]}", highlight=False, soft_wrap=True)
    arms = [f"{t(k, lang)} {t('campaign_pre_post', lang)}" for k in ("campaign_treated",
                                                                      "campaign_control")]
    table = Table(t("campaign_kpi", lang), *arms,
                  *(t(k, lang) for k in ("campaign_lift", "campaign_ci", "campaign_target_kpi",
                                         "campaign_met")))
    for k in result["kpis"]:
        table.add_row(*_kpi_row(k))
    console.print(table)
    colours = {"strong": "red", "warning": "yellow", "info": "cyan"}
    for note in result["diagnostics"]:
        console.print(f"[{colours[note['level']]}]![/] {note[lang]}", highlight=False,
                      soft_wrap=True)


@actions_app.command("import")
@handle_errors
def actions_import(
    path: Annotated[Path, typer.Argument(help="CSV or Excel file of actions.")],
    as_json: JsonOpt = False,
    project_dir: ProjectOpt = Path("."),
) -> None:
    """Record actions from a file: customer_id, status (planned/sent/done), at, and optionally
    campaign_id, segment_id, measure, owner, note, redeemed, converted (English or Chinese
    headers).
    Rows that cannot be recorded go to the quarantine with row, column and reason."""
    with Project.open(project_dir) as project:
        report = project.import_actions(path)
    if as_json:
        _json(report)
        return
    if report["status"] == "unchanged":
        console.print(f"{path}: unchanged since load {report['load_id']}; nothing added",
                      highlight=False, soft_wrap=True)
        return
    console.print(f"{path}: {report['recorded']:,} recorded, {report['rejected']:,} rejected "
                  f"of {report['rows_read']:,} rows (load {report['load_id']})", highlight=False,
                  soft_wrap=True)
    if report["rejected"] or report["flags_unreadable"]:
        console.print("see them with `custseg quarantine list --table actions`",
                      highlight=False)


@actions_app.command("record")
@handle_errors
def actions_record(
    customer: Annotated[str, typer.Option("--customer", help="Customer id.")],
    status: Annotated[str, typer.Option("--status", help="planned, sent or done.")],
    at: Annotated[str, typer.Option("--at", help="When, e.g. 2024-03-05 or "
                                    "'2024-03-05 14:30'.")],
    campaign: Annotated[str | None, typer.Option("--campaign", help="Campaign id.")] = None,
    measure: Annotated[str | None, typer.Option("--measure", help="Measure (default: the "
                                                "campaign's).")] = None,
    owner: Annotated[str | None, typer.Option("--owner")] = None,
    note: Annotated[str | None, typer.Option("--note")] = None,
    redeemed: Annotated[bool | None, typer.Option("--redeemed/--not-redeemed")] = None,
    converted: Annotated[bool | None, typer.Option("--converted/--not-converted")] = None,
    project_dir: ProjectOpt = Path("."),
) -> None:
    """Record one action for one customer."""
    flags = {k: None if v is None else str(v).lower() for k, v in
             (("redeemed", redeemed), ("converted", converted))}
    with Project.open(project_dir) as project:
        row = project.record_action(customer_id=customer, campaign_id=campaign,
                                    measure=measure, status=status, owner=owner, at=at,
                                    note=note, **flags)
    if not row.get("action_id"):
        raise CustsegError("the action was not recorded")
    console.print(f"action {row['action_id']} recorded · "
                  f"{row['customer_id']} · {row['status']}", highlight=False, soft_wrap=True)
