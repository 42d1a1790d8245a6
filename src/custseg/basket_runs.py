"""Basket runs: baskets as of D → frequent itemsets → rules, overall and per segment → store.

Pipeline-level orchestration (it executes expressions and stages intermediate tables);
`custseg.pipeline.Project.basket` exposes it. Pairs and triples are counted in the engine
(`custseg.basket.counting`) whatever the size of the data; itemsets of more than three items
are found by FP-Growth (`custseg.basket.fpgrowth`) when no group has more than
``[basket] fpgrowth_max_baskets`` baskets, otherwise ``max_len`` is capped at 3 and the
result says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

import ibis
import pandas as pd
from pydantic import ValidationError

from custseg.basket import (
    RULE_COLUMNS,
    basket_lines,
    basket_sizes,
    candidates_of,
    compare_overall,
    count_itemsets,
    item_counts,
    needed_keys,
    pair_counts,
    rule_candidates,
    rule_metrics,
    triple_counts,
    with_segments,
)
from custseg.basket.fpgrowth import fpgrowth_itemsets
from custseg.config import BasketSettings, Settings
from custseg.errors import CustsegError
from custseg.io import basket_store, results
from custseg.runs import _config, resolve_as_of

NO_ITEMS = ("order_items is empty: association rules need order lines (order_id, product_id, "
            "optionally category and brand); load them with `custseg ingest FILE --table "
            "order_items`")
_TEMP = "_basket"


@dataclass
class BasketResult:
    """A stored basket run: its rules (`rules`, one row per rule, overall rules with
    ``segment_id`` NULL) and how they were found."""

    run_id: str
    as_of: date
    level: str
    basket: str
    baskets: int
    algorithm: str
    max_len: int
    settings: dict
    rules: pd.DataFrame
    segment_model: str | None = None
    segment_run_id: str | None = None
    segments: dict[str, str] = field(default_factory=dict)
    segment_baskets: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def overall(self, top: int | None = None) -> pd.DataFrame:
        """Overall rules, highest lift first."""
        out = self.rules[self.rules.segment_id.isna()]
        return out.head(top) if top else out

    def distinctive(self, segment_id: str, top: int | None = None) -> pd.DataFrame:
        """One segment's rules, the most distinctive first (``lift_vs_overall``, then lift)."""
        out = self.rules[self.rules.segment_id == segment_id].sort_values(
            ["lift_vs_overall", "lift", "confidence"], ascending=False, kind="stable")
        return out.head(top) if top else out

    def to_dict(self, top: int | None = None) -> dict:
        """JSON-ready summary; infinite conviction becomes null."""
        def records(frame: pd.DataFrame) -> list[dict]:
            rows = frame.drop(columns=["level", "segment_model", "segment_run_id"])
            return [{k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                     for k, v in row.items() if not (k == "segment_id" and v is None)}
                    for row in rows.astype(object).where(rows.notna(), None).to_dict("records")]

        out = {"run_id": self.run_id, "as_of": self.as_of.isoformat(), "level": self.level,
               "basket": self.basket, "baskets": self.baskets, "algorithm": self.algorithm,
               "max_len": self.max_len, "settings": self.settings, "notes": self.notes,
               "rules": records(self.overall(top))}
        if self.segment_model:
            out["segment_model"] = self.segment_model
            out["segment_run_id"] = self.segment_run_id
            out["segments"] = [{"segment_id": s, "segment_name": name,
                                "baskets": self.segment_baskets.get(s, 0),
                                "rules": records(self.distinctive(s, top))}
                               for s, name in self.segments.items()]
        return out


def basket_settings(base: BasketSettings, **overrides) -> BasketSettings:
    """``base`` with the given non-None values, validated; mistakes name the CLI option."""
    data = base.model_dump() | {k: v for k, v in overrides.items() if v is not None}
    try:
        return BasketSettings.model_validate(data)
    except ValidationError as exc:
        problems = [f"--{'-'.join(str(p) for p in e['loc']).replace('_', '-')}: "
                    f"{e['msg'].removeprefix('Value error, ')} (got {e.get('input')!r})"
                    for e in exc.errors()]
        raise CustsegError("; ".join(problems)) from None


