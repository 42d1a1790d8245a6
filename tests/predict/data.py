"""Generated orders with a planted answer: heavy buyers purchase often, light buyers rarely."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

D = date(2023, 12, 31)
START = date(2022, 1, 1)


def planted_orders(n: int = 400, *, seed: int = 7, heavy_every: float = 12.0,
                   light_every: float = 200.0, dropout: float = 0.0
                   ) -> tuple[list[str], list[dict]]:
    """Customers ``h0…`` buy every ``heavy_every`` days on average, ``l0…`` every
    ``light_every`` days (Poisson), from a first order in the first half year up to D; a
    share ``dropout`` of them stop buying at a uniformly drawn day (so BG/NBD has dropouts to
    fit); each customer's spend per order is gamma with a scale of their own. Returns the
    customer ids and order rows (``customer_id, order_date, amount``)."""
    rng = np.random.default_rng(seed)
    ids, rows = [], []
    span = (D - START).days
    for i in range(n):
        kind, every = ("h", heavy_every) if i % 2 == 0 else ("l", light_every)
        cid = f"{kind}{i}"
        ids.append(cid)
        day = int(rng.integers(0, 180))
        end = int(rng.integers(day, span)) if rng.random() < dropout else span
        scale = 10.0 / rng.gamma(4.0, 0.3)  # spend differs between customers (Gamma-Gamma)
        while day <= end:
            rows.append({"customer_id": cid, "order_date": START + timedelta(days=day),
                         "amount": round(float(rng.gamma(4.0, scale)), 2)})
            day += max(1, int(rng.exponential(every)))
    return ids, rows


def after_d(ids: list[str], *, prefix: str = "l", orders_each: int = 20) -> list[dict]:
    """Orders after D that would flip the answer if they leaked: the light buyers buy a lot."""
    return [{"customer_id": cid, "order_date": D + timedelta(days=k + 1), "amount": 500.0}
            for cid in ids if cid.startswith(prefix) for k in range(orders_each)]
