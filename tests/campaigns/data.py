"""Generated campaign data: dormant customers with one old order each, written straight into
the canonical tables of a project (the contract later stages read)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from custseg.pipeline import Project

AS_OF = date(2024, 6, 30)
START = AS_OF + timedelta(days=1)


def insert(project: Project, table: str, frame: pd.DataFrame) -> None:
    db = project.connect().con
    db.register("_frame", frame)
    db.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _frame")
    db.unregister("_frame")


def dormant_project(directory: Path, *, n: int = 2000, seed: int = 0,
                    objectors: int = 0) -> Project:
    """``n`` customers (``c00000`` …) with one order in the second half of 2023, segmented
    with rfm-rules as of `AS_OF`: all of them are A004 (dormant). The first ``objectors``
    customers object to marketing; customer ``c00001`` has a formula-like name."""
    rng = np.random.default_rng(seed)
    project = Project.init(directory, language="en")
    ids = [f"c{i:05d}" for i in range(n)]
    names = ["张三" if i % 2 else "李四娘" for i in range(n)]
    names[1] = "=HYPERLINK(\"http://x\")"
    insert(project, "customers", pd.DataFrame({
        "customer_id": ids, "name": names, "phone": [f"138{i:08d}" for i in range(n)],
        "register_date": date(2023, 1, 1),
        "objects_marketing": [i < objectors for i in range(n)]}))
    insert(project, "orders", pd.DataFrame({
        "order_id": [f"o{i}" for i in range(n)], "customer_id": ids,
        "order_date": [date(2023, 6, 1) + timedelta(days=int(d))
                       for d in rng.integers(0, 200, n)],
        "amount": rng.integers(50, 300, n).astype(float), "status": "completed"}))
    project.segment("rfm-rules", as_of=AS_OF)
    return project


def add_post_orders(project: Project, campaign_id: str, *, base: float, effect: float,
                    seed: int = 0, first: date = START) -> pd.DataFrame:
    """One order each in the 30 days from ``first`` (default `START`): a holdout customer buys
    with probability ``base``, a target customer with ``base + effect``. Returns the orders
    with the buyer's ``arm``."""
    rng = np.random.default_rng(seed)
    arms = project.connect().con.execute(
        "SELECT customer_id, arm FROM campaign_members WHERE campaign_id = ? ORDER BY 1",
        [campaign_id]).df()
    p = np.where(arms.arm == "target", base + effect, base)
    buyers = arms[rng.random(len(arms)) < p]
    frame = pd.DataFrame({
        "order_id": [f"{campaign_id}-{first}-{c}" for c in buyers.customer_id],
        "customer_id": buyers.customer_id.tolist(),
        "order_date": [first + timedelta(days=int(d)) for d in rng.integers(0, 30, len(buyers))],
        "amount": rng.integers(50, 300, len(buyers)).astype(float), "status": "completed"})
    insert(project, "orders", frame)
    return frame.assign(arm=buyers.arm.tolist())
