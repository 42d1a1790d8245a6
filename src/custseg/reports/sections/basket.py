"""Association rules of the shown basket run (`custseg basket`; the latest, or the one chosen
with ``--run``): the strongest overall rules and, when the run used a segmentation, each
segment's most distinctive rule."""

from __future__ import annotations

import pandas as pd

from custseg import snapshots
from custseg.io import basket_store, report_data
from custseg.reports import charts
from custseg.reports import format as fmt
from custseg.reports.section import Chart, Figures, Section, Table, Text

KEY, ORDER, TITLE = "basket", 70, "report_basket"
FROM_RUNS = True
TOP_RULES, TOP_CHART = 20, 10


def _items(text: str) -> str:
    return " + ".join(str(text).split("|"))


def _overall(ctx, rules: pd.DataFrame) -> list:
    top = rules[rules.segment_id.isna()].head(TOP_RULES)
    if top.empty:
        return [Text(ctx.t("basket_no_rules"), "note")]
    names = [f"{_items(a)} → {_items(c)}" for a, c in zip(top.antecedent, top.consequent,
                                                           strict=True)]
    chart = charts.bars(names[:TOP_CHART], {ctx.t("basket_lift"): top.lift[:TOP_CHART]},
                        horizontal=True, title=ctx.t("report_basket_chart"),
                        height=120 + 32 * min(len(names), TOP_CHART))
    columns = [ctx.t(k) for k in ("basket_antecedent", "basket_consequent", "basket_support",
                                  "basket_confidence", "basket_lift", "basket_count")]
    rows = [[_items(r.antecedent), _items(r.consequent), r.support, r.confidence, r.lift,
             r.pair_count] for r in top.itertuples(index=False)]
    return [Chart(chart), Table(columns, rows, caption=ctx.t("report_basket_top"),
                                digits={2: 3, 3: 3, 4: 2})]


def _segments(ctx, rules: pd.DataFrame) -> list:
    seg = rules[rules.segment_id.notna()]
    if seg.empty:
        return []
    run_id = seg.segment_run_id.iloc[0]
    names = basket_store.segment_names(ctx.con, run_id) if isinstance(run_id, str) else {}
    rows = []
    for segment_id, group in seg.groupby("segment_id", sort=True):
        best = group.sort_values(["lift_vs_overall", "lift"], ascending=False).iloc[0]
        rows.append([f"{segment_id} {names.get(segment_id, '')}".strip(), len(group),
                     f"{_items(best.antecedent)} → {_items(best.consequent)}", best.lift,
                     best.lift_vs_overall])
    columns = [ctx.t("basket_segment"), ctx.t("report_basket_rules"),
               ctx.t("basket_distinctive"), ctx.t("basket_lift"),
               ctx.t("basket_lift_vs_overall")]
    return [Table(columns, rows, caption=ctx.t("report_basket_segments"), digits={3: 2, 4: 2})]


def build(ctx) -> Section | None:
    if not report_data.has_table(ctx.con, "basket_rules"):
        return None
    run_id = ctx.basket_run_id
    if run_id is None:
        return None
    run = snapshots.get_run(ctx.con, run_id)
    config = run["config"]
    rules = basket_store.load_basket_rules(ctx.con, run_id)
    level = (config.get("basket") or {}).get("level", "")
    blocks = [Text(ctx.t("report_basket_heading", level=ctx.t(f"basket_{level}"),
                         as_of=fmt.day(run["as_of"], ctx.lang), run=run_id), "h3"),
              Figures([(ctx.t("basket_baskets"), fmt.number(config.get("baskets"), ctx.lang)),
                       (ctx.t("report_basket_rules"),
                        fmt.number(int(rules.segment_id.isna().sum()), ctx.lang))]),
              *_overall(ctx, rules), *_segments(ctx, rules)]
    return Section(KEY, ctx.t(TITLE), blocks)
