"""Explanations of automated decisions about one customer (SPEC §10; PIPL art. 24, GDPR
art. 22): why a segment, why a prediction.

Three kinds, each built from stored run data by `custseg.explain_runs`:

- **rules** (rfm-rules, rfm-scores) and **cases** (value-matrix, tiers, lifecycle): the rules
  in order, each condition with the customer's value and whether it held; the first rule
  whose conditions all hold is the one that matched (first match wins).
- **cluster** (kmeans): the features that set the customer's cluster apart (its mean's
  z-score against everyone in the run, strongest first) with the customer's own z-score
  and percentile.
- **prediction** (churn, propensity, CLV): the model's top factors (permutation importance
  on the validation period) with the customer's values beside the population median.

Functions here return Ibis expressions to evaluate (``*_checks``, `cluster_profile`) or
turn evaluated rows into plain dicts; nothing is executed.

>>> import ibis
>>> from custseg.segment.rules import Rule
>>> row = ibis.memtable({"recency_days": [12], "frequency": [6], "monetary": [2500.0]})
>>> rules = [Rule("A001", "核心", "core", {"recency_days": {"max": 30}, "frequency": {"min": 5}})]
>>> holds = rule_checks(row, rules).execute().iloc[0].to_dict()
>>> out = explain_rules(rules, holds, {"recency_days": 12, "frequency": 6}, "A001", "en")
>>> out["matched_rule"], [c["holds"] for c in out["rules"][0]["conditions"]]
('A001', [True, True])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import ibis

from custseg.segment.cases import Case
from custseg.segment.rules import REGISTERED, Rule, condition, condition_text

TOP_CLUSTER_FEATURES = 5


def _plain(value: Any) -> Any:
    """Numbers and dates as JSON-friendly Python values."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value.isoformat() if hasattr(value, "isoformat") else value


def rule_checks(row: ibis.Table, rules: Sequence[Rule]) -> ibis.Table:
    """One boolean column ``r{i}_{j}`` per condition j of rule i, for the rows of ``row``."""
    return row.select(**{f"r{i}_{j}": condition(row, name, spec)
                         for i, rule in enumerate(rules)
                         for j, (name, spec) in enumerate(rule.conditions.items())})


def explain_rules(rules: Sequence[Rule], holds: Mapping[str, bool],
                  values: Mapping[str, Any], assigned: str, lang: str = "zh") -> dict:
    """The rules up to the first that matched, each condition with the customer's value.

    ``holds`` is the evaluated row of `rule_checks`; ``assigned`` the stored segment id,
    compared with the rule that matches now (``consistent``).
    """
    out, matched = [], None
    for i, rule in enumerate(rules):
        conds = []
        for j, (name, spec) in enumerate(rule.conditions.items()):
            feature = "registration_date" if name == REGISTERED else name
            conds.append({"feature": name, "condition": condition_text(name, spec, lang),
                          "value": _plain(values.get(feature)),
                          "holds": bool(holds[f"r{i}_{j}"])})
        hit = all(c["holds"] for c in conds)
        out.append({"id": rule.id, "name": rule.name_zh if lang == "zh" else rule.name_en,
                    "matched": hit, "conditions": conds})
        if hit:
            matched = rule.id
            break
    return {"method": "rules", "matched_rule": matched, "rules": out,
            "consistent": (matched or "U") == assigned}


def case_checks(row: ibis.Table, cases: Sequence[Case]) -> ibis.Table:
    """One boolean column ``c{i}_{g}_{j}`` per condition j of group g of case i."""
    cols = {f"c{i}_{g}_{j}": cond.expr(row)
            for i, case in enumerate(cases) for g, group in enumerate(case.when)
            for j, cond in enumerate(group)}
    return row.select(**cols) if cols else row.select(_none=ibis.literal(True))


