"""Treated versus holdout per KPI, the comparison with the target, and diagnostics for misses.

`evaluate_kpis` turns the per-arm figures of `custseg.campaigns.kpis.arm_stats` into one
record per KPI (the ``kpis`` list of ``custseg campaign evaluate --json``): rates are compared
with `custseg.campaigns.stats.diff_proportions` (Newcombe interval, z-test), means with
`diff_means` (Welch). ``lift`` is always treated − control; ``met`` says whether the point
estimate reaches the playbook target (`custseg.campaigns.targets`), ``significant`` whether the
95% interval excludes 0. ``treated_pre`` and ``control_pre`` are the KPI in the pre window (None
for KPIs without a pre figure), for the before-vs-after view. `diagnose` explains misses from
the execution figures.

>>> stats = {"target": {"members": 900, "repurchase_rate__n": 900, "repurchase_rate__mean": 0.3,
...                     "repurchase_rate__var": 0.21},
...          "holdout": {"members": 100, "repurchase_rate__n": 100,
...                      "repurchase_rate__mean": 0.18, "repurchase_rate__var": 0.149}}
>>> row = evaluate_kpis(stats, {})[0]
>>> row["name"], round(row["lift"], 3), round(row["ci_low"], 3), round(row["ci_high"], 3)
('repurchase_rate', 0.12, 0.029, 0.19)
"""

from __future__ import annotations

import math

from custseg.campaigns.kpis import KPIS, ROI, Kpi
from custseg.campaigns.stats import Comparison, diff_means, diff_proportions, needed_per_arm
from custseg.campaigns.targets import Target

REDEMPTION_LOW = 0.20
REACH_LOW = 0.50
PURCHASE_KPIS = ("repurchase_rate", "repurchase_30d", "activation_rate", "conversion_rate",
                 "revenue", "aov")


def _num(value) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) or math.isinf(value) else value


def _compare(kpi: Kpi, t: dict, c: dict) -> Comparison:
    n1, n0 = t[f"{kpi.name}__n"], c[f"{kpi.name}__n"]
    m1, m0 = t[f"{kpi.name}__mean"], c[f"{kpi.name}__mean"]
    if kpi.kind == "proportion":
        return diff_proportions(round(m1 * n1), n1, round(m0 * n0), n0)
    return diff_means(m1, _num(t[f"{kpi.name}__var"]) or 0.0, n1,
                      m0, _num(c[f"{kpi.name}__var"]) or 0.0, n0)


def _record(kpi: Kpi, comp: Comparison | None, n1: int, n0: int, target: Target | None,
            lang: str, pre: tuple[float | None, float | None] = (None, None)) -> dict:
    get = (lambda name: _num(getattr(comp, name))) if comp is not None else (lambda name: None)
    treated, control = get("treated"), get("control")
    return {
        "name": kpi.name, "label": kpi.label(lang), "kind": kpi.kind,
        "definition": kpi.definition, "treated": treated, "control": control,
        "treated_pre": pre[0], "control_pre": pre[1],
        "lift": get("diff"), "ci_low": get("low"), "ci_high": get("high"),
        "relative_lift": get("rel"), "rel_ci_low": get("rel_low"),
        "rel_ci_high": get("rel_high"), "p_value": get("p_value"),
        "significant": bool(comp.significant) if comp is not None and get("low") is not None
        else None,
        "n_treated": int(n1), "n_control": int(n0),
        "target": target.value if target else None,
        "target_kind": target.kind if target else None,
        "target_text": target.describe(lang) if target else None,
        "met": target.met(treated, control) if target else None,
        "method": comp.method if comp is not None else None,
    }


def _roi(t: dict, c: dict, cost: float, target: Target | None, lang: str) -> dict:
    comp = _compare(KPIS["revenue"], t, c)
    n = t["members"]
    inc = [_num(v) for v in (comp.diff, comp.low, comp.high)]
    roi = [None if v is None else (v * n - cost) / cost for v in inc]
    record = _record(ROI, None, t["revenue__n"], c["revenue__n"], target, lang)
    record |= {"treated": _num(comp.treated * n), "control": _num(comp.control * n),
               "lift": roi[0], "ci_low": roi[1], "ci_high": roi[2], "cost": cost,
               "incremental_revenue": None if inc[0] is None else inc[0] * n,
               "significant": None if roi[1] is None else bool(roi[1] > 0 or roi[2] < 0),
               "p_value": _num(comp.p_value), "method": "ROI from the revenue difference: "
               + comp.method}
    if target is not None:
        record["met"] = None if roi[0] is None else bool(roi[0] >= target.value)
    return record


def evaluate_kpis(stats: dict[str, dict], targets: dict[str, Target], *,
                  cost: float | None = None, lang: str = "en") -> list[dict]:
    """One record per KPI with data in both arms (and every KPI with a target).

    ``stats`` maps ``"target"`` and ``"holdout"`` to rows of `arm_stats`; ``targets`` maps KPI
    names to targets; ``cost`` adds ROI.
    """
    t, c = stats.get("target", {}), stats.get("holdout", {})
    out = []
    for kpi in KPIS.values():
        n1, n0 = t.get(f"{kpi.name}__n", 0) or 0, c.get(f"{kpi.name}__n", 0) or 0
        target = targets.get(kpi.name)
        pre = (_num(t.get(f"{kpi.name}__pre_mean")), _num(c.get(f"{kpi.name}__pre_mean")))
        if n1 and n0:
            out.append(_record(kpi, _compare(kpi, t, c), n1, n0, target, lang, pre))
        elif target is not None:
            out.append(_record(kpi, None, n1, n0, target, lang, pre))
    if cost and t.get("members") and c.get("members"):
        out.append(_roi(t, c, float(cost), targets.get(ROI.name), lang))
    elif ROI.name in targets:
        out.append(_record(ROI, None, 0, 0, targets[ROI.name], lang))
    return out


