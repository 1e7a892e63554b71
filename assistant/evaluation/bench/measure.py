"""Measurement helpers shared by the benchmark's parts: percentiles, ANN recall, timing,
memory and disk use."""

from __future__ import annotations

import resource
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolation percentile (numpy's default method); 0.0 for no values."""
    return float(np.percentile(np.asarray(values, dtype=np.float64), q)) if len(values) else 0.0


def recall_at(exact: Sequence[str], approx: Sequence[str], k: int) -> float:
    """|top-k approx ∩ top-k exact| / k (the usual ANN recall@k, Aumüller et al. 2020)."""
    if not exact:
        return 1.0
    return len(set(exact[:k]) & set(approx[:k])) / min(k, len(exact))


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a and b else None


def rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return round(resource.getrusage(who).ru_maxrss / 1024, 1)


def du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def clear_query_cache(embedder: Any) -> None:
    clear = getattr(embedder, "clear_cache", None)
    if clear:
        clear()




def _status_kb(field: str) -> float | None:
    try:
        with open("/proc/self/status", encoding="utf-8") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return float(line.split()[1])
    except OSError:
        pass
    return None


def vm_rss_mb() -> float:
    """Resident memory of this process now (Linux; the peak elsewhere)."""
    kb = _status_kb("VmRSS")
    return round(kb / 1024, 1) if kb is not None else rss_mb()


def reset_peak_rss() -> bool:
    """Restart the kernel's peak-RSS count (``VmHWM``) from the current RSS, so the peak of
    one step can be read (Linux ``/proc/self/clear_refs``); False where that is not possible."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="utf-8") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_rss_mb() -> float:
    """Peak resident memory since the last ``reset_peak_rss`` (or since start)."""
    kb = _status_kb("VmHWM")
    return round(kb / 1024, 1) if kb is not None else rss_mb()
