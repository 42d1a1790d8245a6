"""The CDNOW data set (real purchases of 23,570 customers, 1997-01 to 1998-06), shipped gzipped.

The original file is whitespace-aligned text without order ids; it is rewritten as a plain CSV
so that it goes through the same ingestion as any export, with ``derive_order_id`` on: one
line is one order, and identical lines stay separate orders (they are flagged as possible
duplicates by the cleaning stage, never dropped on a guess).
"""

from __future__ import annotations

import csv
import gzip
from importlib import resources
from pathlib import Path

HEADER = ["customer_id", "date", "number_of_cds", "dollar_value"]


def write_cdnow_csv(dest: Path) -> Path:
    """Write the packaged CDNOW master file as ``dest`` (CSV, UTF-8) and return its path."""
    source = resources.files("custseg") / "data" / "cdnow_master.txt.gz"
    with source.open("rb") as raw, gzip.open(raw, "rt", encoding="ascii") as lines, \
            open(dest, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(HEADER)
        next(lines)
        for line in lines:
            fields = line.split()
            if fields:
                writer.writerow(fields)
    return dest
