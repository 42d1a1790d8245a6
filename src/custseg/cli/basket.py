"""``custseg basket``: association rules, overall and per segment."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Literal

import pandas as pd
import typer
from rich.table import Table

from custseg.cli._app import (
    AsOfOpt,
    JsonOpt,
    Lang,
    ProjectOpt,
    app,
    console,
    export_path,
    handle_errors,
    parse_date,
)
from custseg.i18n import t
from custseg.pipeline import Project

DEFAULT_TOP = 10


def _num(value: float, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return "∞" if math.isinf(value) else f"{value:.{digits}f}"


def _rules_table(rules: pd.DataFrame, title: str, lang: str, *, segment: bool) -> Table:
    """Rules as a table; segment rules also show the overall lift and the ratio to it."""
    heads = ["antecedent", "consequent", "support", "confidence", "lift"]
    heads += ["overall_lift", "lift_vs_overall"] if segment else ["leverage", "conviction"]
    table = Table(*[t(f"basket_{h}", lang) for h in heads], t("basket_count", lang),
                  title=title)
    for col in table.columns[2:]:
        col.justify = "right"
    for r in rules.itertuples(index=False):
        tail = ([_num(r.lift / r.lift_vs_overall, 2), _num(r.lift_vs_overall, 2)] if segment
                else [_num(r.leverage, 4), _num(r.conviction, 2)])
        table.add_row(r.antecedent, r.consequent, _num(r.support, 4), _num(r.confidence),
                      _num(r.lift, 2), *tail, f"{r.pair_count:,}")
    return table


def _print(result, lang: str, top: int) -> None:
    s = result.settings
    console.print(
        f"[bold]{t('basket_title', lang)}[/] · {t('basket_level', lang)} "
        f"{t('basket_' + result.level, lang)} · {result.baskets:,} {t('basket_baskets', lang)} "
        f"({t('basket_' + result.basket, lang)}) · {t('as_of', lang)} {result.as_of} · "
        f"{t('basket_support', lang)} ≥ {s['min_support']:g}, "
        f"{t('basket_confidence', lang)} ≥ {s['min_confidence']:g}, "
        f"{t('basket_lift', lang)} ≥ {s['min_lift']:g} · {result.algorithm}, "
        f"≤ {result.max_len}", highlight=False, soft_wrap=True)
    overall = result.overall()
    if overall.empty:
        console.print(f"[yellow]![/] {t('basket_no_rules', lang)}", highlight=False)
    else:
        console.print(_rules_table(overall.head(top), f"{t('basket_overall', lang)} "
                                   f"({len(overall):,})", lang, segment=False))
    for seg_id, name in result.segments.items():
        rules = result.distinctive(seg_id)
        title = (f"{t('basket_distinctive', lang)} · {seg_id} {name} · "
                 f"{result.segment_baskets.get(seg_id, 0):,} {t('basket_baskets', lang)} "
                 f"({len(rules):,})")
        if rules.empty:
            console.print(f"{title}: -", highlight=False)
        else:
            console.print(_rules_table(rules.head(top), title, lang, segment=True))
    for note in result.notes:
        console.print(f"[yellow]![/] {note}", highlight=False, soft_wrap=True)
    console.print(f"{t('run', lang)}: {result.run_id}", highlight=False)


@app.command()
@handle_errors
def basket(
    level: Annotated[Literal["category", "product", "brand"] | None, typer.Option(
        "--level", help="Items: category, product or brand (default: [basket] level).")
                     ] = None,
    segment_model: Annotated[str | None, typer.Option(
        "--segment-model", help="Rules per segment of this model's latest stored run (run "
        "now when there is none), compared with the overall rules.")] = None,
    min_support: Annotated[float | None, typer.Option(
        "--min-support", help="Share of baskets a rule must occur in (default: [basket]).")
                           ] = None,
    min_confidence: Annotated[float | None, typer.Option(
        "--min-confidence", help="Minimum P(consequent | antecedent) (default: [basket]).")
                              ] = None,
    min_lift: Annotated[float | None, typer.Option(
        "--min-lift", help="Minimum lift (default: [basket]).")] = None,
    max_len: Annotated[int | None, typer.Option(
        "--max-len", help="Largest itemset: 2 pairs, 3 triples, more uses FP-Growth on "
        "small data (default: [basket]).")] = None,
    basket_kind: Annotated[Literal["order", "customer-period"] | None, typer.Option(
        "--basket", help="A basket is an order, or a customer's purchases in one [basket] "
        "period (default: [basket] basket).")] = None,
    as_of: AsOfOpt = None,
    export: Annotated[Path | None, typer.Option(
        help="Write antecedent,consequent,support,confidence,lift of the overall rules to a "
        ".csv, .xlsx or .parquet file.")] = None,
    all_columns: Annotated[bool, typer.Option(
        "--all-columns", help="Export every column of basket_rules and the segments' rules "
        "too.")] = False,
    as_json: JsonOpt = False,
    top: Annotated[int | None, typer.Option(
        "--top", min=1, help=f"Rules shown per table (default {DEFAULT_TOP}; --json: all).")
                   ] = None,
    project_dir: ProjectOpt = Path("."),
    lang: Annotated[Lang | None, typer.Option(
        "--lang", help="Language of labels (default: the project's).")] = None,
) -> None:
    """Association rules: what is bought together, overall and per segment; stores the run."""
    from custseg.io.basket_store import export_basket_rules

    day = parse_date(as_of, "--as-of")
    export = export_path(export)
    with Project.open(project_dir) as project:
        lang = lang or project.settings.project.language
        result = project.basket(level=level, segment_model=segment_model,
                                min_support=min_support, min_confidence=min_confidence,
                                min_lift=min_lift, as_of=day, max_len=max_len,
                                basket=basket_kind)
        rows = (export_basket_rules(project.connect(), result.run_id, export,
                                    all_columns=all_columns) if export is not None else None)
    if as_json:
        console.print_json(json.dumps(result.to_dict(top), default=str, ensure_ascii=False))
        return
    _print(result, lang, top or DEFAULT_TOP)
    if rows is not None:
        console.print(f"{t('exported', lang)}: {export} ({rows:,})", highlight=False)
        if result.segments and not all_columns:
            console.print(t("basket_export_overall", lang), highlight=False)