def explain_cases(cases: Sequence[Case], holds: Mapping[str, bool],
                  values: Mapping[str, Any], assigned: str, lang: str = "zh") -> dict:
    """Like `explain_rules` for case models: a case holds when any of its groups holds;
    the last case takes everyone the others did not."""
    out, matched = [], None
    for i, case in enumerate(cases):
        groups = []
        for g, group in enumerate(case.when):
            groups.append([{"feature": c.column, "condition": c.text(lang),
                            "value": _plain(values.get(c.column)),
                            "holds": bool(holds[f"c{i}_{g}_{j}"])}
                           for j, c in enumerate(group)])
        last = i == len(cases) - 1
        hit = last or not case.when or any(all(c["holds"] for c in g) for g in groups)
        out.append({"id": case.segment.id, "name": case.segment.name(lang), "matched": hit,
                    "text": case.text(lang), "conditions": groups})
        if hit:
            matched = case.segment.id
            break
    return {"method": "rules", "matched_rule": matched, "rules": out,
            "consistent": matched == assigned}


def cluster_profile(features: ibis.Table, assigned: ibis.Table, columns: Sequence[str],
                    customer_id: str) -> ibis.Table:
    """Per feature (one row each): population mean and std, the mean of the customer's
    cluster, the customer's value and the share of the population at or below it."""
    j = features.join(assigned.select("customer_id", "segment_id"), "customer_id")
    me = j.filter(j.customer_id == customer_id)
    me = me.select(_seg=me.segment_id, **{f"_v{i}": me[c].cast("float64")
                                          for i, c in enumerate(columns)})
    both = j.cross_join(me)
    parts = []
    for i, c in enumerate(columns):
        x, mine = both[c].cast("float64"), both[f"_v{i}"]
        parts.append(both.aggregate(
            feature=ibis.literal(c), population_mean=x.mean(), population_std=x.std(how="pop"),
            cluster_mean=x.mean(where=both.segment_id == both._seg), value=mine.max(),
            percentile=(x <= mine).cast("float64").mean(where=x.notnull())))
    return ibis.union(*parts)


def explain_cluster(rows: Sequence[Mapping[str, Any]], ranges: str | None,
                    top: int = TOP_CLUSTER_FEATURES) -> dict:
    """The features that set the cluster apart, strongest first, with the customer's own
    z-score and percentile (from the evaluated `cluster_profile` rows)."""
    feats = []
    for r in rows:
        std = r["population_std"] or 0.0
        mean = r["population_mean"]

        def z(v, mean=mean, std=std):
            return None if v is None or mean is None or not std else round((v - mean) / std, 2)

        feats.append({"feature": r["feature"], "cluster_z": z(r["cluster_mean"]),
                      "customer_z": z(r["value"]), "value": _plain(r["value"]),
                      "cluster_mean": _plain(r["cluster_mean"]),
                      "population_mean": _plain(mean),
                      "percentile": None if r["percentile"] is None
                      else round(100 * r["percentile"], 1)})
    feats.sort(key=lambda f: -abs(f["cluster_z"] or 0.0))
    return {"method": "cluster", "defining_ranges": ranges, "features": feats[:top],
            "note": "z-scores of the stored feature values against every customer of the run"}


def explain_prediction(prediction: Mapping[str, Any], factors: Mapping[str, list],
                       values: Mapping[str, Any], medians: Mapping[str, Any],
                       summary: Mapping[str, Any] | None = None) -> dict:
    """The customer's predictions and, per model, its top factors with the customer's value
    and the population median; ``summary`` holds the purchase history behind P(alive)."""
    out = {"method": "prediction",
           "predictions": {k: _plain(v) for k, v in prediction.items()
                           if k not in ("run_id", "customer_id")}, "factors": {}}
    for model, items in factors.items():
        out["factors"][model] = [
            {"feature": f["feature"], "importance": round(float(f["importance"]), 4),
             "value": _plain(values.get(f["feature"])),
             "population_median": _plain(medians.get(f["feature"]))} for f in items]
    if summary:
        out["factors"]["clv"] = [{"feature": k, "value": _plain(v)} for k, v in summary.items()]
        out["clv_note"] = ("P(alive) and expected purchases follow from repeat purchases "
                           "(frequency), the time of the last one (recency) and the "
                           "customer's age (T), in the run's time unit")
    return out
