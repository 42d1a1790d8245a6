"""Clusters in business terms: names, defining ranges, z-score profiles and surrogate rules.

Used by `custseg.segment.kmeans` (and meant for any clustering model). A cluster is described
by the z-score of its centre against the population, per feature and in the transformed space
the clustering used: above ``+LEVEL`` is "high", below ``-LEVEL`` is "low". The name lists the
(at most two) most distinguishing features, strongest first:

>>> names({"monetary": 1.4, "frequency": -0.9, "recency_days": 0.1})
('高消费低频次', 'high spend, low frequency')
>>> names({"recency_days": 1.2, "frequency": 0.2})
('久未购买', 'long since last purchase')
>>> names({"monetary": 0.2})
('整体均衡', 'average on every dimension')

Readable rules come from a shallow decision tree trained to predict the cluster from the raw
feature values (`surrogate_rules`); its fidelity is the share of customers the rules put in
their own cluster.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

LEVEL = 0.5
MAX_NAME_PARTS = 2
# feature → (zh high, zh low, en high, en low)
WORDS: dict[str, tuple[str, str, str, str]] = {
    "recency_days": ("久未购买", "近期购买", "long since last purchase", "recent purchase"),
    "frequency": ("高频次", "低频次", "high frequency", "low frequency"),
    "monetary": ("高消费", "低消费", "high spend", "low spend"),
    "aov": ("高客单价", "低客单价", "high order value", "low order value"),
    "tenure_days": ("老客户", "新客户", "long tenure", "short tenure"),
    "orders_total": ("累计订单多", "累计订单少", "many orders overall", "few orders overall"),
    "order_days": ("购买天数多", "购买天数少", "many purchase days", "few purchase days"),
    "interpurchase_days": ("购买间隔长", "购买间隔短", "long purchase gaps",
                           "short purchase gaps"),
    "ltv_historic": ("历史价值高", "历史价值低", "high lifetime value", "low lifetime value"),
}
# feature → (zh label, zh unit, en label, en unit) for defining ranges
LABELS: dict[str, tuple[str, str, str, str]] = {
    "recency_days": ("R", " 天", "R", " days"),
    "frequency": ("F", " 单", "F", " orders"),
    "monetary": ("M", "", "M", ""),
    "tenure_days": ("注册时长", " 天", "tenure", " days"),
    "interpurchase_days": ("购买间隔", " 天", "purchase gap", " days"),
}
RANGE_QUANTILES = (0.1, 0.9)


def names(z: Mapping[str, float]) -> tuple[str, str]:
    """(zh, en) name of a cluster from its centre's z-scores (feature → z)."""
    strong = sorted(((abs(v), f, v) for f, v in z.items() if abs(v) > LEVEL), reverse=True)
    zh, en = [], []
    for _, feature, value in strong[:MAX_NAME_PARTS]:
        hi_zh, lo_zh, hi_en, lo_en = WORDS.get(
            feature, (f"{feature}高", f"{feature}低", f"high {feature}", f"low {feature}"))
        zh.append(hi_zh if value > 0 else lo_zh)
        en.append(hi_en if value > 0 else lo_en)
    if not zh:
        return "整体均衡", "average on every dimension"
    return "".join(zh), ", ".join(en)


def unique_names(zs: Sequence[Mapping[str, float]]) -> list[tuple[str, str]]:
    """`names` for every cluster; clusters that would share a name get a number."""
    plain = [names(z) for z in zs]
    out = []
    for i, name in enumerate(plain):
        same = [j for j, other in enumerate(plain) if other == name]
        n = same.index(i) + 1
        out.append((f"{name[0]} {n}", f"{name[1]} {n}") if len(same) > 1 else name)
    return out


