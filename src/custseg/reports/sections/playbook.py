"""The strategy playbook (SPEC §7, 差异化策略): per segment its direction, measures, owner,
budget and KPI targets, for every segmentation model the report shows."""

from __future__ import annotations

from custseg.campaigns.kpis import KPIS, ROI
from custseg.errors import CustsegError
from custseg.reports.section import Section, Table, Text
from custseg.reports.sections.segments import model_label

KEY, ORDER, TITLE = "playbook", 80, "report_playbook"
FIELDS = ("segment_id", "segment_name", "direction", "measures", "owner", "budget", "kpis")


def entries(ctx) -> list[tuple[str, list[dict]]]:
    """``(model, playbook rows)`` for each model shown, else the default model's playbook."""
    models = list(dict.fromkeys(r["model"] for r in ctx.segment_runs)) or [None]
    out = []
    for model in models:
        try:
            rows = ctx.project.playbook(model, lang=ctx.lang)
        except CustsegError:  # a model without a default playbook and no stored run
            continue
        out.append((rows[0]["model"] if rows else model, rows))
    return out


def kpi_label(name: str, lang: str) -> str:
    """A KPI's name in ``lang`` (`custseg.campaigns.kpis`); the key itself when unknown."""
    kpi = KPIS.get(name) or (ROI if name == ROI.name else None)
    return kpi.label(lang) if kpi is not None else name


def row(entry: dict, lang: str) -> list:
    """One playbook row as table cells; KPIs by their label, targets as described in ``lang``
    (the entry comes from `Project.playbook` in that language)."""
    kpis = entry.get("kpi_targets") or entry.get("kpis") or {}
    return [entry.get("segment_id"), entry.get("segment_name"), entry.get("direction"),
            "; ".join(entry.get("measures") or []), entry.get("owner"), entry.get("budget"),
            "; ".join(f"{kpi_label(k, lang)} {v}" for k, v in kpis.items())]


def build(ctx) -> Section | None:
    found = entries(ctx)
    if not found:
        return None
    columns = [ctx.t(f"report_playbook_{f}") for f in FIELDS]
    blocks = []
    for model, rows in found:
        blocks += [Text(model_label(ctx, model), "h3"),
                   Table(columns, [row(e, ctx.lang) for e in rows])]
        missing = [f"{e['segment_id']} {e['segment_name']}: {', '.join(e['missing'])}"
                   for e in rows if e.get("missing")]
        if missing:
            blocks.append(Text(ctx.t("report_playbook_incomplete", rows="; ".join(missing)),
                               "warning"))
    return Section(KEY, ctx.t(TITLE), blocks)
