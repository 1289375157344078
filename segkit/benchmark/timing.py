"""Interleaved timing: variants run in turn, so machine noise hits all of them alike."""
import statistics
import time
from typing import Callable, Dict

import torch


def interleaved_times(variants: Dict[str, Callable[[], object]], rounds: int,
                      warmup: int = 1) -> Dict[str, float]:
    """Median seconds per call of each variant, timed round-robin over ``rounds``.

    Odd rounds run the variants in reverse order, so no variant always follows the same
    neighbour (switching dtype or layout evicts caches and kernel state).
    """
    for fn in variants.values():
        for _ in range(warmup):
            fn()
    times = {name: [] for name in variants}
    names = list(variants)
    for round_index in range(rounds):
        for name in (names if round_index % 2 == 0 else names[::-1]):
            fn = variants[name]
            if torch.cuda.is_available():
                torch.cuda.synchronize()
            start = time.perf_counter()
            fn()
            if torch.cuda.is_available():
                torch.cuda.synchronize()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(ts) for name, ts in times.items()}


def format_table(rows, headers) -> str:
    """A plain-text table."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ['  '.join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths)))
             for r in cells]
    lines.insert(1, '  '.join('-' * w for w in widths))
    return '\n'.join(lines)