def _number(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 10 or float(v).is_integer() else f"{v:,.1f}"


def ranges(frame: pd.DataFrame, lang: str) -> str:
    """The cluster's defining ranges: 10th–90th percentile of each feature among its members."""
    zh = lang == "zh"
    parts = []
    for feature in frame.columns:
        lo, hi = frame[feature].quantile(list(RANGE_QUANTILES)).tolist()
        label_zh, unit_zh, label_en, unit_en = LABELS.get(feature, (feature, "", feature, ""))
        label, unit = (label_zh, unit_zh) if zh else (label_en, unit_en)
        span = _number(lo) if _number(lo) == _number(hi) else f"{_number(lo)}–{_number(hi)}"
        parts.append(f"{label} {span}{unit}")
    tail = "（簇内 10%–90% 分位）" if zh else " (10th–90th percentile in the cluster)"
    return ("，" if zh else ", ").join(parts) + tail


def profile(raw: pd.DataFrame, z_centres: np.ndarray, labels: np.ndarray,
            ids: Sequence[str]) -> pd.DataFrame:
    """One row per cluster and feature: centre z-score, cluster mean and population mean."""
    rows = []
    for j, seg in enumerate(ids):
        members = raw[labels == j]
        order = np.argsort(-np.abs(z_centres[j]), kind="stable")
        for rank, i in enumerate(order, start=1):
            feature = raw.columns[i]
            rows.append({"segment_id": seg, "feature": feature, "z": float(z_centres[j, i]),
                         "rank": rank, "cluster_mean": float(members[feature].mean()),
                         "population_mean": float(raw[feature].mean())})
    return pd.DataFrame(rows)


def _paths(tree, columns: Sequence[str]):
    """(leaf node, {feature: [low, high)}) for every leaf of a fitted sklearn tree."""
    t = tree.tree_
    stack = [(0, {})]
    while stack:
        node, bounds = stack.pop()
        if t.children_left[node] == t.children_right[node]:
            yield node, bounds
            continue
        f, cut = columns[t.feature[node]], float(t.threshold[node])
        lo, hi = bounds.get(f, (-np.inf, np.inf))
        stack.append((t.children_right[node], {**bounds, f: (max(lo, cut), hi)}))
        stack.append((t.children_left[node], {**bounds, f: (lo, min(hi, cut))}))


def _rule_text(bounds: Mapping[str, tuple[float, float]]) -> str:
    """``a < x ≤ b`` per feature; indicator columns ``feature=value`` (0/1, split at 0.5)
    read ``feature = value`` or ``feature ≠ value``.

    >>> _rule_text({"monetary": (100.0, np.inf), "gender=F": (-np.inf, 0.5)})
    'monetary > 100 and gender ≠ F'
    """
    parts = []
    for feature, (lo, hi) in bounds.items():
        if "=" in feature and (lo, hi) in ((0.5, np.inf), (-np.inf, 0.5)):
            name, value = feature.split("=", 1)
            parts.append(f"{name} {'=' if lo == 0.5 else '≠'} {value}")
        elif np.isfinite(lo) and np.isfinite(hi):
            parts.append(f"{_number(lo)} < {feature} ≤ {_number(hi)}")
        elif np.isfinite(lo):
            parts.append(f"{feature} > {_number(lo)}")
        else:
            parts.append(f"{feature} ≤ {_number(hi)}")
    return " and ".join(parts) or "all customers"


def surrogate_rules(raw: pd.DataFrame, labels: np.ndarray, ids: Sequence[str], *,
                    max_depth: int = 3, random_state: int = 0
                    ) -> tuple[dict[str, list[dict]], float]:
    """Readable rules per cluster from a shallow decision tree on the raw features.

    Returns ``({segment id: [{"rule", "customers", "precision"}, …]}, fidelity)``; each leaf
    of the tree is one rule of the cluster it predicts, and fidelity is the share of rows the
    tree places in their own cluster. Thresholds are midpoints between observed values, in
    the features' own units (a tree does not care about monotone transforms).
    """
    from sklearn.tree import DecisionTreeClassifier  # imported here: slow to import

    tree = DecisionTreeClassifier(max_depth=max_depth, random_state=random_state)
    tree.fit(raw.to_numpy(), labels)
    predicted = tree.predict(raw.to_numpy())
    fidelity = float(np.mean(predicted == labels))
    leaf_of = tree.apply(raw.to_numpy())
    out: dict[str, list[dict]] = {seg: [] for seg in ids}
    for leaf, bounds in _paths(tree, list(raw.columns)):
        inside = leaf_of == leaf
        cluster = int(tree.classes_[np.argmax(tree.tree_.value[leaf][0])])
        out[ids[cluster]].append({
            "rule": _rule_text(bounds), "customers": int(inside.sum()),
            "precision": float(np.mean(labels[inside] == cluster)) if inside.any() else 0.0})
    for rules in out.values():
        rules.sort(key=lambda r: -r["customers"])
    return out, fidelity
