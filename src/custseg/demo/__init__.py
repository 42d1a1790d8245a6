"""Demo projects: the real CDNOW data or a generated retail business with planted dirt."""

from __future__ import annotations

import json
import re
from pathlib import Path

from custseg.config import CONFIG_FILE, STARTER_CONFIG
from custseg.errors import CustsegError
from custseg.pipeline import Project

DATASETS = ("retail", "cdnow")
# what `custseg run` does in each demo: segmentations, and predictions where the history allows
RUNS = {"retail": (["rfm-rules", "rfm-scores", "value-matrix", "lifecycle", "kmeans"], True),
        "cdnow": (["rfm-rules", "rfm-scores", "kmeans"], True)}


def _source_block(path: str, table: str, **extra: object) -> str:
    lines = ["", "[[sources]]", f'path = "{path}"', f'table = "{table}"']
    lines += [f"{k} = {str(v).lower() if isinstance(v, bool) else repr(v)}"
              for k, v in extra.items()]
    return "\n".join(lines) + "\n"


def create_demo(dataset: str, directory: Path | str, *, language: str = "zh",
                customers: int = 2000, seed: int = 7) -> Project:
    """Create a project in ``directory`` with the demo's source files and configured sources.

    The files are written to ``directory/data`` and listed as [[sources]] in custseg.toml, so
    the demo is an ordinary project: `Project.ingest_sources` loads it.
    """
    if dataset not in DATASETS:
        raise CustsegError(f"unknown demo dataset {dataset!r}; choose {' or '.join(DATASETS)}")
    directory = Path(directory)
    if (directory / CONFIG_FILE).exists():
        raise CustsegError(f"{directory} already holds a project; choose an empty folder")
    data = directory / "data"
    data.mkdir(parents=True, exist_ok=True)
    blocks = []
    if dataset == "cdnow":
        from custseg.demo.cdnow import write_cdnow_csv

        write_cdnow_csv(data / "cdnow_master.csv")
        blocks.append(_source_block("data/cdnow_master.csv", "orders", derive_order_id=True,
                                    refresh="once"))
    else:
        from custseg.demo.retail import generate_retail

        files, _ = generate_retail(data, customers=customers, seed=seed)
        for f in files:
            blocks.append(_source_block(f"data/{Path(f.path).name}", f.table))
    name = "CDNOW" if dataset == "cdnow" else "零售演示 retail demo"
    models, predict = RUNS[dataset]
    text = re.sub(r"(?m)^models = .*$", f"models = {json.dumps(models)}",
                  STARTER_CONFIG.format(name=name, language=language), count=1)
    text = re.sub(r"(?m)^predict = false", f"predict = {str(predict).lower()}", text, count=1)
    text += "".join(blocks)
    (directory / CONFIG_FILE).write_text(text, encoding="utf-8")
    return Project.open(directory)