def _note(code: str, level: str, zh: str, en: str, kpi: str | None = None) -> dict:
    return {"code": code, "level": level, "kpi": kpi, "zh": zh, "en": en}


def _pct(x: float) -> str:
    return f"{x * 100:.1f}%"


def _execution_notes(execution: dict) -> list[dict]:
    out = []
    members = execution.get("target_members", 0)
    reached = execution.get("reached", 0)
    if not execution.get("actions"):
        out.append(_note("no_actions", "info", "尚未记录执行动作：按计划名单（意向处理）比较",
                         "no actions recorded: the planned lists are compared (intention to "
                         "treat)"))
    elif members and reached / members < REACH_LOW:
        share = _pct(reached / members)
        out.append(_note("low_reach", "strong", f"目标名单仅 {share} 已触达（已发送或完成）",
                         f"only {share} of the target list was reached (sent or done); the "
                         "measure cannot work on customers who never got it"))
    if execution.get("redeemed_known") and reached:
        rate = execution.get("redeemed", 0) / reached
        if rate < REDEMPTION_LOW:
            out.append(_note("low_redemption", "strong",
                             f"已触达客户核销率仅 {_pct(rate)}：问题更可能在权益本身（门槛、面额、"
                             "渠道），而非客群",
                             f"only {_pct(rate)} of reached customers redeemed the offer: the "
                             "offer (threshold, value, channel) is the likely cause, not the "
                             "segment"))
    if execution.get("holdout_treated"):
        n = execution["holdout_treated"]
        out.append(_note("contamination", "warning",
                         f"对照组有 {n} 位客户也收到了该措施，提升被低估",
                         f"{n} holdout customers received the measure too; the lift is biased "
                         "towards 0"))
    return out


def _miss_notes(kpi: dict, execution: dict) -> list[dict]:
    name, label = kpi["name"], kpi["label"]
    out = [_note("miss", "warning", f"{label}：未达目标 {kpi['target_text']}",
                 f"{label}: target {kpi['target_text']} missed", name)]
    if kpi["lift"] is None:
        return out + [_note("no_data", "warning", f"{label}：某一组没有可计算的客户",
                            f"{label}: no eligible customers in one of the groups", name)]
    if kpi["significant"] and kpi["lift"] < 0:
        return out + [_note("negative", "strong", f"{label}：措施显著降低了指标",
                            f"{label}: the measure lowered the KPI significantly", name)]
    if not kpi["significant"]:
        out.append(_note("no_effect", "warning",
                         f"{label}：与对照组相比没有可检出的差异（95% 置信区间包含 0）",
                         f"{label}: no detectable difference from the holdout (the 95% CI "
                         "includes 0)", name))
    if kpi["significant"] and kpi["lift"] > 0:
        out.append(_note("below_target", "warning",
                         f"{label}：有真实提升但未达目标，目标可能过高或措施力度不足",
                         f"{label}: a real lift, but below the target; the target may be "
                         "ambitious or the measure too weak", name))
    redeemed = execution.get("redeemed", 0) / execution["reached"] if execution.get(
        "redeemed_known") and execution.get("reached") else None
    if (not kpi["significant"] and name in PURCHASE_KPIS and redeemed is not None
            and redeemed >= REDEMPTION_LOW):
        out.append(_note("no_increment", "warning",
                         f"{label}：客户使用了权益但购买并不多于对照组，属于补贴已有购买；请复核目标客群",
                         f"{label}: customers used the offer but bought no more than the "
                         "holdout (a subsidy of purchases that would have happened); review "
                         "the targeting", name))
    if kpi["kind"] == "proportion" and kpi["target_kind"] in ("lift", "relative_lift"):
        control = kpi["control"] or 0.0
        diff = kpi["target"] * (control if kpi["target_kind"] == "relative_lift" else 1)
        need = needed_per_arm(control, diff) if diff > 0 else 0
        have = min(kpi["n_treated"], kpi["n_control"])
        if not kpi["significant"] and need > have:
            out.append(_note("underpowered", "warning",
                             f"{label}：对照组过小（{have}），检出该目标约需每组 {need} 人",
                             f"{label}: the smaller group ({have}) is too small to detect the "
                             f"target; about {need} customers per group are needed", name))
    return out


def diagnose(kpis: list[dict], execution: dict, *, data_end=None, post_end=None,
             post_start=None) -> list[dict]:
    """Notes on the evaluation: window still open, execution problems, and the likely cause of
    every missed target. Each note has ``code``, ``level`` (info/warning/strong), ``kpi`` and
    the text in ``zh`` and ``en``.

    When the orders end before ``post_start`` the post figures are empty, not small, so the
    window note is the only one: a "no effect" reading would be an artefact of missing data.
    """
    if data_end is not None and post_start is not None and data_end < post_start:
        return [_note("window_open", "warning",
                      f"观察期尚无数据：订单数据截至 {data_end}，早于活动开始 {post_start}，"
                      "暂无法评估",
                      f"the post window has no data yet: orders up to {data_end}, before the "
                      f"start {post_start}; nothing to evaluate")]
    out = []
    if data_end is not None and post_end is not None and data_end < post_end:
        out.append(_note("window_open", "warning",
                         f"观察期尚未结束：订单数据截至 {data_end}，结果不完整",
                         f"the post window is not over: orders up to {data_end}, results are "
                         "partial"))
    out += _execution_notes(execution)
    for kpi in kpis:
        if kpi["met"] is False:
            out += _miss_notes(kpi, execution)
    return out
