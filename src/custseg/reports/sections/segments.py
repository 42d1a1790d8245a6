"""Each segmentation shown: template 1 (SPEC §6), segment sizes as a treemap, the R × F
score heatmap of rfm-scores runs, and the segments' R, F, M profiles."""

from __future__ import annotations

from custseg.io import report_data
from custseg.reports import charts
from custseg.reports import format as fmt
from custseg.reports.section import Chart, Section, Table, Text
from custseg.segment.result import HEADERS

KEY, ORDER, TITLE = "segments", 40, "report_segments"
FROM_RUNS = True
TEMPLATE = ("segment_id", "name", "dimensions", "characteristics", "customers", "share_pct",
            "keywords", "owner")


def model_label(ctx, model: str | None) -> str:
    """A model's name in the report's language (the model key when unknown)."""
    label = ctx.t(f"report_model_{model}")
    if label.startswith("report_model_"):
        return model or ""
    return f"{label} ({model})"


def template_rows(run: dict, lang: str) -> tuple[list[str], list[list]]:
    """Template 1 of a stored run in ``lang``: headers and one row per segment."""
    index = 0 if lang == "zh" else 1
    columns = [HEADERS[k][index] for k in TEMPLATE]
    rows = []
    for s in run.get("segments", []):
        rows.append([s["segment_id"], s[f"name_{lang}"], s[f"dimensions_{lang}"],
                     s[f"characteristics_{lang}"], s["customers"], round(s["share_pct"], 1),
                     s[f"keywords_{lang}"], s["owner"]])
    return columns, rows


def run_heading(ctx, run: dict) -> str:
    return ctx.t("report_run_heading", model=model_label(ctx, run["model"]),
                 as_of=fmt.day(run["as_of"], ctx.lang), run=run["run_id"])


def _score_heatmap(ctx, run_id: str) -> Chart | None:
    cells = report_data.score_grid(ctx.con, run_id)
    if not cells:
        return None
    scores = [1, 2, 3, 4, 5]
    counts = {(c["r_score"], c["f_score"]): c["customers"] for c in cells}
    z = [[counts.get((r, f), 0) for r in scores] for f in scores]
    return Chart(charts.heatmap(z, scores, scores, title=ctx.t("report_rf_heatmap"),
                                x_title=ctx.t("report_r_score"), y_title=ctx.t("report_f_score")),
                 caption=ctx.t("report_rf_caption"))


def _profiles(ctx, segments: list[dict], names: list[str]) -> Chart:
    panels = {ctx.t(f"report_avg_{k}"): [s[f"avg_{k}"] for s in segments]
              for k in ("recency_days", "frequency", "monetary")}
    return Chart(charts.small_multiples(names, panels, title=ctx.t("report_profiles")),
                 caption=ctx.t("report_profiles_caption"))


def run_blocks(ctx, run: dict) -> list:
    """The blocks of one segmentation run."""
    segments = run.get("segments", [])
    names = [f"{s['segment_id']} {s[f'name_{ctx.lang}']}" for s in segments]
    blocks = [Text(run_heading(ctx, run), "h3"),
              Table(*template_rows(run, ctx.lang), caption=ctx.t("segments_title"),
                    digits={5: 1})]
    filled = [(n, s["customers"]) for n, s in zip(names, segments, strict=True)
              if s["customers"]]
    if filled:
        blocks.append(Chart(charts.treemap([n for n, _ in filled], [c for _, c in filled],
                                           root=model_label(ctx, run["model"]),
                                           title=ctx.t("report_treemap"))))
    heat = _score_heatmap(ctx, run["run_id"])
    if heat is not None:
        blocks.append(heat)
    if any(s["customers"] for s in segments):
        blocks.append(_profiles(ctx, segments, [s["segment_id"] for s in segments]))
    return blocks


def build(ctx) -> Section | None:
    if not ctx.segment_runs:
        return None
    blocks = []
    for run in ctx.segment_runs:
        blocks += run_blocks(ctx, run)
    return Section(KEY, ctx.t(TITLE), blocks)
