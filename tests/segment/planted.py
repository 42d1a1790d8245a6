"""Generated customers from four planted behavioural groups, with known answers."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd

# (R days, F orders, M spend, gender, age band) of four well-separated groups
PLANTED = [(8, 12, 3000.0, "F", "25-34"), (300, 1, 25.0, "M", "55+"),
           (40, 4, 400.0, "F", "35-44"), (150, 1, 2500.0, "M", "18-24")]
PER_GROUP = 150
NEVER_ORDERED = 5


def planted_frame(seed: int = 7, per_group: int = PER_GROUP, purity: float = 0.9
                  ) -> pd.DataFrame:
    """R, F, M (and gender, age band: the group's own with probability ``purity``) per
    customer, the planted ``group``, and a few customers who never ordered (group -1)."""
    rng = np.random.default_rng(seed)
    parts = []
    genders, bands = ["F", "M"], sorted({p[4] for p in PLANTED})
    for group, (r, f, m, gender, band) in enumerate(PLANTED):
        own = rng.random(per_group) < purity
        parts.append(pd.DataFrame({
            "recency_days": np.clip(rng.normal(r, r * 0.15, per_group), 0, None).round(),
            "frequency": rng.poisson(f, per_group) + (f > 1),
            "monetary": rng.lognormal(np.log(m), 0.15, per_group).round(2),
            "gender": np.where(own, gender, rng.choice(genders, per_group)),
            "age_band": np.where(own, band, rng.choice(bands, per_group)),
            "group": group}))
    df = pd.concat(parts, ignore_index=True)
    df["has_ordered"] = True
    never = pd.DataFrame({"recency_days": [np.nan] * NEVER_ORDERED, "frequency": 0,
                          "monetary": 0.0, "gender": None, "age_band": "未知/unknown",
                          "group": -1, "has_ordered": False})
    df = pd.concat([df, never], ignore_index=True)
    df.insert(0, "customer_id", [f"c{i:04d}" for i in range(len(df))])
    return df


def table(df: pd.DataFrame) -> ibis.Table:
    """The feature table of ``df`` (without the planted group)."""
    return ibis.memtable(df.drop(columns="group"))


def labels(model, df: pd.DataFrame) -> dict[str, str]:
    """customer id → segment id assigned by the engine."""
    out = model.assign(table(df)).execute()
    return dict(zip(out.customer_id, out.segment_id, strict=True))
