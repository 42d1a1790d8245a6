"""Helpers the benchmark scripts share (they run as scripts, so this is imported by name)."""

from __future__ import annotations

import resource
from pathlib import Path


def peak_mib() -> float:
    """Peak RSS of this process (VmHWM: a forked child's ru_maxrss starts at its parent's)."""
    try:
        kib = int(Path("/proc/self/status").read_text().split("VmHWM:")[1].split()[0])
    except (OSError, IndexError):
        kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(kib / 1024, 1)