def _choose(cfg: BasketSettings, largest: int) -> tuple[str, int, list[str]]:
    """Algorithm and itemset size: the engine up to triples, FP-Growth beyond on small data."""
    if cfg.algorithm == "fpgrowth":
        return "fpgrowth", cfg.max_len, []
    if cfg.max_len <= 3:
        return "engine", cfg.max_len, []
    if cfg.algorithm == "auto" and largest <= cfg.fpgrowth_max_baskets:
        return "fpgrowth", cfg.max_len, []
    return "engine", 3, [f"max_len {cfg.max_len} needs FP-Growth, used only up to "
                         f"fpgrowth_max_baskets = {cfg.fpgrowth_max_baskets:,} baskets "
                         f"({largest:,} here): itemsets of up to 3 items were counted"]


def _engine_rules(con, lines, sizes, by, cfg, max_len, prefix) -> ibis.Table:
    items = results.stage(con, item_counts(lines, sizes, by=by), f"{prefix}_k1")
    sets = [items, results.stage(con, pair_counts(lines, items, sizes, by=by), f"{prefix}_k2")]
    if max_len >= 3:
        sets.append(results.stage(con, triple_counts(lines, sets[1], sizes, by=by),
                                  f"{prefix}_k3"))
    itemsets = sets[0].union(*sets[1:], distinct=False)
    return rule_metrics(rule_candidates(itemsets, by=by), itemsets, sizes, by=by,
                        min_confidence=cfg.min_confidence, min_lift=cfg.min_lift)


def _fpgrowth_rules(con, lines, sizes, by, cfg, max_len, prefix) -> ibis.Table:
    items = results.stage(con, item_counts(lines, sizes, by=by), f"{prefix}_k1")
    kept = lines.semi_join(items.select(*by, item=items.key), [*by, "item"])
    frame = con.to_pandas(kept.select(*by, "basket_id", "item"))
    parts, keys = [], []
    for group in con.to_pandas(sizes).to_dict("records"):
        mask = pd.Series(True, index=frame.index)
        for col in by:
            mask &= frame[col] == group[col]
        found = fpgrowth_itemsets(frame[mask], group["baskets"], min_count=group["min_count"],
                                  max_len=max_len)
        values = tuple(group[c] for c in by)
        parts.append(found.assign(**dict(zip(by, values, strict=True))))
        keys += [(values, k) for k in found.key[found.k >= 2]]
    schema = {**dict.fromkeys(by, "VARCHAR"), "key": "VARCHAR", "k": "BIGINT", "count": "BIGINT"}
    counts = basket_store.stage_frame(con, pd.concat(parts)[list(schema)], schema, f"{prefix}_sets")
    cands = candidates_of(keys, by)
    cschema = {**dict.fromkeys(by, "VARCHAR"), "set_key": "VARCHAR", "ante_key": "VARCHAR",
               "cons_key": "VARCHAR"}
    cands = basket_store.stage_frame(con, cands, cschema, f"{prefix}_cands")
    return rule_metrics(cands, counts, sizes, by=by, min_confidence=cfg.min_confidence,
                        min_lift=cfg.min_lift)


def _rules(con, lines, sizes, cfg, algorithm, max_len, by, prefix) -> ibis.Table:
    """Staged rules of ``lines`` grouped by ``by`` (``sizes``: `basket_sizes` of them)."""
    build = _engine_rules if algorithm == "engine" else _fpgrowth_rules
    return results.stage(con, build(con, lines, sizes, by, cfg, max_len, prefix),
                         f"{prefix}_rules")


def _segment_run(con, settings: Settings, model: str, as_of: date | None
                 ) -> tuple[str, date, list[str]]:
    """The latest stored run of ``model`` (as of ``as_of`` when given), or a new one."""
    found = basket_store.latest_segment_run(con, model, as_of)
    if found is not None:
        return found[0], found[1], []
    from custseg import runs

    result = runs.segment(con, settings, model, as_of=as_of)
    return result.run_id, result.as_of, [f"no stored run of {model}: ran it ({result.run_id})"]


