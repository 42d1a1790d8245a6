"""One periodic run of the whole pipeline (SPEC §9): load, clean, segment, predict, snapshot.

Every step stores its own run in one transaction; the pipeline run, written when the steps
end, records the config hash, the data range, row counts and the ids of its steps. A failed
step marks the pipeline run failed; a killed process leaves every earlier snapshot as it was
and no partial one. Scheduling is the operating system's job, e.g. in cron::

    0 6 1 * *  cd /srv/myshop && custseg run --as-of auto >> run.log 2>&1
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime

from custseg import schema
from custseg.io import results


def config_hash(settings) -> str:
    """A short hash of the validated config, to tell runs of the same settings apart."""
    text = json.dumps(settings.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def run_pipeline(project, *, as_of: date | None = None, on_step=None) -> dict:
    """Load new source data, then run every configured segmentation (and predictions)."""
    settings = project.settings
    step = on_step or (lambda name: None)
    step("loading sources")
    loads = project.ingest_sources()
    con = project.connect()
    results.ensure_result_tables(con)
    run_id = results.new_run_id()
    db = con.con
    first, last = db.execute("SELECT min(order_date), max(order_date) FROM orders").fetchone()
    as_of = as_of or settings.features.as_of or last
    record = {
        "run_id": run_id, "as_of": as_of.isoformat() if as_of else None,
        "config_hash": config_hash(settings),
        "data_range": [first.isoformat() if first else None, last.isoformat() if last else None],
        "rows": {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                 for t in schema.TABLES},
        "loads": [{"source": r.source, "status": r.status, "rows_loaded": r.rows_loaded}
                  for r in loads],
        "steps": [],
    }
    started, status = datetime.now(), "failed"
    try:
        for model in settings.run.models:
            step(f"segmenting: {model}")
            result = project.segment(model, as_of=as_of)
            record["steps"].append({"model": model, "run_id": result.run_id})
        if settings.run.predict:
            step("predicting")
            prediction = project.predict(as_of=as_of)
            record["steps"].append({"model": "predict",
                                    "run_id": getattr(prediction, "run_id", None)})
        status = "done"
    finally:
        # written once at the end: a killed run leaves no half-written pipeline record
        db.execute("INSERT INTO runs VALUES (?, 'pipeline', ?, ?, ?, ?)",
                   [run_id, as_of, started, json.dumps(record, ensure_ascii=False), status])
    record["status"] = status
    return record
