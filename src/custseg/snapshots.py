"""Stored runs as snapshots: list, show, remove, compare, and segment migration (SPEC §9).

Pipeline-level orchestration over the result tables of `custseg.io.results`.
"""

from __future__ import annotations

import json
from pathlib import Path

from custseg.errors import CustsegError
from custseg.io.database import transaction
from custseg.segment.migration import GONE, NEW, migration_matrix, movers, psi, sankey

RUN_TABLES = ("segment_assignments", "segment_summary", "features", "rfm_scores",
              "predictions", "run_charts")
MIGRATION_COLUMNS = ("from_segment", "to_segment", "customers")


def _tables(db) -> set[str]:
    return {r[0] for r in db.execute("SELECT table_name FROM duckdb_tables()").fetchall()}


def list_runs(con) -> list[dict]:
    """Every run, newest first: ``run_id, as_of, created_at, status, kind, model``."""
    db = con.con
    if "runs" not in _tables(db):
        return []
    rows = db.execute(
        "SELECT run_id, as_of, created_at, status, kind, "
        "json_extract_string(config, '$.model') FROM runs ORDER BY created_at DESC").fetchall()
    return [{"run_id": r[0], "as_of": r[1].isoformat() if r[1] else None,
             "created_at": r[2].isoformat(timespec="seconds"), "status": r[3], "kind": r[4],
             "model": r[5]} for r in rows]


def get_run(con, run_id: str) -> dict:
    """One run with its config and, for segmentations, template 1 (both languages)."""
    db = con.con
    found = [r for r in list_runs(con) if r["run_id"] == run_id]
    if not found:
        known = ", ".join(r["run_id"] for r in list_runs(con)[:5]) or "none yet"
        raise CustsegError(f"no run {run_id!r}; recent runs: {known}")
    run = found[0]
    run["config"] = json.loads(db.execute("SELECT config FROM runs WHERE run_id = ?",
                                          [run_id]).fetchone()[0])
    if "segment_summary" in _tables(db):
        cur = db.execute("SELECT * EXCLUDE (run_id) FROM segment_summary WHERE run_id = ? "
                         "ORDER BY position", [run_id])
        names = [d[0] for d in cur.description]
        run["segments"] = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    return run


def remove_run(con, run_id: str) -> None:
    """Delete a run and everything stored under its id, in one transaction."""
    get_run(con, run_id)
    db = con.con
    with transaction(db):
        for table in [t for t in RUN_TABLES if t in _tables(db)]:
            db.execute(f"DELETE FROM {table} WHERE run_id = ?", [run_id])
        db.execute("DELETE FROM runs WHERE run_id = ?", [run_id])


def definition_changes(run_a: dict, run_b: dict, lang: str = "en") -> list[str]:
    """Segments whose definition (rule thresholds, cluster ranges) differs between two runs."""
    key = f"dimensions_{lang}"
    a = {s["segment_id"]: s.get(key) for s in run_a.get("segments", [])}
    b = {s["segment_id"]: s.get(key) for s in run_b.get("segments", [])}
    out = []
    for seg in sorted(set(a) | set(b)):
        if a.get(seg) != b.get(seg):
            out.append(f"{seg}: {a.get(seg) or '(absent)'} → {b.get(seg) or '(absent)'}")
    return out


def _assignments(con, run_id: str, model: str | None):
    run = get_run(con, run_id)
    if run["kind"] != "segment":
        raise CustsegError(f"run {run_id} is a {run['kind']} run, not a segmentation")
    if model and run["model"] != model:
        raise CustsegError(f"run {run_id} is a {run['model']} run, not {model}")
    seg = con.table("segment_assignments")
    names = {s["segment_id"]: s for s in run.get("segments", [])}
    return seg.filter(seg.run_id == run_id).select("customer_id", "segment_id"), run, names


def migration(con, run_a: str, run_b: str, *, model: str | None = None, lang: str = "zh",
              movers_limit: int = 20, across_models: bool = False) -> dict:
    """From → to matrix between two runs of one segmentation, the largest flows, customers
    who moved with the feature that changed most, and Sankey data. ``across_models`` allows
    two different models (a model change): the matrix is then their cross-tabulation."""
    a, run_first, names_a = _assignments(con, run_a, model)
    b, run_second, names_b = _assignments(con, run_b, model)
    if run_first["model"] != run_second["model"] and not across_models:
        raise CustsegError(f"runs {run_a} ({run_first['model']}) and {run_b} "
                           f"({run_second['model']}) are of different models")
    rows = con.to_pyarrow(migration_matrix(a, b)).to_pylist()
    key = f"name_{lang}"

    def label(names: dict, seg: str) -> str:
        return names[seg][key] if seg in names else seg

    for r in rows:
        r["from_name"], r["to_name"] = label(names_a, r["from_segment"]), label(
            names_b, r["to_segment"])
    flows = sorted((r for r in rows if r["from_segment"] != r["to_segment"]),
                   key=lambda r: -r["customers"])
    out = {"model": run_first["model"], "model_b": run_second["model"], "run_a": run_a,
           "run_b": run_b, "definition_changes": definition_changes(run_first, run_second),
           "as_of_a": run_first["as_of"], "as_of_b": run_second["as_of"], "matrix": rows,
           "largest_flows": flows[:10],
           "sankey": sankey(rows, {s: label(names_a, s) for s in names_a},
                            {s: label(names_b, s) for s in names_b})}
    if "features" in _tables(con.con):
        f = con.table("features")
        fa, fb = f.filter(f.run_id == run_a), f.filter(f.run_id == run_b)
        columns = [c for c in ("recency_days", "frequency", "monetary", "aov", "ltv_historic")
                   if c in f.columns]
        moved = movers(a, b, fa, fb, columns).limit(movers_limit)
        out["movers"] = con.to_pyarrow(moved).to_pylist()
        out["psi"] = {c: round(con.execute(psi(fa, fb, c))["psi"][0], 4) for c in columns}
    out["warnings"] = drift_warnings(out)
    return out


def drift_warnings(report: dict) -> list[str]:
    """Warn when features shifted (PSI > 0.25) or most customers changed segment, so the
    segment names and strategies may no longer fit."""
    warnings = [f"{c}: population stability index {v:.2f} > 0.25, a major shift"
                for c, v in report.get("psi", {}).items() if v > 0.25]
    both = [r for r in report["matrix"] if r["from_segment"] not in (NEW,)
            and r["to_segment"] not in (GONE,)]
    total = sum(r["customers"] for r in both)
    stayed = sum(r["customers"] for r in both if r["from_segment"] == r["to_segment"])
    if total and stayed / total < 0.5:
        warnings.append(f"only {stayed / total:.0%} of customers kept their segment: check "
                        "that the segment names still describe them")
    return warnings


def export_run(con, run_id: str, path: Path) -> int:
    """Export a stored segmentation run (customer_id, segment_id, segment_name)."""
    from custseg.io.results import export_assignments

    _assignments(con, run_id, None)
    return export_assignments(con, run_id, path)


def export_migration(report: dict, path: Path) -> int:
    """Write the matrix as CSV with the columns ``from_segment,to_segment,customers``."""
    import csv

    path = Path(path)
    if path.suffix.lower() != ".csv":
        raise CustsegError(f"cannot export migration to {path.name}: use .csv")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(MIGRATION_COLUMNS)
        for r in report["matrix"]:
            writer.writerow([r[c] for c in MIGRATION_COLUMNS])
    return len(report["matrix"])