def _segment_rules(con, lines, seg_run: str, cfg, algorithm: str, max_len: int,
                   total: int) -> tuple[ibis.Table, dict[str, int]]:
    """Each segment's rules with ``lift_vs_overall``, and the baskets per segment."""
    assigned = con.table("segment_assignments")
    assigned = assigned.filter(assigned.run_id == seg_run)
    seg_lines = results.stage(con, with_segments(lines, assigned), f"{_TEMP}_seg_lines")
    sizes = results.stage(con, basket_sizes(seg_lines, by=("segment_id",),
                                            min_support=cfg.min_support,
                                            min_count=cfg.min_count), f"{_TEMP}_seg_sizes")
    seg = _rules(con, seg_lines, sizes, cfg, algorithm, max_len, ("segment_id",),
                 f"{_TEMP}_seg")
    seg_sizes = {s: int(n) for s, n in con.execute(
        sizes.select("segment_id", "baskets").order_by("segment_id")).values.tolist()}
    counts = results.stage(con, count_itemsets(lines, needed_keys(seg)),
                           f"{_TEMP}_overall_counts")
    return compare_overall(seg, counts, total), seg_sizes


def _temp_tables(con) -> list[str]:
    return [r[0] for r in con.con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE temporary AND table_name LIKE "
        f"'{_TEMP}%'").fetchall()]


def basket(con, settings: Settings, *, as_of: date | None = None,
           segment_model: str | None = None, **overrides) -> BasketResult:
    """Find association rules as of D, overall and per segment, and store them as a run.

    ``overrides`` are `custseg.config.BasketSettings` fields (level, min_support, …) that
    replace ``[basket]`` for this run; see `custseg.pipeline.Project.basket`.
    """
    cfg = basket_settings(settings.basket, **overrides)
    if not results.tables_with_rows(con, ["order_items"]):
        raise CustsegError(NO_ITEMS)
    notes: list[str] = []
    seg_run = None
    if segment_model:
        seg_run, seg_as_of, notes = _segment_run(con, settings, segment_model, as_of)
        as_of = as_of or seg_as_of
    as_of = resolve_as_of(con, settings, as_of)
    try:
        lines = results.stage(con, basket_lines(
            con.table("orders"), con.table("order_items"), level=cfg.level, basket=cfg.basket,
            period=cfg.period, as_of=as_of, window_months=cfg.window_months), f"{_TEMP}_lines")
        sizes = results.stage(con, basket_sizes(lines, min_support=cfg.min_support,
                                                min_count=cfg.min_count), f"{_TEMP}_all_sizes")
        total = int(con.execute(sizes.baskets.sum()) or 0)
        if total == 0:
            raise CustsegError(f"no basket holds a {cfg.level} on or before {as_of}: check "
                               f"order_items.{cfg.level} and the order dates, or use --level")
        algorithm, max_len, more = _choose(cfg, total)
        notes += more
        overall = _rules(con, lines, sizes, cfg, algorithm, max_len, (), f"{_TEMP}_all")
        parts = [overall.mutate(segment_id=ibis.null("string"),
                                lift_vs_overall=ibis.null("float64"))]
        seg_sizes = {}
        if seg_run:
            seg, seg_sizes = _segment_rules(con, lines, seg_run, cfg, algorithm, max_len, total)
            parts.append(seg)
        parts = [p.select("segment_id", *RULE_COLUMNS, "lift_vs_overall") for p in parts]
        rules = parts[0].union(*parts[1:], distinct=False) if len(parts) > 1 else parts[0]
        rules = rules.mutate(level=ibis.literal(cfg.level),
                             segment_model=ibis.literal(segment_model, "string"),
                             segment_run_id=ibis.literal(seg_run, "string"))
        used = cfg.model_dump() | {"algorithm": algorithm, "max_len": max_len}
        config = _config(settings.model_copy(update={"basket": cfg}), "basket", as_of,
                         settings.project.language) | {
            "basket": used, "baskets": total, "segment_model": segment_model,
            "segment_run_id": seg_run, "segment_baskets": seg_sizes, "notes": notes}
        run_id = results.new_run_id()
        basket_store.save_basket_rules(con, run_id=run_id, as_of=as_of, config=config,
                                       rules=rules)
    finally:
        results.drop(con, *_temp_tables(con))
    return BasketResult(
        run_id=run_id, as_of=as_of, level=cfg.level, basket=cfg.basket, baskets=total,
        algorithm=algorithm, max_len=max_len, settings=used,
        rules=basket_store.load_basket_rules(con, run_id), segment_model=segment_model,
        segment_run_id=seg_run,
        segments=basket_store.segment_names(con, seg_run) if seg_run else {},
        segment_baskets=seg_sizes, notes=notes)
